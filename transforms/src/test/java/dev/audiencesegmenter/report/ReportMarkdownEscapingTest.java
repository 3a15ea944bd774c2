package dev.audiencesegmenter.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, item 14: values that come from data (here a preferred channel) and from segment
 * files reach {@code summary.md} escaped: HTML is shown as text, not rendered; brackets make no
 * link; a line break starts no heading. Before, they were written as they came.
 */
@ExtendWith(TestPipelineExtension.class)
class ReportMarkdownEscapingTest {
  private static final String CHANNEL = "<img src=x onerror=alert(1)>\n# Injected & \\[x]";

  @Test
  void dataInTheMarkdownIsEscaped(TestPipeline p, @TempDir Path out) throws Exception {
    List<Row> rows = new ArrayList<>();
    List<SegmentMembership> now = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(Row.withSchema(SegmentReportTest.SCHEMA).addValues("c" + i,
          new BigDecimal(10 + i), 1L, 3.0, 0.1, true, CHANNEL, "active", 1 + i % 5, 1).build());
      now.add(SegmentMembership.create("c" + i, "champions", "rfm", false));
    }
    String yaml = "groups:\n  - name: rfm\n    exclusive: true\n    segments:\n"
        + "      - name: champions\n"
        + "        description: 'See [click](javascript:alert(1)) <b>now</b>'\n"
        + "        when: 'true'\n";
    PCollection<Row> features = p.apply("Features",
        Create.of(rows).withRowSchema(SegmentReportTest.SCHEMA));
    SummarizeSegments.Result result = SummarizeSegments
        .inputs(features, p.apply("Now", Create.of(now)))
        .apply(SummarizeSegments.<Row>of(SegmentDefinitions.parse(yaml, "rfm.yaml")));
    result.getReport().apply(WriteSegmentReport.to(out.resolve("report").toString()));
    p.run().waitUntilFinish();

    String md = Files.readString(out.resolve("report/summary.md"), StandardCharsets.UTF_8);
    assertFalse(md.contains("<img"), md);
    assertFalse(md.contains("<b>"), md);
    assertFalse(md.contains("\n# Injected"), md);
    assertTrue(md.contains("\n- Preferred channel: &lt;img src=x onerror=alert(1)&gt; # Injected "
        + "&amp; \\\\\\[x\\]\n"), md);
    assertTrue(md.contains("\nSee \\[click\\](javascript:alert(1)) &lt;b&gt;now&lt;/b&gt;\n"),
        md);
    // The HTML escaped them already.
    String html = Files.readString(out.resolve("report/index.html"), StandardCharsets.UTF_8);
    assertEquals(false, html.contains("<img src=x"));
  }
}
