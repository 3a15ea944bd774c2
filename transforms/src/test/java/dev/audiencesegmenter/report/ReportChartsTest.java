package dev.audiencesegmenter.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The SVG that XChart writes, made fit to inline in the report's HTML. */
class ReportChartsTest {

  @Test
  void theSvgLosesPrologDoctypeAndNamespacesAndItsClipIdsAreRenumbered() {
    String svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/svg11.dtd\">\n"
        + "<svg xmlns=\"http://www.w3.org/2000/svg\"\n"
        + "  xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"560\">"
        + "<clipPath id=\"clip7\"/><g clip-path=\"url(#clip7)\"/>"
        + "<clipPath id=\"clip12\"/><path d=\"M0 0\" clip-path=\"url(#clip12)\"/>"
        + "<text>clip xmlns clips</text></svg>\n";

    assertEquals("<svg role=\"img\" class=\"chart\" width=\"560\">"
        + "<clipPath id=\"bars-clip0\"/><g clip-path=\"url(#bars-clip0)\"/>"
        + "<clipPath id=\"bars-clip1\"/><path d=\"M0 0\" clip-path=\"url(#bars-clip1)\"/>"
        + "<text>clip xmlns clips</text></svg>", ReportCharts.inline(svg, "bars"));
  }

  /** Texts of the parts the rewrite looks for, near misses and all, in random order. */
  @Test
  void anyTextIsRewrittenAsTheRegularExpressionsOfTheDefinitionDo() {
    List<String> parts = List.of("<?xml", " version=\"1\"", "?>", ">", "<!DOCTYPE", " svg",
        " ", "\n", "\t", "xmlns", ":xlink", ":", "=\"", "\"", "=", "clip", "7", "12", "clipx",
        "<svg ", "<svg", "x", "?", "<", "<?xm", "_a");
    Random random = new Random(20261205);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(40);
      for (int j = 0; j < length; j++) {
        text.append(parts.get(random.nextInt(parts.size())));
      }
      String svg = text.toString();
      assertEquals(byRegularExpressions(svg, "c"), ReportCharts.inline(svg, "c"), svg);
    }
  }

  /** The rewrite as first written: three regular expressions over the whole text. */
  private static String byRegularExpressions(String svg, String chartId) {
    String text = Pattern.compile("<\\?xml[^>]*\\?>|<!DOCTYPE[^>]*>").matcher(svg).replaceAll("");
    text = Pattern.compile("\\s+xmlns(:\\w+)?=\"[^\"]*\"").matcher(text).replaceAll("");
    Map<String, String> ids = new HashMap<>();
    Matcher m = Pattern.compile("clip\\d+").matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, ids.computeIfAbsent(m.group(), k -> chartId + "-clip" + ids.size()));
    }
    m.appendTail(out);
    return out.toString().strip().replaceFirst("<svg ", "<svg role=\"img\" class=\"chart\" ");
  }
}
