package dev.audiencesegmenter.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Writes the segment report, {@code index.html} and {@code summary.md}, into a folder through
 * Beam's {@link FileSystems} (so gs:// and s3:// folders work). The input is the single
 * {@link ReportContent} of {@link SummarizeSegments}; the output, the paths written. Rewriting
 * on a retry writes the same bytes. Metrics: report_files, report_charts (charts drawn).
 *
 * <pre>{@code
 * summary.getReport().apply(WriteSegmentReport.to("out/report"));
 * }</pre>
 */
public final class WriteSegmentReport
    extends PTransform<PCollection<ReportContent>, PCollection<String>> {
  public static final String HTML = "index.html";
  public static final String MARKDOWN = "summary.md";

  private final String folder;
  private final @Nullable PCollection<String> holdoutValidation;
  private final @Nullable PCollection<String> syncLogs;

  private WriteSegmentReport(String folder, @Nullable PCollection<String> holdoutValidation,
      @Nullable PCollection<String> syncLogs) {
    this.folder = folder;
    this.holdoutValidation = holdoutValidation;
    this.syncLogs = syncLogs;
  }

  /** Writes into {@code folder} (created when missing), e.g. {@code out/report/}. */
  public static WriteSegmentReport to(String folder) {
    if (folder == null || folder.isBlank()) {
      throw new IllegalArgumentException("report folder must not be blank");
    }
    return new WriteSegmentReport(folder.endsWith("/") ? folder : folder + "/", null, null);
  }

  /**
   * Adds a section on the value models' check against a holdout: {@code report} holds the JSON
   * of {@code model/holdout-validation.json} (one element, as {@code
   * SegmentCustomers.Result#getHoldoutJson} gives it; none leaves the section out).
   */
  public WriteSegmentReport withHoldoutValidation(PCollection<String> report) {
    if (report == null) {
      throw new IllegalArgumentException("the holdout validation must not be null");
    }
    return new WriteSegmentReport(folder, report, syncLogs);
  }

  /**
   * Adds a section on the run's activation: {@code logs} holds one JSON line per destination
   * (the sync log: counts added, updated, removed, unsubscribed, rejected, skipped for consent,
   * and the first rejection reasons).
   */
  public WriteSegmentReport withSyncLogs(PCollection<String> logs) {
    if (logs == null) {
      throw new IllegalArgumentException("the sync logs must not be null");
    }
    return new WriteSegmentReport(folder, holdoutValidation, logs);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("folder", folder).withLabel("Report folder"))
        .add(DisplayData.item("holdoutValidation", holdoutValidation != null)
            .withLabel("Value models checked on a holdout"))
        .add(DisplayData.item("syncLogs", syncLogs != null).withLabel("Activation sync log"));
  }

  @Override
  public PCollection<String> expand(PCollection<ReportContent> report) {
    PCollectionView<Iterable<String>> holdout = holdoutValidation == null ? null
        : holdoutValidation.apply("HoldoutValidationView", View.asIterable());
    PCollectionView<Iterable<String>> logs = syncLogs == null ? null
        : syncLogs.apply("SyncLogView", View.asIterable());
    List<PCollectionView<?>> sides = new ArrayList<>();
    if (holdout != null) {
      sides.add(holdout);
    }
    if (logs != null) {
      sides.add(logs);
    }
    return report.apply("WriteFiles", ParDo.of(new WriteFn(folder, holdout, logs))
            .withSideInputs(sides))
        .setCoder(StringUtf8Coder.of());
  }

  private static final class WriteFn extends DoFn<ReportContent, String> {
    private final String folder;
    private final @Nullable PCollectionView<Iterable<String>> holdout;
    private final @Nullable PCollectionView<Iterable<String>> logs;
    private final Counter written = Metrics.counter(WriteSegmentReport.class, "report_files");
    private final Counter charts = Metrics.counter(WriteSegmentReport.class, "report_charts");

    WriteFn(String folder, @Nullable PCollectionView<Iterable<String>> holdout,
        @Nullable PCollectionView<Iterable<String>> logs) {
      this.folder = folder;
      this.holdout = holdout;
      this.logs = logs;
    }

    @ProcessElement
    public void process(@Element ReportContent content, OutputReceiver<String> out,
        ProcessContext c) throws IOException {
      String holdoutJson = null;
      if (holdout != null) {
        for (String json : c.sideInput(holdout)) {
          holdoutJson = json;
        }
      }
      List<String> syncLogs = new ArrayList<>();
      if (logs != null) {
        c.sideInput(logs).forEach(syncLogs::add);
        java.util.Collections.sort(syncLogs); // by platform: the lines start with it
      }
      ReportDocument document = ReportDocument.render(content, holdoutJson, syncLogs);
      charts.inc(document.chartsDrawn());
      out.output(write(HTML, document.html(), "text/html"));
      out.output(write(MARKDOWN, document.markdown(), "text/markdown"));
    }

    private String write(String name, String text, String mimeType) throws IOException {
      ResourceId file = FileSystems.matchNewResource(folder + name, false);
      try (OutputStream stream = Channels.newOutputStream(FileSystems.create(file, mimeType))) {
        stream.write(text.getBytes(StandardCharsets.UTF_8));
      }
      written.inc();
      return file.toString();
    }
  }
}
