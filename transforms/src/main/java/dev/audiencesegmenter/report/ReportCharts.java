package dev.audiencesegmenter.report;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
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
  private static final Pattern PROLOG = Pattern.compile("<\\?xml[^>]*\\?>|<!DOCTYPE[^>]*>");
  private static final Pattern NAMESPACES = Pattern.compile("\\s+xmlns(:\\w+)?=\"[^\"]*\"");
  private static final Pattern CLIP_ID = Pattern.compile("clip\\d+");

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

  static String inline(String svg, String chartId) {
    String text = PROLOG.matcher(svg).replaceAll("");
    text = NAMESPACES.matcher(text).replaceAll("");
    Map<String, String> ids = new HashMap<>();
    Matcher m = CLIP_ID.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String id = ids.computeIfAbsent(m.group(), k -> chartId + "-clip" + ids.size());
      m.appendReplacement(out, id);
    }
    m.appendTail(out);
    return out.toString().strip()
        .replaceFirst("<svg ", "<svg role=\"img\" class=\"chart\" ");
  }
}
