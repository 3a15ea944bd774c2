package dev.audiencesegmenter.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SegmentMembership;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class SegmentTemplatesTest {

  private static SegmentDefinitions parse(String segments) {
    return SegmentDefinitions.parse("groups:\n  - name: campaigns\n    segments:\n" + segments,
        "segments.yaml");
  }

  private static String error(String segments) {
    return assertThrows(InvalidSegmentDefinitionException.class, () -> parse(segments))
        .getMessage();
  }

  @Test
  void eachTemplateWritesItsRuleWithDefaultsAndGivenParameters() {
    SegmentDefinitions d = parse("""
              - template: new_subscribers
              - template: inactive_users
                days: 45d
              - template: cart_abandoners
                window: 24h
              - template: vips
              - name: lapsed_half_year
                template: lapsed_customers
                days: 180
              - template: at_risk_high_value
                min_churn_risk: 0.7
              - template: win_back
              - template: repeat_buyers
                min_orders: 3
                window: 90d
              - name: repeat_ever
                template: repeat_buyers
              - template: rfm_cell
                cell: cant_lose_them
        """);
    Map<String, String> rules = new TreeMap<>();
    d.getSegments().forEach(s -> rules.put(s.name(), s.when()));
    Map<String, String> expected = new TreeMap<>(Map.of(
        "new_subscribers", "tenure_days < 30 && consent_email == true",
        "inactive_users", "days_inactive >= 45",
        "cart_abandoners", "cart_abandoned_24h",
        "vips", "value_tier == 'vip'",
        "lapsed_half_year", "frequency > 0 && recency_days >= 180",
        "at_risk_high_value", "value_tier == 'vip' && churn_risk >= 0.7",
        "win_back", "lifecycle_stage == 'churned' && frequency >= 1",
        "repeat_buyers", "purchases_90d >= 3",
        "repeat_ever", "frequency >= 2",
        "cant_lose_them", "rfm_segment == 'cant_lose_them'"));
    assertEquals(expected, rules);
    assertEquals("Bought before, but not in the last days",
        d.getSegments().get(4).description());
    // The rules' columns count for lineage like those of hand-written rules.
    assertEquals(List.of("churn_risk", "value_tier"),
        d.getColumnsRead().get("at_risk_high_value"));
  }

  private static CustomerFeatures customer(String id, UnaryOperator<CustomerFeatures.Builder>
      set) {
    CustomerFeatures.Builder b = CustomerFeatures.builder().setCustomerId(id)
        .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
        .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(182)
        .setRecencyDays(29L).setFrequency(1).setMonetaryTotal(new BigDecimal("10.00"))
        .setPurchases30d(1).setPurchases90d(1).setPurchases180d(1).setPurchases365d(1)
        .setEmailOpens90d(0).setEmailClicks90d(0).setSiteVisits30d(0).setSiteVisits90d(0)
        .setCartAbandoned24h(false).setDaysInactive(29L).setConsentEmail(true)
        .setValueTier("standard").setChurnRisk(0.2).setLifecycleStage("active")
        .setRfmSegment("promising");
    return set.apply(b).build();
  }

  @Test
  void templatedRulesSelectTheCustomersTheyDescribe() {
    SegmentDefinitions d = parse("""
              - template: new_subscribers
                days: 7
              - template: inactive_users
              - template: cart_abandoners
              - template: at_risk_high_value
              - template: repeat_buyers
              - template: rfm_cell
                cell: promising
        """);
    List<CustomerFeatures> customers = List.of(
        customer("base", b -> b),
        customer("joined-6-days-ago", b -> b.setTenureDays(6)),
        customer("joined-7-days-ago", b -> b.setTenureDays(7)),
        customer("joined-6-days-ago-no-consent", b -> b.setTenureDays(6).setConsentEmail(null)),
        customer("quiet-30-days", b -> b.setDaysInactive(30L)),
        customer("cart", b -> b.setCartAbandoned24h(true)),
        customer("vip-leaving", b -> b.setValueTier("vip").setChurnRisk(0.5)),
        customer("vip-staying", b -> b.setValueTier("vip").setChurnRisk(0.49)),
        customer("two-orders", b -> b.setFrequency(2).setRfmSegment("loyal")));
    Map<String, TreeSet<String>> members = new TreeMap<>();
    for (SegmentMembership m : LocalSegments.assign(d, customers)) {
      members.computeIfAbsent(m.getSegment(), k -> new TreeSet<>()).add(m.getCustomerId());
    }
    Map<String, TreeSet<String>> expected = new TreeMap<>();
    expected.put("new_subscribers", new TreeSet<>(List.of("joined-6-days-ago")));
    expected.put("inactive_users", new TreeSet<>(List.of("quiet-30-days")));
    expected.put("cart_abandoners", new TreeSet<>(List.of("cart")));
    expected.put("at_risk_high_value", new TreeSet<>(List.of("vip-leaving")));
    expected.put("repeat_buyers", new TreeSet<>(List.of("two-orders")));
    TreeSet<String> promising = new TreeSet<>();
    customers.stream().map(CustomerFeatures::getCustomerId).filter(id -> !id.equals("two-orders"))
        .forEach(promising::add);
    expected.put("promising", promising);
    assertEquals(expected, members);
  }

  @Test
  void mistakesNameTheTemplateTheParameterAndTheValue() {
    assertEquals("segments.yaml:4:19: group 'campaigns': unknown template 'cart_abandoner' "
        + "(known: at_risk_high_value, cart_abandoners, inactive_users, lapsed_customers, "
        + "new_subscribers, repeat_buyers, rfm_cell, vips, win_back) "
        + "(did you mean 'cart_abandoners'?)",
        error("      - template: cart_abandoner\n"));
    assertEquals("segments.yaml:4:19: group 'campaigns': template 'cart_abandoners': window "
        + "must be one of 24h, got '48h' (the features track carts over the last 24 hours "
        + "(cart_abandoned_24h))",
        error("      - template: cart_abandoners\n        window: 48h\n"));
    assertEquals("segments.yaml:4:19: group 'campaigns': template 'inactive_users': days must "
        + "be a whole number of days, 1 or more (e.g. 30 or 30d), got 'a month'",
        error("      - template: inactive_users\n        days: a month\n"));
    assertEquals("segments.yaml:4:19: group 'campaigns': template 'vips' has no parameter "
        + "'days' (it takes none)", error("      - template: vips\n        days: 30\n"));
    assertEquals("segments.yaml:4:19: group 'campaigns': template 'rfm_cell' needs 'cell': one "
        + "of the RFM map's named cells", error("      - template: rfm_cell\n"));
    assertEquals("segments.yaml:5:15: a segment of group 'campaigns' gives both 'template' and "
        + "'when': keep one (a template writes the rule)",
        error("      - template: vips\n        when: frequency > 1\n"));
    assertEquals("segments.yaml:5:9: 'days' is a parameter of segment templates: add "
        + "'template: <name>' to this segment (of group 'campaigns'), or remove it",
        error("      - name: x\n        days: 3\n        when: frequency > 1\n"));
    assertEquals("segments.yaml:5:19: segment name 'vips' is used twice: give the templated "
        + "segment a 'name'", error("      - template: vips\n      - template: vips\n"));
  }

  @Test
  void theReadmeListsEveryTemplateAsTheCatalogDefinesIt() throws IOException {
    StringBuilder table = new StringBuilder(
        "| template | parameters | rule it writes (defaults) | for | activation |\n"
        + "|---|---|---|---|---|\n");
    SegmentTemplates.all().values().forEach(t -> table.append("| `").append(t.name())
        .append("` | ").append(t.parameters().isEmpty() ? "none"
            : String.join("; ", SegmentTemplates.describeParameters(t)))
        .append(" | `").append(t.documentedRule())
        .append("` | ").append(t.use()).append(" | ").append(t.activation()).append(" |\n"));
    String readme = Files.readString(Path.of("README.md"));
    assertEquals(true, readme.contains(table), "transforms/README.md must hold:\n" + table);
  }

  @Test
  void theReadmeExampleParsesToTheNamesItAnnounces() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    int section = readme.indexOf("### Segment templates");
    int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
    String yaml = readme.substring(start, readme.indexOf("```", start));
    SegmentDefinitions d = SegmentDefinitions.parse(yaml, "README.md");
    assertEquals(List.of("cart_abandoners", "lapsed_customers", "loyal_last_quarter",
        "cant_lose_them"), d.getSegments().stream().map(SegmentDefinitions.Segment::name)
        .toList());
    assertEquals("purchases_90d >= 3", d.getSegments().get(2).when());
    assertEquals(10.0, d.getSegments().get(2).holdoutPercent());
  }
}
