package dev.audiencesegmenter.io.files;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.model.JsonLines;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Writes a schema'd PCollection as JSON Lines into a folder, as {@code part-00000-of-00004.jsonl}
 * files: one JSON object per element, rendered by {@link #toJson(Row)}. An empty input still
 * writes one empty file, so the folder always exists.
 *
 * <p>Each line depends only on its element, so every runner writes the same lines (the split
 * of lines over files and their order within a file are the runner's choice). Metrics in
 * namespace {@code WriteJsonLines}: rows_written.
 *
 * <pre>{@code
 * features.apply("WriteFeatures", WriteJsonLines.<CustomerFeatures>to("out/features"));
 * }</pre>
 */
@AutoValue
public abstract class WriteJsonLines<T>
    extends PTransform<PCollection<T>, WriteFilesResult<Void>> {

  /** The folder, always ending with {@code /}. */
  public abstract String getDirectory();

  /** The number of files; 0 lets the runner decide. */
  public abstract int getNumShards();

  abstract Builder<T> toBuilder();

  /**
   * Writes into {@code directory} (a local path or any Beam file system URL such as
   * {@code gs://bucket/out/features}).
   */
  public static <T> WriteJsonLines<T> to(String directory) {
    if (directory == null || directory.isBlank()) {
      throw new IllegalArgumentException("WriteJsonLines needs a folder, got '" + directory
          + "'");
    }
    return new AutoValue_WriteJsonLines.Builder<T>()
        .setDirectory(directory.endsWith("/") ? directory : directory + "/")
        .setNumShards(0)
        .build();
  }

  /** Number of files; 0 (the default) lets the runner decide. */
  public WriteJsonLines<T> withNumShards(int numShards) {
    if (numShards < 0) {
      throw new IllegalArgumentException("numShards must be 0 or more, got " + numShards);
    }
    return toBuilder().setNumShards(numShards).build();
  }

  /**
   * One row as one line of JSON, without the line break: keys in schema field order; strings
   * escaped by Jackson; integers and doubles as numbers (NaN and infinities as {@code null});
   * decimals as plain numbers ({@code 42.50}, {@code 1000}, never {@code 1E+3}); booleans;
   * times as ISO-8601 UTC ({@code 2024-03-01T12:00:00Z}, milliseconds only when non-zero);
   * maps as objects with sorted keys; arrays; nested rows as objects; nulls as {@code null}.
   */
  public static String toJson(Row row) {
    return JsonLines.toJson(row);
  }

  @AutoValue.Builder
  abstract static class Builder<T> {
    abstract Builder<T> setDirectory(String directory);

    abstract Builder<T> setNumShards(int numShards);

    abstract WriteJsonLines<T> build();
  }

  @Override
  public WriteFilesResult<Void> expand(PCollection<T> input) {
    if (!input.hasSchema()) {
      throw new IllegalArgumentException("WriteJsonLines to " + getDirectory() + " needs a "
          + "PCollection with a schema, got one with coder " + input.getCoder());
    }
    TextIO.Write write = TextIO.write()
        .to(getDirectory() + "part")
        .withShardNameTemplate("-SSSSS-of-NNNNN")
        .withSuffix(".jsonl");
    if (getNumShards() > 0) {
      write = write.withNumShards(getNumShards());
    }
    return input
        .apply("ToJsonLines", ParDo.of(new ToJsonLine<>(input.getToRowFunction())))
        .apply("WriteFiles", write.withOutputFilenames());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("directory", getDirectory()).withLabel("Output folder"))
        .add(DisplayData.item("numShards", getNumShards())
            .withLabel("Number of files (0: the runner decides)"));
  }

  /** Renders an element through its schema. */
  private static final class ToJsonLine<T> extends DoFn<T, String> {
    private final SerializableFunction<T, Row> toRow;
    private final Counter written = Metrics.counter(WriteJsonLines.class, "rows_written");

    ToJsonLine(SerializableFunction<T, Row> toRow) {
      this.toRow = toRow;
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<String> out) {
      out.output(toJson(toRow.apply(element)));
      written.inc();
    }
  }
}
