package dev.audiencesegmenter.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import dev.audiencesegmenter.segments.SegmentPlan;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Renders {@link ReportContent} as the segment report: {@code index.html}, one self-contained
 * page (inline CSS and SVG charts, no script, no network address) that any browser shows
 * offline, and {@code summary.md} with the same sections, the charts given as their data
 * tables. The output depends only on the content: no dates or random ids, so every runner
 * writes the same bytes.
 */
public final class ReportDocument {
  /** Lifecycle stages in funnel order; other values follow by name. */
  static final List<String> LIFECYCLE_ORDER = List.of("new", "active", "at_risk", "churned",
      "reactivated");

  private final ReportContent content;
  private final @Nullable JsonNode holdout;
  private final StringBuilder html = new StringBuilder();
  private final StringBuilder md = new StringBuilder();
  private int charts;
  private int drawn;

  private final List<JsonNode> syncLogs;

  private ReportDocument(ReportContent content, @Nullable JsonNode holdout,
      List<JsonNode> syncLogs) {
    this.content = content;
    this.holdout = holdout;
    this.syncLogs = syncLogs;
  }

  /**
   * The report rendered once, as HTML and as Markdown: the charts (most of the cost) are drawn
   * for the HTML only.
   */
  public static ReportDocument render(ReportContent content) {
    return render(content, null);
  }

  /**
   * As {@link #render(ReportContent)}, with a section on the value models' check against a
   * holdout when {@code holdoutJson} (the text of {@code model/holdout-validation.json}) is
   * given.
   */
  public static ReportDocument render(ReportContent content, @Nullable String holdoutJson) {
    return render(content, holdoutJson, List.of());
  }

  /**
   * As {@link #render(ReportContent, String)}, with a section on the run's activation when
   * {@code syncLogs} (one JSON line per destination, see the io module's sync log) is not
   * empty.
   */
  public static ReportDocument render(ReportContent content, @Nullable String holdoutJson,
      List<String> syncLogs) {
    List<JsonNode> logs = new ArrayList<>();
    for (String line : syncLogs) {
      try {
        logs.add(new ObjectMapper().readTree(line));
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("a sync log line is not JSON: "
            + e.getOriginalMessage(), e);
      }
    }
    JsonNode holdout = null;
    if (holdoutJson != null) {
      try {
        holdout = new ObjectMapper().readTree(holdoutJson);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("the holdout validation is not JSON: "
            + e.getOriginalMessage(), e);
      }
    }
    ReportDocument d = new ReportDocument(content, holdout, logs);
    d.build();
    return d;
  }

  /** The report as HTML. */
  public String html() {
    return html.toString();
  }

  /** The report as Markdown. */
  public String markdown() {
    return md.toString();
  }

  /** How many charts were drawn (a chart the JVM could not draw is not counted). */
  public int chartsDrawn() {
    return drawn;
  }

  private void build() {
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>Segment report</title>\n<style>\n").append(CSS).append("</style>\n")
        .append("</head>\n<body>\n");
    List<SegmentProfile> profiles = content.profiles();
    heading(1, "Segment report");
    paragraph(content.customers() + " customers, " + profiles.size() + " segments in "
        + content.definitions().getGroups().size() + " groups.");
    overview(profiles);
    warnings(profiles);
    heading(2, "Charts");
    sizesAndValue(profiles);
    lifecycleFunnel();
    rfmGrid();
    transitionMatrices();
    segmentProfiles();
    responses();
    valueModelsOnTheHoldout();
    activation();
    heading(2, "Personas");
    for (SegmentProfile p : profiles) {
      persona(p);
    }
    html.append("</body>\n</html>\n");
  }

  private void overview(List<SegmentProfile> profiles) {
    heading(2, "Summary");
    paragraph("Flags: M measurable, S substantial, A accessible, D differentiable, "
        + "Ac actionable, St stable (yes, no, ? not measured). Priority: attractiveness + fit + "
        + "accessibility + strategic value, each 1-10; 30-40 primary, 20-29 secondary, "
        + "below 20 opportunistic.");
    List<List<String>> rows = new ArrayList<>();
    for (SegmentProfile p : profiles) {
      rows.add(List.of(p.getSegment(), p.getGroup(), Long.toString(p.getSize()),
          percent(p.getShare()), money(p.getRevenue()), number(p.getMeanClv(), 2),
          number(p.getMedianClv(), 2), number(p.getMeanChurnRisk(), 3),
          flag(p.getMeasurable()) + " " + flag(p.getSubstantial()) + " "
              + flag(p.getAccessible()) + " " + flag(p.getDifferentiable()) + " "
              + flag(p.getActionable()) + " " + flag(p.getStable()),
          p.getAttractiveness() + "+" + p.getFit() + "+" + p.getAccessibility() + "+"
              + p.getStrategicValue() + " = " + p.getPriorityScore(),
          p.getPriorityTier()));
    }
    table(List.of("segment", "group", "size", "share", "revenue", "mean CLV", "median CLV",
        "churn risk", "M S A D Ac St", "priority", "tier"), rows);
  }

  private void warnings(List<SegmentProfile> profiles) {
    Set<String> all = new LinkedHashSet<>();
    for (SegmentProfile p : profiles) {
      for (String w : p.getWarnings()) {
        all.add(w.startsWith("group '") ? w : p.getSegment() + ": " + w);
      }
    }
    if (all.isEmpty()) {
      return;
    }
    heading(2, "Warnings");
    list(new ArrayList<>(all));
  }

  private void sizesAndValue(List<SegmentProfile> profiles) {
    List<String> names = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    List<Double> revenue = new ArrayList<>();
    List<Double> clv = new ArrayList<>();
    boolean anyClv = false;
    for (SegmentProfile p : profiles) {
      names.add(p.getSegment());
      sizes.add(p.getSize());
      revenue.add(p.getRevenue().doubleValue());
      clv.add(p.getMeanClv() == null ? 0 : p.getMeanClv());
      anyClv |= p.getMeanClv() != null;
    }
    heading(3, "Segment sizes and value");
    chart(() -> ReportCharts.bars("Segment size", "customers", names,
        Map.of("size", sizes), id()));
    chart(() -> ReportCharts.bars("Segment revenue", "revenue", names,
        Map.of("revenue", revenue), id()));
    if (anyClv) {
      chart(() -> ReportCharts.bars("Mean predicted CLV (365 days)", "CLV", names,
          Map.of("mean CLV", clv), id()));
    }
    mdOnly("(Sizes and value are in the summary table above.)");
  }

  private void lifecycleFunnel() {
    heading(3, "Lifecycle funnel");
    Map<String, Long> stages = content.lifecycleStages();
    if (stages.isEmpty()) {
      paragraph("Not available: the features have no lifecycle_stage column.");
      return;
    }
    List<String> order = new ArrayList<>();
    LIFECYCLE_ORDER.stream().filter(stages::containsKey).forEach(order::add);
    new TreeSet<>(stages.keySet()).stream().filter(s -> !order.contains(s))
        .forEach(order::add);
    List<Long> counts = order.stream().map(stages::get).toList();
    chart(() -> ReportCharts.bars("Customers per lifecycle stage", "customers", order,
        Map.of("customers", counts), id()));
    List<List<String>> rows = new ArrayList<>();
    for (String stage : order) {
      rows.add(List.of(stage, Long.toString(stages.get(stage)),
          percent((double) stages.get(stage) / Math.max(1, content.customers()))));
    }
    table(List.of("stage", "customers", "share"), rows);
  }

  private void rfmGrid() {
    heading(3, "RFM grid");
    Map<String, Long> cells = content.rfmCells();
    if (cells.isEmpty()) {
      paragraph("Not available: the features have no RFM score columns (r_score, f_score).");
      return;
    }
    TreeSet<String> rs = new TreeSet<>();
    TreeSet<String> fs = new TreeSet<>();
    Map<List<String>, Long> grid = new LinkedHashMap<>();
    cells.forEach((cell, n) -> {
      String[] rf = cell.split(",", 2);
      rs.add(rf[0]);
      fs.add(rf[1]);
      grid.put(List.of(rf[0], rf[1]), n);
    });
    chart(() -> ReportCharts.heatMap("Customers per RFM cell", "recency score (R)",
        "frequency score (F)", new ArrayList<>(rs), new ArrayList<>(fs), grid, id()));
    List<String> header = new ArrayList<>();
    header.add("F \\ R");
    header.addAll(rs);
    List<List<String>> rows = new ArrayList<>();
    for (String f : fs.descendingSet()) {
      List<String> row = new ArrayList<>();
      row.add(f);
      for (String r : rs) {
        row.add(Long.toString(grid.getOrDefault(List.of(r, f), 0L)));
      }
      rows.add(row);
    }
    table(header, rows);
  }

  private void transitionMatrices() {
    heading(3, "Movement since the previous run");
    if (content.transitions().isEmpty()) {
      paragraph("Not available: run with --previousSegments to see the transition matrix.");
      return;
    }
    Map<String, List<SegmentTransition>> byGroup = new TreeMap<>();
    content.transitions().forEach(t ->
        byGroup.computeIfAbsent(t.getGroup(), g -> new ArrayList<>()).add(t));
    for (Map.Entry<String, List<SegmentTransition>> e : byGroup.entrySet()) {
      Set<String> froms = new TreeSet<>();
      Set<String> tos = new TreeSet<>();
      Map<List<String>, Long> cells = new LinkedHashMap<>();
      for (SegmentTransition t : e.getValue()) {
        froms.add(t.getFromSegment());
        tos.add(t.getToSegment());
        cells.put(List.of(t.getToSegment(), t.getFromSegment()), t.getCustomers());
      }
      chart(() -> ReportCharts.heatMap("Group " + e.getKey() + ": previous run (rows) to now",
          "now", "previous run", new ArrayList<>(tos), new ArrayList<>(froms), cells, id()));
      List<String> header = new ArrayList<>();
      header.add("from \\ to");
      header.addAll(tos);
      List<List<String>> rows = new ArrayList<>();
      for (String from : froms) {
        List<String> row = new ArrayList<>();
        row.add(from);
        for (String to : tos) {
          row.add(Long.toString(cells.getOrDefault(List.of(to, from), 0L)));
        }
        rows.add(row);
      }
      paragraph("Group " + e.getKey() + " (customers):");
      table(header, rows);
    }
  }

  /** Per group, how each segment differs from the rest on the key features (cluster profiles). */
  private void segmentProfiles() {
    heading(3, "Segment profiles (standardized difference from the rest)");
    for (SegmentDefinitions.Group group : content.definitions().getGroups()) {
      List<String> features = new ArrayList<>();
      for (SegmentDefinitions.Segment s : group.segments()) {
        for (String f : detail(s.name()).differences().keySet()) {
          if (!features.contains(f)) {
            features.add(f);
          }
        }
      }
      if (features.isEmpty()) {
        continue;
      }
      Map<String, List<? extends Number>> series = new LinkedHashMap<>();
      List<List<String>> rows = new ArrayList<>();
      for (SegmentDefinitions.Segment s : group.segments()) {
        Map<String, Double> d = detail(s.name()).differences();
        series.put(s.name(), features.stream().map(f -> d.getOrDefault(f, 0.0)).toList());
        List<String> row = new ArrayList<>();
        row.add(s.name());
        features.forEach(f -> row.add(number(d.get(f), 2)));
        rows.add(row);
      }
      chart(() -> ReportCharts.bars("Group " + group.name(), "SMD vs rest", features, series,
          id()));
      List<String> header = new ArrayList<>();
      header.add("segment");
      header.addAll(features);
      table(header, rows);
    }
  }

  private void responses() {
    if (content.responses().isEmpty()) {
      return;
    }
    heading(3, "Response: treatment against holdout");
    paragraph("Conversion: a purchase in the outcome window after the previous run. "
        + "z and p: pooled two-proportion z-test, two-sided.");
    List<List<String>> rows = new ArrayList<>();
    for (SegmentResponse r : content.responses()) {
      rows.add(List.of(r.getSegment(), r.getTreatmentConversions() + " / "
          + r.getTreatmentSize(), r.getHoldoutConversions() + " / " + r.getHoldoutSize(),
          percentOrDash(r.getTreatmentRate()), percentOrDash(r.getHoldoutRate()),
          number(r.getLift(), 3), number(r.getZ(), 3), number(r.getTwoSidedPValue(), 4)));
    }
    table(List.of("segment", "treated converted", "holdout converted", "treated rate",
        "holdout rate", "lift", "z", "p"), rows);
  }

  /**
   * The purchase models against what the calibration cohort did in the holdout: their scores,
   * and the cumulative repeat purchases week by week (the papers' tracking plot).
   */
  private void valueModelsOnTheHoldout() {
    if (holdout == null) {
      return;
    }
    heading(3, "Value models against the holdout");
    paragraph("Fitted on purchases before " + holdout.path("calibration_end").asText()
        + ", predicting the " + holdout.path("customers").asLong() + " customers who had bought"
        + " by then until " + holdout.path("holdout_end").asText() + ". Chosen model: "
        + holdout.path("chosen_model").asText() + " (the smallest mean absolute error per"
        + " customer). Errors are per customer; the error of the total is relative to what"
        + " they did.");
    List<List<String>> rows = new ArrayList<>();
    JsonNode curve = holdout.path("cumulative_repeat_purchases");
    Map<String, List<? extends Number>> series = new LinkedHashMap<>();
    series.put("actual", numbers(curve.path("actual")));
    for (JsonNode model : holdout.path("models")) {
      String name = model.path("model").asText();
      if (!model.path("fitted").asBoolean()) {
        rows.add(List.of(name, "not fitted", "", "", "", "", ""));
        continue;
      }
      rows.add(scoreRow(name, model, holdout.path("actual_repeat_purchases").asLong()));
      series.put(name, numbers(curve.path(name)));
    }
    table(List.of("model", "predicted repeat purchases", "actual", "error of total",
        "mean absolute error", "predicted spend", "spend mean absolute error"), rows);
    List<? extends Number> weeks = numbers(curve.path("weeks"));
    if (!weeks.isEmpty()) {
      chart(() -> ReportCharts.lines("Cumulative repeat purchases in the holdout",
          "week (the last ends at the holdout's end)", "repeat purchases", weeks, series, id()));
      mdOnly("(The week-by-week figures are in `model/holdout-validation.json`, under "
          + "`cumulative_repeat_purchases`.)");
    }
  }

  /** One model's row of the holdout table: its scores against the actual repeat purchases. */
  private static List<String> scoreRow(String name, JsonNode scores, long actual) {
    return List.of(name, number(scores, "predicted_repeat_purchases", 2),
        String.valueOf(actual), number(scores, "error_of_total", 4),
        number(scores, "mean_absolute_error", 4), number(scores, "predicted_spend", 2),
        number(scores, "spend_mean_absolute_error", 4));
  }

  /** What this run's sync did at each destination (the sync log). */
  private void activation() {
    if (syncLogs.isEmpty()) {
      return;
    }
    heading(2, "Activation");
    paragraph("Customers per destination in this run: added (first in a segment there), "
        + "updated, removed (out of every segment there), unsubscribed (a consent withdrawal), "
        + "rejected by the platform, and skipped because they never consented. The same "
        + "figures are in sync-log/destinations.jsonl.");
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode log : syncLogs) {
      JsonNode first = log.path("first_rejections").path(0);
      rows.add(List.of(log.path("platform").asText() + (log.path("dry_run").asBoolean()
              ? " (dry run)" : ""),
          log.path("added").asText(), log.path("updated").asText(),
          log.path("removed").asText(), log.path("unsubscribed").asText(),
          log.path("rejected").asText(), log.path("skipped_for_consent").asText(),
          first.isMissingNode() ? "" : first.path("reason").asText() + " ("
              + first.path("count").asText() + ")"));
    }
    table(List.of("destination", "added", "updated", "removed", "unsubscribed", "rejected",
        "skipped for consent", "most frequent rejection"), rows);
  }

  /** A number of the holdout file to {@code places} decimals; "-" when it is null or absent. */
  private static String number(JsonNode node, String field, int places) {
    JsonNode value = node.path(field);
    return value.isNumber() ? number(value.asDouble(), places) : "-";
  }

  private static List<Double> numbers(JsonNode array) {
    List<Double> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asDouble()));
    return out;
  }

  private void persona(SegmentProfile p) {
    SegmentDefinitions.Segment segment = content.definitions().getSegments().stream()
        .filter(s -> s.name().equals(p.getSegment())).findFirst().orElseThrow();
    ReportContent.Detail detail = detail(p.getSegment());
    html.append("<section class=\"persona tier-").append(escape(p.getPriorityTier()))
        .append("\">\n");
    heading(3, p.getSegment() + " (" + p.getGroup() + ")");
    paragraph(segment.description().isEmpty() ? "Condition: " + segment.when()
        : segment.description());
    List<String> facts = new ArrayList<>();
    facts.add("Size: " + p.getSize() + " customers (" + percent(p.getShare()) + "), holdout "
        + p.getHoldoutSize());
    facts.add("Value: revenue " + money(p.getRevenue())
        + (p.getRevenueShare() == null ? "" : " (" + percent(p.getRevenueShare()) + ")")
        + ", mean CLV " + number(p.getMeanClv(), 2) + ", median CLV "
        + number(p.getMedianClv(), 2) + ", churn risk " + number(p.getMeanChurnRisk(), 3));
    List<String> behavior = new ArrayList<>();
    detail.means().forEach((f, v) -> behavior.add(f + " " + number(v, 2)));
    facts.add("Behavior (means): " + (behavior.isEmpty() ? "-" : String.join(", ", behavior)));
    facts.add("Preferred channel: " + (p.getPreferredChannel() == null ? "not measured"
        : p.getPreferredChannel()) + mix(detail.categories().get("preferred_device"),
            "; devices "));
    facts.add("Lifecycle mix: " + (p.getLifecycleMix().isEmpty() ? "not measured"
        : mix(p.getLifecycleMix(), "")));
    List<String> traits = new ArrayList<>();
    for (SegmentTrait t : p.getTopTraits()) {
      traits.add(t.getTrait() + ": " + number(t.getSegmentValue(), 3) + " vs "
          + number(t.getRestValue(), 3) + " (lift " + number(t.getLift(), 2) + ", SMD "
          + number(t.getSmd(), 2) + ")");
    }
    facts.add("Distinguishing traits: " + (traits.isEmpty() ? "-" : String.join("; ", traits)));
    SegmentPlan.Activation plan = segment.plan().activation();
    facts.add("Activation plan: " + (plan == null ? "none"
        : "channels " + (plan.channels().isEmpty() ? "-" : String.join(", ", plan.channels()))
            + "; message theme " + orDash(plan.messageTheme()) + "; offer "
            + orDash(plan.offer()) + "; KPI " + orDash(plan.kpi()) + "; owner "
            + orDash(plan.owner())));
    facts.add("Priority: " + p.getPriorityScore() + " (" + p.getPriorityTier()
        + "): attractiveness " + p.getAttractiveness() + ", fit " + p.getFit()
        + ", accessibility " + p.getAccessibility() + ", strategic value "
        + p.getStrategicValue());
    if (p.getMembershipChurn() != null) {
      facts.add("Since the previous run: " + p.getEntered() + " entered, " + p.getExited()
          + " left (membership churn " + percent(p.getMembershipChurn()) + ")");
    }
    list(facts);
    html.append("</section>\n");
  }

  private ReportContent.Detail detail(String segment) {
    return content.details().getOrDefault(segment,
        new ReportContent.Detail(Map.of(), Map.of(), Map.of()));
  }

  // ---- output helpers: each writes to both documents ----

  private void heading(int level, String text) {
    html.append("<h").append(level).append(">").append(escape(text)).append("</h")
        .append(level).append(">\n");
    md.append("#".repeat(level)).append(' ').append(markdown(text)).append("\n\n");
  }

  private void paragraph(String text) {
    html.append("<p>").append(escape(text)).append("</p>\n");
    md.append(markdown(text)).append("\n\n");
  }

  private void mdOnly(String text) {
    md.append(text).append("\n\n");
  }

  private void list(List<String> items) {
    html.append("<ul>\n");
    for (String item : items) {
      html.append("<li>").append(escape(item)).append("</li>\n");
      md.append("- ").append(markdown(item)).append('\n');
    }
    html.append("</ul>\n");
    md.append('\n');
  }

  private void table(List<String> header, List<List<String>> rows) {
    html.append("<table>\n<thead><tr>");
    header.forEach(h -> html.append("<th>").append(escape(h)).append("</th>"));
    html.append("</tr></thead>\n<tbody>\n");
    md.append('|');
    header.forEach(h -> md.append(' ').append(cell(h)).append(" |"));
    md.append("\n|");
    header.forEach(h -> md.append("---|"));
    md.append('\n');
    for (List<String> row : rows) {
      html.append("<tr>");
      row.forEach(c -> html.append("<td>").append(escape(c)).append("</td>"));
      html.append("</tr>\n");
      md.append('|');
      row.forEach(c -> md.append(' ').append(cell(c)).append(" |"));
      md.append('\n');
    }
    html.append("</tbody>\n</table>\n");
    md.append('\n');
  }

  /** A chart in the HTML only (the Markdown has its data as a table). */
  private void chart(Supplier<String> svg) {
    String drawn;
    try {
      drawn = svg.get();
    } catch (RuntimeException | LinkageError | java.awt.AWTError e) {
      // A JVM without a usable graphics stack still gets every figure, as tables.
      html.append("<p class=\"note\">Chart not drawn: ")
          .append(escape(e.getClass().getSimpleName())).append("</p>\n");
      return;
    }
    this.drawn++;
    html.append("<figure>").append(drawn).append("</figure>\n");
  }

  private String id() {
    return "c" + (++charts);
  }

  private static String mix(@Nullable Map<String, Long> counts, String prefix) {
    if (counts == null || counts.isEmpty()) {
      return "";
    }
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    List<String> parts = new ArrayList<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed()
            .thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> parts.add(e.getKey() + " " + percent((double) e.getValue() / total)));
    return prefix + String.join(", ", parts);
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (char c : text.toCharArray()) {
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static String cell(String text) {
    return markdown(text).replace("|", "\\|");
  }

  /**
   * Text for the Markdown, where it could otherwise be markup: names and values come from data
   * and segment files, and most renderers pass HTML through. HTML's special characters become
   * entities, brackets are escaped (no links or images), as is a backslash that would escape
   * what follows; line breaks become spaces (no new heading or list). Other text, emphasis
   * included, is left as it is.
   */
  static String markdown(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      String replacement = switch (c) {
        case '<' -> "&lt;";
        case '>' -> "&gt;";
        case '&' -> "&amp;";
        case '[' -> "\\[";
        case ']' -> "\\]";
        case '\n', '\r' -> " ";
        // "F \ R" stays; only a backslash before punctuation escapes something.
        case '\\' -> i + 1 < text.length() && isAsciiPunctuation(text.charAt(i + 1))
            ? "\\\\" : null;
        default -> null;
      };
      if (replacement != null && out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      if (out != null) {
        if (replacement != null) {
          out.append(replacement);
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? text : out.toString();
  }

  private static boolean isAsciiPunctuation(char c) {
    return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`'
        || c >= '{' && c <= '~';
  }

  private static String flag(@Nullable Boolean value) {
    return value == null ? "?" : value ? "yes" : "no";
  }

  private static String orDash(String text) {
    return text.isEmpty() ? "-" : text;
  }

  static String number(@Nullable Double value, int places) {
    if (value == null || !Double.isFinite(value)) {
      return "-";
    }
    return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_EVEN).toPlainString();
  }

  private static String money(BigDecimal value) {
    return value.setScale(2, RoundingMode.HALF_EVEN).toPlainString();
  }

  static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f %%", share * 100);
  }

  private static String percentOrDash(@Nullable Double share) {
    return share == null ? "-" : percent(share);
  }

  private static final String CSS = ""
      + "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
      + "margin:24px auto;max-width:1180px;padding:0 16px;color:#1d2733;background:#fff}\n"
      + "h1{color:#1b4f8a}h2{border-bottom:2px solid #d6e2f0;padding-bottom:4px;margin-top:32px}\n"
      + "table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}\n"
      + "th,td{border:1px solid #ccd6e0;padding:4px 8px;text-align:left}\n"
      + "th{background:#eef4fb}tbody tr:nth-child(even){background:#f8fafc}\n"
      + "figure{display:inline-block;vertical-align:top;margin:8px 12px 8px 0}svg.chart{max-width:100%;height:auto;border:1px solid #e3e9f0}\n"
      + ".persona{border:1px solid #ccd6e0;border-left:6px solid #6b7b8c;border-radius:6px;"
      + "padding:4px 16px;margin:16px 0;background:#fbfcfe}\n"
      + ".tier-primary{border-left-color:#3a9d5d}.tier-secondary{border-left-color:#d4a72c}\n"
      + ".note{color:#6b7b8c;font-style:italic}\n";
}
