package dev.audiencesegmenter.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.clv.HoldoutPurchases;
import dev.audiencesegmenter.clv.ValidateHoldout;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.awt.image.BufferedImage;
import java.io.File;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report written from a small run with every optional column (RFM scores, lifecycle stage,
 * channel, consent) and a previous run: self-contained, the Markdown has the HTML's sections,
 * and headless Chromium renders it to a screenshot that is not blank
 * ({@code transforms/target/report-screenshot/index.png}). Without Chromium the screenshot check
 * is skipped, saying how to install it.
 */
@ExtendWith(TestPipelineExtension.class)
@Timeout(300)
class SegmentReportTest {
  static final Schema SCHEMA = Schema.builder()
      .addStringField("customer_id")
      .addDecimalField("monetary_total")
      .addInt64Field("frequency")
      .addNullableField("predicted_clv_365d", Schema.FieldType.DOUBLE)
      .addNullableField("churn_risk", Schema.FieldType.DOUBLE)
      .addBooleanField("consent_email")
      .addNullableField("preferred_channel", Schema.FieldType.STRING)
      .addNullableField("lifecycle_stage", Schema.FieldType.STRING)
      .addInt32Field("r_score")
      .addInt32Field("f_score")
      .build();
  static final Pattern NETWORK = Pattern.compile(
      "(?i)(src|href)\\s*=\\s*[\"']?\\s*(https?:)?//|@import|url\\(\\s*[\"']?\\s*(https?:)?//");

  @TempDir Path out;

  @Test
  void writesASelfContainedReportThatChromiumRenders(TestPipeline p) throws Exception {
    List<Row> rows = new ArrayList<>();
    List<SegmentMembership> now = new ArrayList<>();
    List<SegmentMembership> before = new ArrayList<>();
    String[] stages = {"new", "active", "at_risk", "churned"};
    String[] segments = {"champions", "loyal", "at_risk_customers", "hibernating"};
    for (int i = 0; i < 40; i++) {
      int r = 1 + i % 5;
      int f = 1 + (i / 5) % 5;
      rows.add(Row.withSchema(SCHEMA).addValues("c" + i, new BigDecimal(10 * (i % 7) + 5),
          (long) f, 3.0 * r * f, 0.1 * (5 - r) + 0.05, i % 3 != 0, i % 2 == 0 ? "email" : "sms",
          stages[i % 4], r, f).build());
      now.add(SegmentMembership.create("c" + i, segments[(r + f) % 4], "rfm", i % 10 == 0));
      before.add(SegmentMembership.create("c" + i, segments[(r + f + i % 2) % 4], "rfm",
          i % 10 == 0));
    }
    String yaml = "groups:\n  - name: rfm\n    exclusive: true\n    segments:\n";
    for (String s : segments) {
      yaml += "      - name: " + s + "\n        description: The " + s + " <of> RFM & co\n"
          + "        when: 'true'\n        fit: 6\n        strategic_value: 7\n"
          + "        activation:\n          channels: [email]\n"
          + "          message_theme: Win back\n          offer: 10 % off\n"
          + "          kpi: Conversion\n          owner: Lifecycle team\n";
    }
    PCollection<Row> features = p.apply("Features", Create.of(rows).withRowSchema(SCHEMA));
    SummarizeSegments.Result result = SummarizeSegments
        .inputs(features, p.apply("Now", Create.of(now)))
        .and(SummarizeSegments.PREVIOUS_MEMBERSHIPS, p.apply("Before", Create.of(before)))
        .and(SummarizeSegments.CONVERTED_CUSTOMERS,
            p.apply("Converted", Create.of("c1", "c2", "c3", "c10")))
        .apply(SummarizeSegments.<Row>of(SegmentDefinitions.parse(yaml, "rfm.yaml")));
    result.getReport().apply(WriteSegmentReport.to(out.resolve("report").toString()));
    PipelineResult run = p.run();
    run.waitUntilFinish();

    String html = Files.readString(out.resolve("report/index.html"), StandardCharsets.UTF_8);
    String md = Files.readString(out.resolve("report/summary.md"), StandardCharsets.UTF_8);
    Matcher network = NETWORK.matcher(html);
    assertFalse(network.find(), () -> "network reference: " + network.group());
    assertFalse(html.contains("http://") || html.contains("https://"), "no URL at all");
    assertFalse(html.contains("<script"), "no script");
    assertTrue(html.contains("The champions &lt;of&gt; RFM &amp; co"), "escaped description");
    // Sizes, value, lifecycle funnel, RFM grid, transition matrix, segment profiles.
    assertTrue(count(html, "<svg ") >= 6, "charts: " + count(html, "<svg "));
    // Drawn once, for the HTML: the Markdown gives each chart's data as a table.
    assertEquals((long) count(html, "<svg "), run.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(WriteSegmentReport.class, "report_charts"))
        .build()).getCounters().iterator().next().getCommitted(), "charts drawn");
    for (String title : List.of("RFM grid", "Lifecycle funnel",
        "Movement since the previous run", "Response: treatment against holdout")) {
      assertTrue(md.contains(title), title);
    }
    assertEquals(4, count(html, "<section class=\"persona"), "a persona card per segment");
    assertEquals(headings(html, Pattern.compile("<h[1-3]>([^<]*)</h[1-3]>")),
        headings(md, Pattern.compile("(?m)^#{1,3} (.*)$")).stream()
            .map(ReportDocument::escape).toList(),
        "the Markdown has the HTML's sections");
    screenshot(out.resolve("report/index.html"));
  }

  @Test
  void theValueModelsCheckOnAHoldoutHasItsTableAndItsTrackingChart(TestPipeline p)
      throws Exception {
    List<Row> rows = new ArrayList<>();
    List<SegmentMembership> now = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(Row.withSchema(SCHEMA).addValues("c" + i, new BigDecimal(5 + i), 1L, 2.0, 0.5,
          true, "email", "active", 3, 3).build());
      now.add(SegmentMembership.create("c" + i, "everyone", "all", false));
    }
    // The holdout file as the job writes it: two customers over three weeks, BG/NBD,
    // Pareto/NBD and BG/NBD with covariates.
    String holdoutJson = ValidateHoldout.report(List.of("bg_nbd_covariates"))
        .add(1, 3, 2.0, 2.5, 2.8).addSpend(30, 20, 25, 28)
        .addCumulative(new HoldoutPurchases.Outcome(new long[] {1, 0, 2}, new BigDecimal("30")),
            new double[][] {{0.5, 1, 0.8}, {1, 1.5, 1.6}, {2, 2.5, 2.8}}, 3)
        .merge(ValidateHoldout.report(List.of("bg_nbd_covariates")).add(0, 0, 0.5, 0.25, 0.1).addSpend(0, 5, 2.5, 1)
            .addCumulative(HoldoutPurchases.Outcome.NONE,
                new double[][] {{0.25, 0.125, 0.05}, {0.375, 0.25, 0.08}, {0.5, 0.25, 0.1}}, 3))
        .toJson("2024-01-01T00:00:00.000Z", "2024-01-22T00:00:00.000Z");
    String yaml = "groups:\n  - name: all\n    segments:\n      - name: everyone\n"
        + "        when: 'true'\n";
    SummarizeSegments.Result result = SummarizeSegments
        .inputs(p.apply("Features", Create.of(rows).withRowSchema(SCHEMA)),
            p.apply("Now", Create.of(now)))
        .apply(SummarizeSegments.<Row>of(SegmentDefinitions.parse(yaml, "all.yaml")));
    result.getReport().apply(WriteSegmentReport.to(out.resolve("report").toString())
        .withHoldoutValidation(p.apply("Holdout", Create.of(holdoutJson))));
    p.run().waitUntilFinish();

    String html = Files.readString(out.resolve("report/index.html"), StandardCharsets.UTF_8);
    String md = Files.readString(out.resolve("report/summary.md"), StandardCharsets.UTF_8);
    assertTrue(md.contains("### Value models against the holdout"), md);
    assertTrue(md.contains("predicting the 2 customers who had bought by then until "
        + "2024-01-22T00:00:00.000Z. Chosen model: bg_nbd_covariates"), md);
    // BG/NBD: 2.5 predicted against 3 (-16.67 %), errors 0.75 per customer; spend 25 and 7.5.
    assertTrue(md.contains("| bg_nbd | 2.50 | 3 | -0.1667 | 0.7500 | 25.00 | 7.5000 |"), md);
    // Pareto/NBD: |2.5 - 3| and |0.25 - 0| per customer; spend |25 - 30| and |2.5 - 0|.
    assertTrue(md.contains("| pareto_nbd | 2.75 | 3 | -0.0833 | 0.3750 | 27.50 | 3.7500 |"),
        md);
    // With covariates: (2.9 - 3) / 3; |2.8 - 3| and |0.1 - 0|; spend |28 - 30| and |1 - 0|:
    // the smallest error per customer, so the chosen model.
    assertTrue(md.contains("| bg_nbd_covariates | 2.90 | 3 | -0.0333 | 0.1500 | 29.00 | "
        + "1.5000 |"), md);
    String section = html.substring(html.indexOf("<h3>Value models against the holdout"),
        html.indexOf("<h2>Personas"));
    assertEquals(1, count(section, "<figure><svg "), "the tracking chart, drawn");
  }

  private static void screenshot(Path html) throws Exception {
    String chromium = chromium();
    Assumptions.assumeTrue(chromium != null, "Chromium not installed: the screenshot check is "
        + "skipped. Install it with `apt-get install -y chromium` (Debian) to run it.");
    Path png = Path.of("target", "report-screenshot", "index.png").toAbsolutePath();
    Files.createDirectories(png.getParent());
    Files.deleteIfExists(png);
    // Under target/, not the system temp folder: each run's profile (megabytes) is left behind.
    Path profile = Files.createTempDirectory(png.getParent(), "chromium-profile");
    Process process = new ProcessBuilder(chromium, "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
        "--screenshot=" + png, "--window-size=1280,2000", html.toUri().toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(
            png.resolveSibling("chromium.log").toFile()))
        .start();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "Chromium did not finish in 2 minutes");
    assertTrue(Files.exists(png), "no screenshot; see " + png.resolveSibling("chromium.log"));
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1280, image.getWidth());
    int background = image.getRGB(0, 0);
    long different = 0;
    Set<Integer> colors = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) {
        int rgb = image.getRGB(x, y);
        colors.add(rgb);
        if (rgb != background) {
          different++;
        }
      }
    }
    long sampled = (long) (image.getWidth() / 2) * (image.getHeight() / 2);
    // Text, tables and charts: far more than 1 % of the page differs from the background.
    assertTrue(different > sampled / 100, "blank screenshot: " + different + " of " + sampled);
    assertTrue(colors.size() > 20, "too few colours for charts: " + colors.size());
  }

  private static String chromium() {
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        if (Files.isExecutable(Path.of(dir, name))) {
          return Path.of(dir, name).toString();
        }
      }
    }
    return null;
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  private static List<String> headings(String text, Pattern pattern) {
    List<String> out = new ArrayList<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
