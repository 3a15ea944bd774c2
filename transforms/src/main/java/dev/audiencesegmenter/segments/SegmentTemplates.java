package dev.audiencesegmenter.segments;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The campaigns every team starts with, as segment templates: a segment in the YAML file
 * names one ({@code template: cart_abandoners}) with its parameters instead of writing a
 * {@code when} rule, and the template writes the rule. The rule is then type-checked and
 * evaluated like a hand-written one, so a template is only a shorter way to write it.
 *
 * <pre>{@code
 * - template: lapsed_customers      # name defaults to the template's
 *   days: 120
 * - name: vip_cart_recovery
 *   template: cart_abandoners
 *   window: 24h
 * }</pre>
 *
 * <p>Each template says what it is for ({@link Template#use}) and the activation it suits
 * ({@link Template#activation}); the transforms README lists them.
 */
public final class SegmentTemplates {
  private SegmentTemplates() {}

  /** The kind of value a parameter takes, and how its text is read. */
  enum Kind {
    /** A whole number of days, 1 or more: {@code 30} or {@code 30d}. */
    DAYS,
    /** A whole number, 1 or more. */
    COUNT,
    /** A fraction between 0 and 1. */
    FRACTION,
    /** One of a fixed list of words. */
    CHOICE
  }

  /** A parameter: its kind, its default (null when it must be given), a choice's words. */
  record Parameter(String name, Kind kind, String defaultValue, List<String> choices,
      String meaning) {}

  /**
   * A template: the rule it writes from its parameters' values, what it is for, and the
   * parameter whose value names its segments by default (null: the template's name).
   */
  public record Template(String name, String description, String use, String activation,
      List<Parameter> parameters, Function<Map<String, String>, String> rule,
      @Nullable String nameParameter) {

    /** A template whose segments are named after it. */
    Template(String name, String description, String use, String activation,
        List<Parameter> parameters, Function<Map<String, String>, String> rule) {
      this(name, description, use, activation, parameters, rule, null);
    }

    /**
     * The rule with each parameter at its default, a required one shown as {@code <name>}: how
     * the documentation shows the template.
     */
    public String documentedRule() {
      Map<String, String> values = new LinkedHashMap<>();
      parameters.forEach(p -> values.put(p.name(),
          p.defaultValue() == null ? "<" + p.name() + ">" : p.defaultValue()));
      return rule.apply(values);
    }

    /** The parameters' names, in the order they are documented. */
    public List<String> parameterNames() {
      return parameters.stream().map(Parameter::name).toList();
    }
  }

  /** A template applied: the rule and the defaults it gives the segment. */
  public record Expansion(String defaultName, String description, String when) {}

  private static final Map<String, Template> TEMPLATES = templates();

  /** Every template, by name. */
  public static Map<String, Template> all() {
    return TEMPLATES;
  }

  /**
   * The rule of {@code template} with {@code values} (parameter name to its text in the
   * file). Throws {@link IllegalArgumentException} naming the unknown template, the unknown or
   * missing parameter, or the bad value and what it must be.
   */
  public static Expansion expand(String template, Map<String, String> values) {
    Template t = TEMPLATES.get(template);
    if (t == null) {
      throw new IllegalArgumentException("unknown template '" + template + "' (known: "
          + String.join(", ", TEMPLATES.keySet()) + ")"
          + ClosestName.suggestion(template, TEMPLATES.keySet()));
    }
    for (String given : values.keySet()) {
      if (!t.parameterNames().contains(given)) {
        throw new IllegalArgumentException("template '" + template + "' has no parameter '"
            + given + "' (" + (t.parameters().isEmpty() ? "it takes none"
            : "it takes " + String.join(", ", t.parameterNames())) + ")"
            + ClosestName.suggestion(given, t.parameterNames()));
      }
    }
    Map<String, String> read = new LinkedHashMap<>();
    for (Parameter p : t.parameters()) {
      String text = values.get(p.name());
      if (text == null && p.defaultValue() == null) {
        throw new IllegalArgumentException("template '" + template + "' needs '" + p.name()
            + "': " + p.meaning());
      }
      read.put(p.name(), read(template, p, text == null ? p.defaultValue() : text));
    }
    String name = t.nameParameter() == null ? template : read.get(t.nameParameter());
    return new Expansion(name, t.description(), t.rule().apply(read));
  }

  /** The value of {@code p} as it goes into a rule, or a message saying what it must be. */
  private static String read(String template, Parameter p, String text) {
    String value = text.strip().toLowerCase(Locale.ROOT);
    String problem = "template '" + template + "': " + p.name() + " must be ";
    switch (p.kind()) {
      case DAYS -> {
        String digits = value.endsWith("d") ? value.substring(0, value.length() - 1) : value;
        if (!digits.matches("[0-9]{1,5}") || Long.parseLong(digits) < 1) {
          throw new IllegalArgumentException(problem + "a whole number of days, 1 or more "
              + "(e.g. 30 or 30d), got '" + text + "'");
        }
        return Long.toString(Long.parseLong(digits));
      }
      case COUNT -> {
        if (!value.matches("[0-9]{1,9}") || Long.parseLong(value) < 1) {
          throw new IllegalArgumentException(problem + "a whole number, 1 or more, got '"
              + text + "'");
        }
        return Long.toString(Long.parseLong(value));
      }
      case FRACTION -> {
        double d;
        try {
          d = Double.parseDouble(value);
        } catch (NumberFormatException e) {
          d = Double.NaN;
        }
        if (!(d >= 0 && d <= 1)) {
          throw new IllegalArgumentException(problem + "a number from 0 to 1, got '" + text
              + "'");
        }
        return Double.toString(d);
      }
      default -> {
        if (!p.choices().contains(value)) {
          throw new IllegalArgumentException(problem + "one of " + String.join(", ",
              p.choices()) + ", got '" + text + "'" + (p.choices().size() > 1
              ? ClosestName.suggestion(value, p.choices()) : "")
              + (p.meaning().isEmpty() ? "" : " (" + p.meaning() + ")"));
        }
        return value;
      }
    }
  }

  private static Map<String, Template> templates() {
    Map<String, Template> out = new TreeMap<>();
    add(out, new Template("new_subscribers",
        "First seen in the last days, with email consent",
        "Welcome and onboarding: introduce the brand, a first-purchase offer, preferences.",
        "An email welcome series started the day they join.",
        List.of(days("days", "30", "how recently they were first seen")),
        v -> "tenure_days < " + v.get("days") + " && consent_email == true"));
    add(out, new Template("inactive_users",
        "No activity of any kind (visits, emails, purchases) for days",
        "Re-engagement before they are lost: news, content, a reminder of what they used.",
        "Email or push; paid-social retargeting for those without consent.",
        List.of(days("days", "30", "days without any activity")),
        v -> "days_inactive >= " + v.get("days")));
    add(out, new Template("cart_abandoners",
        "Added to a cart and did not buy in the last 24 hours",
        "Cart recovery: a reminder of the items, answers to doubts (shipping, returns).",
        "An email or push within hours; an incentive only on a second reminder.",
        List.of(new Parameter("window", Kind.CHOICE, "24h", List.of("24h"),
            "the features track carts over the last 24 hours (cart_abandoned_24h)")),
        v -> "cart_abandoned_24h"));
    add(out, new Template("vips",
        "The top tier by predicted lifetime value (value_tiers cut-offs)",
        "Keep the best customers: early access, perks, a personal thank-you, no discounts.",
        "Personal outreach (account manager, handwritten note), a VIP email list.",
        List.of(), v -> "value_tier == 'vip'"));
    add(out, new Template("lapsed_customers",
        "Bought before, but not in the last days",
        "Win them back while they still remember the brand: new arrivals, a comeback offer.",
        "An email win-back sequence; paid-social audiences for those without consent.",
        List.of(days("days", "90", "days since the last purchase")),
        v -> "frequency > 0 && recency_days >= " + v.get("days")));
    add(out, new Template("at_risk_high_value",
        "VIPs whose churn risk (1 - P(alive)) is high",
        "Save the revenue that matters most before it leaves: service, a personal offer.",
        "A personal call or email from customer success; a retention offer.",
        List.of(new Parameter("min_churn_risk", Kind.FRACTION, "0.5", List.of(),
            "the churn risk from which a VIP counts as at risk")),
        v -> "value_tier == 'vip' && churn_risk >= " + v.get("min_churn_risk")));
    add(out, new Template("win_back",
        "Customers the lifecycle stage says have churned, who had bought",
        "A last, stronger offer to those already gone; measure it against a holdout.",
        "An email or direct mail with the best offer you can afford.",
        List.of(new Parameter("min_orders", Kind.COUNT, "1", List.of(),
            "orders they had placed")),
        v -> "lifecycle_stage == 'churned' && frequency >= " + v.get("min_orders")));
    add(out, new Template("repeat_buyers",
        "Bought at least min_orders times (in the window, or ever)",
        "Loyalty: cross-sell, subscriptions, referral programmes.",
        "Email and app push with recommendations; a loyalty programme invitation.",
        List.of(new Parameter("min_orders", Kind.COUNT, "2", List.of(), "orders placed"),
            new Parameter("window", Kind.CHOICE, "ever",
                List.of("ever", "30d", "90d", "180d", "365d"), "the period the orders count in")),
        v -> (v.get("window").equals("ever") ? "frequency"
            : "purchases_" + v.get("window")) + " >= " + v.get("min_orders")));
    add(out, new Template("rfm_cell",
        "One named cell of the RFM map (see the rfm family)",
        "Act on one RFM cell alone: champions, loyal, at_risk, cant_lose_them, ...",
        "Depends on the cell: rewards for champions, win-back for at_risk and hibernating.",
        List.of(new Parameter("cell", Kind.CHOICE, null, RfmScores.SEGMENTS,
            "one of the RFM map's named cells")),
        v -> "rfm_segment == '" + v.get("cell") + "'", "cell"));
    return java.util.Collections.unmodifiableMap(out);
  }

  private static Parameter days(String name, String defaultDays, String meaning) {
    return new Parameter(name, Kind.DAYS, defaultDays, List.of(), meaning);
  }

  private static void add(Map<String, Template> out, Template template) {
    out.put(template.name(), template);
  }

  /** The parameters of {@code template} as documented: name, default and meaning. */
  public static List<String> describeParameters(Template template) {
    List<String> out = new ArrayList<>();
    for (Parameter p : template.parameters()) {
      String choices = p.kind() == Kind.CHOICE && p.choices().size() <= 5
          ? "; " + String.join(", ", p.choices()) : "";
      out.add(p.name() + (p.defaultValue() == null ? " (required" + choices + ")"
          : " (default " + p.defaultValue() + choices + ")") + ": " + p.meaning());
    }
    return out;
  }
}
