package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.JsonLines;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes a schema'd PCollection as JSON Lines into a folder, as {@code part-00000-of-00004.jsonl}
 * files, one object per row rendered by {@link JsonLines#toJson(Row)} (keys in schema order,
 * exact decimals, ISO-8601 UTC times). An empty input still writes one empty file, so the folder
 * always exists.
 */
public final class WriteJsonLines<T> extends PTransform<PCollection<T>, WriteFilesResult<Void>> {
  private final String directory;
  private final int numShards;

  private WriteJsonLines(String directory, int numShards) {
    this.directory = directory;
    this.numShards = numShards;
  }

  /** Writes into {@code directory} (local path or any Beam file system URL). */
  public static <T> WriteJsonLines<T> to(String directory) {
    if (directory == null || directory.isBlank()) {
      throw new IllegalArgumentException("WriteJsonLines needs a folder, got '" + directory
          + "'");
    }
    return new WriteJsonLines<>(directory.endsWith("/") ? directory : directory + "/", 0);
  }

  /** Number of files; 0 (the default) lets the runner decide. */
  public WriteJsonLines<T> withNumShards(int numShards) {
    if (numShards < 0) {
      throw new IllegalArgumentException("numShards must be 0 or more, got " + numShards);
    }
    return new WriteJsonLines<>(directory, numShards);
  }

  @Override
  public WriteFilesResult<Void> expand(PCollection<T> input) {
    if (!input.hasSchema()) {
      throw new IllegalArgumentException("WriteJsonLines needs a PCollection with a schema, "
          + "got one with coder " + input.getCoder());
    }
    SerializableFunction<T, Row> toRow = input.getToRowFunction();
    TextIO.Write write = TextIO.write()
        .to(directory + "part")
        .withSuffix(".jsonl")
        .withShardNameTemplate("-SSSSS-of-NNNNN");
    if (numShards > 0) {
      write = write.withNumShards(numShards);
    }
    return input
        .apply("ToJson", MapElements.into(TypeDescriptors.strings())
            .via(element -> JsonLines.toJson(toRow.apply(element))))
        .apply("WriteFiles", write.withOutputFilenames())
        ;
  }
}
