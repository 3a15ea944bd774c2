package dev.audiencesegmenter.io.files;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/**
 * Writes a small PCollection of strings (a fitted model, a validation report: a few elements)
 * as one text file, one element per line in sorted order; an empty input writes an empty file,
 * so a run always replaces the file of the run before. The output is the path written.
 *
 * <p>{@code TextIO.write().withoutSharding()} does the same through four shuffles (sharding,
 * gathering and finalizing temporary files), which every runner pays for however small the
 * file; here the lines reach one step as a side input and the file is written once: to a
 * temporary name first, then moved over the old file, so a failed write leaves the old one.
 * Works on every Beam file system (local, gs://, s3://). Metric: {@code WriteTextFile/files}.
 *
 * <pre>{@code
 * modelJson.apply("WriteModel", WriteTextFile.to("out/model/clv.json"));
 * }</pre>
 */
public final class WriteTextFile extends PTransform<PCollection<String>, PCollection<String>> {
  private final String path;

  private WriteTextFile(String path) {
    this.path = path;
  }

  /** Writes the file {@code path}, e.g. {@code out/model/clv.json} or a gs:// URL. */
  public static WriteTextFile to(String path) {
    if (path == null || path.isBlank() || path.endsWith("/")) {
      throw new IllegalArgumentException("WriteTextFile needs a file path, got '" + path + "'");
    }
    return new WriteTextFile(path);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("path", path).withLabel("File"));
  }

  @Override
  public PCollection<String> expand(PCollection<String> lines) {
    PCollectionView<List<String>> all = lines.apply("Gather", View.asList());
    return lines.getPipeline()
        .apply("Once", Impulse.create())
        .apply("Write", ParDo.of(new WriteFn(path, all)).withSideInputs(all))
        .setCoder(StringUtf8Coder.of());
  }

  private static final class WriteFn extends DoFn<byte[], String> {
    private final String path;
    private final PCollectionView<List<String>> lines;
    private final Counter files = Metrics.counter(WriteTextFile.class, "files");

    WriteFn(String path, PCollectionView<List<String>> lines) {
      this.path = path;
      this.lines = lines;
    }

    @ProcessElement
    public void process(ProcessContext context) throws IOException {
      List<String> sorted = new ArrayList<>(context.sideInput(lines));
      Collections.sort(sorted);
      ResourceId file = FileSystems.matchNewResource(path, false);
      // A name of its own per attempt: a retried bundle never writes into another's file.
      ResourceId temporary = file.getCurrentDirectory().resolve(
          "." + file.getFilename() + ".tmp-" + Long.toHexString(System.nanoTime()),
          StandardResolveOptions.RESOLVE_FILE);
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(temporary,
          "text/plain"))) {
        for (String line : sorted) {
          out.write(line.getBytes(StandardCharsets.UTF_8));
          out.write('\n');
        }
      }
      FileSystems.rename(List.of(temporary), List.of(file),
          StandardMoveOptions.IGNORE_MISSING_FILES);
      files.inc();
      context.output(file.toString());
    }
  }
}
