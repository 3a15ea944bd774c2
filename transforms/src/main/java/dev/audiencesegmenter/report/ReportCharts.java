package dev.audiencesegmenter.report;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * The report's charts, drawn with XChart and exported as SVG (through VectorGraphics2D, headless:
 * text is drawn as paths, so no font is needed by the reader). The SVG is made fit to inline in
 * HTML and reproducible: no XML prolog, DOCTYPE or namespace URLs (so the page names no network
 * address), and clip-path ids renumbered in order of appearance.
 */
final class ReportCharts {
  static final int WIDTH = 560;
  static final int HEIGHT = 320;

  private ReportCharts() {}

  /** Bars, one series per entry of {@code series} (name -> value per category). */
  static String bars(String title, String yTitle, List<String> categories,
      Map<String, List<? extends Number>> series, String chartId) {
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .yAxisTitle(yTitle).build();
    style(chart.getStyler());
    // Long names side by side overlap: slant them.
    int letters = categories.stream().mapToInt(String::length).sum();
    chart.getStyler().setXAxisLabelRotation(letters > 60 ? 30 : 0);
    chart.getStyler().setYAxisDecimalPattern("#,##0.##");
    chart.getStyler().setLegendVisible(series.size() > 1);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    series.forEach((name, values) -> chart.addSeries(name, categories, values));
    return svg(chart, chartId);
  }

  /** Lines over a numeric x axis, one per entry of {@code series} (name -> y per x). */
  static String lines(String title, String xTitle, String yTitle, List<? extends Number> xs,
      Map<String, List<? extends Number>> series, String chartId) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    style(chart.getStyler());
    chart.getStyler().setYAxisDecimalPattern("#,##0.##");
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setMarkerSize(4);
    series.forEach((name, ys) -> chart.addSeries(name, xs, ys));
    return svg(chart, chartId);
  }

  /** A heat map of {@code cells} (x label, y label -> value), e.g. the RFM grid. */
  static String heatMap(String title, String xTitle, String yTitle, List<String> xs,
      List<String> ys, Map<List<String>, ? extends Number> cells, String chartId) {
    HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT + 80).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    style(chart.getStyler());
    chart.getStyler().setShowValue(true);
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setRangeColors(new Color[] {new Color(0xEEF4FB), new Color(0x2F6DB5)});
    chart.getStyler().setXAxisLabelRotation(xs.size() > 5 ? 30 : 0);
    List<Number[]> heat = new ArrayList<>();
    for (int x = 0; x < xs.size(); x++) {
      for (int y = 0; y < ys.size(); y++) {
        Number value = cells.get(List.of(xs.get(x), ys.get(y)));
        heat.add(new Number[] {x, y, value == null ? 0 : value});
      }
    }
    chart.addSeries(title, xs, ys, heat);
    return svg(chart, chartId);
  }

  private static void style(Styler styler) {
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setToolTipsEnabled(false);
    styler.setAntiAlias(true);
    styler.setSeriesColors(new Color[] {new Color(0x2F6DB5), new Color(0xE07B39),
        new Color(0x3A9D5D), new Color(0x8E5BB5), new Color(0xC9414B), new Color(0x6B7B8C),
        new Color(0xD4A72C)});
  }

  /** The chart as inline SVG; throws when the JVM cannot draw (reported by the caller). */
  private static String svg(Chart<?, ?> chart, String chartId) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      VectorGraphicsEncoder.saveVectorGraphic(chart, out,
          VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
      return inline(out.toString(StandardCharsets.UTF_8), chartId);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Removes the XML prolog and DOCTYPE ({@code <?xml ...?>}, {@code <!DOCTYPE ...>}) and the
   * namespace attributes (whitespace, {@code xmlns} or {@code xmlns:name}, {@code ="..."}), and
   * renames each {@code clip<digits>} to {@code <chartId>-clip<n>} in order of first appearance.
   * Each is one scan with {@code indexOf}: a chart's SVG is hundreds of kilobytes, and regular
   * expressions over it were about 8 % of a small Flink job's CPU samples.
   */
  static String inline(String svg, String chartId) {
    String text = withoutNamespaces(withoutProlog(svg));
    Map<String, String> ids = new HashMap<>();
    StringBuilder out = new StringBuilder(text.length() + 256);
    int from = 0;
    for (int at = text.indexOf("clip"); at >= 0; at = text.indexOf("clip", at + 1)) {
      int end = at + 4;
      while (end < text.length() && isDigit(text.charAt(end))) {
        end++;
      }
      if (end > at + 4) {
        String id = text.substring(at, end);
        out.append(text, from, at)
            .append(ids.computeIfAbsent(id, k -> chartId + "-clip" + ids.size()));
        from = end;
        at = end - 1;
      }
    }
    String inlined = out.append(text, from, text.length()).toString().strip();
    int svgTag = inlined.indexOf("<svg ");
    return svgTag < 0 ? inlined : inlined.substring(0, svgTag)
        + "<svg role=\"img\" class=\"chart\" " + inlined.substring(svgTag + 5);
  }

  /** Without {@code <?xml...?>} (ending at its first {@code >}) and {@code <!DOCTYPE...>}. */
  private static String withoutProlog(String text) {
    StringBuilder out = new StringBuilder(text.length());
    int from = 0;
    for (int at = text.indexOf('<'); at >= 0; at = text.indexOf('<', at + 1)) {
      int end = -1;
      if (text.startsWith("<?xml", at)) {
        int close = text.indexOf('>', at + 5);
        end = close > at + 5 && text.charAt(close - 1) == '?' ? close + 1 : -1;
      } else if (text.startsWith("<!DOCTYPE", at)) {
        int close = text.indexOf('>', at + 9);
        end = close < 0 ? -1 : close + 1;
      }
      if (end > 0) {
        out.append(text, from, at);
        from = end;
        at = end - 1;
      }
    }
    return out.append(text, from, text.length()).toString();
  }

  /** Without {@code <whitespace>xmlns[:word]="..."}, the whitespace before it included. */
  private static String withoutNamespaces(String text) {
    StringBuilder out = new StringBuilder(text.length());
    int from = 0;
    for (int at = text.indexOf("xmlns"); at >= 0; at = text.indexOf("xmlns", at + 1)) {
      int start = at;
      while (start > from && isSpace(text.charAt(start - 1))) {
        start--;
      }
      int end = at + 5;
      if (end < text.length() && text.charAt(end) == ':') {
        int word = end + 1;
        while (word < text.length() && isWordChar(text.charAt(word))) {
          word++;
        }
        end = word > end + 1 ? word : end;
      }
      int close = text.startsWith("=\"", end) ? text.indexOf('"', end + 2) : -1;
      if (start < at && close >= 0) {
        out.append(text, from, start);
        from = close + 1;
        at = close;
      }
    }
    return out.append(text, from, text.length()).toString();
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** {@code \s} of {@link java.util.regex.Pattern}. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  /** {@code \w} of {@link java.util.regex.Pattern}. */
  private static boolean isWordChar(char c) {
    return isDigit(c) || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
}
