package dev.audiencesegmenter.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SegmentDefinitionsTest {

  static String file(String when, String extra) {
    return "groups:\n"
        + "  - name: lifecycle\n"
        + "    exclusive: true\n"
        + "    segments:\n"
        + "      - name: loyal\n"
        + "        when: purchases_180d >= 3\n"
        + "      - name: other\n"
        + "        when: " + when + "\n"
        + extra;
  }

  static String error(String yaml) {
    return assertThrows(InvalidSegmentDefinitionException.class,
        () -> SegmentDefinitions.parse(yaml, "segments.yaml")).getMessage();
  }

  @Test
  void parsesGroupsInFileOrder() {
    SegmentDefinitions d = SegmentDefinitions.parse(
        "salt: s1\n" + file("recency_days > 90", "        holdout_percent: 12.5\n"), "x.yaml");
    assertEquals("s1", d.getSalt());
    assertEquals(List.of(
        new SegmentDefinitions.Segment("loyal", "lifecycle", "", "purchases_180d >= 3", 0),
        new SegmentDefinitions.Segment("other", "lifecycle", "", "recency_days > 90", 12.5)),
        d.getSegments());
    assertEquals(true, d.getGroups().get(0).exclusive());
  }

  @Test
  void unknownColumnIsPlacedAndTheClosestNameSuggested() {
    // Line 8 holds the condition; it starts at column 15, the bad name at offset 0.
    assertEquals("segments.yaml:8:15: segment 'other': unknown column 'recency_dayz' "
            + "(did you mean 'recency_days'?) in `recency_dayz > 90`",
        error(file("recency_dayz > 90", "")));
  }

  static String traitError(String when, java.util.Set<String> known) {
    return assertThrows(InvalidSegmentDefinitionException.class,
        () -> SegmentDefinitions.parse(file(when, ""), "segments.yaml", known)).getMessage();
  }

  @Test
  void traitsOfRulesAreTheTraitsTheProfileSourcesDeclare() {
    java.util.Set<String> known = java.util.Set.of("plan", "crm_lifecycle_stage");
    // every way of naming a trait is read, and a declared one passes
    SegmentDefinitions.parse(file("traits.plan == \"pro\" && \"crm_lifecycle_stage\" in traits"
        + " && traits[\"plan\"] != \"\"", ""), "segments.yaml", known);
    // a value in a list trait is not a trait's name; an untyped trait is text, no list
    SegmentDefinitions.parse(file("has(traits.plan) && 'Shopify' in traits.plan", ""),
        "segments.yaml", known, java.util.Map.of("plan", TraitType.LIST));
    assertEquals(true, traitError("frequency >= 0 && 'Shopify' in traits.plan", known)
        .contains("no matching overload for '@in' applied to '(string, string)'"));
    // Line 8, the condition at column 15; the misspelt name at offset 25.
    assertEquals("segments.yaml:8:40: segment 'other': unknown trait 'plna' (the profile "
        + "sources declare: crm_lifecycle_stage, plan) (did you mean 'plan'?) in "
        + "`frequency >= 1 && traits.plna == \"pro\"`",
        traitError("frequency >= 1 && traits.plna == \"pro\"", known));
    assertEquals("segments.yaml:8:34: segment 'other': unknown trait 'tier' (the profile "
        + "sources declare none) in `frequency >= 0 && 'tier' in traits`",
        traitError("frequency >= 0 && 'tier' in traits", java.util.Set.of()));
    assertEquals("segments.yaml:8:23: segment 'other': trait 'Country' has a column of its "
        + "own: write `country` in `traits[\"Country\"] == \"US\"`",
        traitError("traits[\"Country\"] == \"US\"", known));
    // Without the sources' traits (a native profiles file), any trait may be named.
    SegmentDefinitions.parse(file("traits.plna == \"pro\"", ""), "segments.yaml");
  }

  @Test
  void syntaxErrorsNameTheLine() {
    String message = error(file("frequency >", ""));
    assertEquals(true, message.startsWith("segments.yaml:8:"), message);
    assertEquals(true, message.contains("segment 'other'"), message);
  }

  @Test
  void conditionMustBeBoolean() {
    assertEquals("segments.yaml:8:15: segment 'other': `frequency + 1` must be true or false, "
        + "but is of type int", error(file("frequency + 1", "")));
  }

  @Test
  void typeMismatchIsRejected() {
    String message = error(file("frequency > 'three'", ""));
    assertEquals(true, message.startsWith("segments.yaml:8:"), message);
    assertEquals(true, message.contains("no matching overload"), message);
  }

  @Test
  void duplicateSegmentNameIsRejected() {
    assertEquals("segments.yaml:7:15: segment name 'loyal' is used twice",
        error(file("true", "").replace("name: other", "name: loyal")));
  }

  @Test
  void emptyGroupIsRejected() {
    assertEquals("segments.yaml:3:15: group 'lifecycle': 'segments' must be a non-empty list",
        error("groups:\n  - name: lifecycle\n    segments: []\n"));
  }

  @Test
  void unknownKeysAndBadHoldoutsAreRejected() {
    assertEquals("segments.yaml:9:9: unknown key 'holdout' in a segment (known: accessibility, "
            + "activation, description, destinations, fit, holdout_percent, min_revenue, "
            + "min_size, name, strategic_value, template, when)",
        error(file("true", "        holdout: 10\n")));
    assertEquals("segments.yaml:9:26: segment 'other': holdout_percent must be a number from "
        + "0 to 100, got '150'", error(file("true", "        holdout_percent: 150\n")));
    assertEquals("segments.yaml:1:1: the top level needs 'groups'", error("salt: x\n"));
  }

  @Test
  void readsThresholdsActivationPlanAndPrioritizationInputs() {
    SegmentDefinitions d = SegmentDefinitions.parse(file("true", ""
        + "        min_size: 500\n"
        + "        min_revenue: 1000.50\n"
        + "        fit: 7\n"
        + "        strategic_value: 9\n"
        + "        activation:\n"
        + "          channels: [email, sms]\n"
        + "          message_theme: Thank you\n"
        + "          offer: Free shipping\n"
        + "          kpi: Repeat purchase rate\n"
        + "          owner: CRM team\n"), "x.yaml");
    SegmentPlan plan = d.getSegments().get(1).plan();
    assertEquals(new SegmentPlan(500, new java.math.BigDecimal("1000.50"),
        new SegmentPlan.Activation(List.of("email", "sms"), "Thank you", "Free shipping",
            "Repeat purchase rate", "CRM team"), 7, 9, null), plan);
    assertEquals(List.of(), plan.activation().missing());
    assertEquals(SegmentPlan.NONE, d.getSegments().get(0).plan());
  }

  @Test
  void badPlanValuesNameFileLineAndColumn() {
    assertEquals("segments.yaml:9:19: segment 'other': min_size must be a whole number of "
        + "customers, 0 or more, got '-3'", error(file("true", "        min_size: -3\n")));
    assertEquals("segments.yaml:9:14: segment 'other': fit must be a whole number from 1 to 10, "
        + "got '11'", error(file("true", "        fit: 11\n")));
    assertEquals("segments.yaml:10:11: unknown key 'chanels' in the activation plan of segment "
        + "'other' (known: channels, kpi, message_theme, offer, owner) (did you mean "
        + "'channels'?)", error(file("true", "        activation:\n          chanels: [x]\n")));
    assertEquals("segments.yaml:10:21: segment 'other': activation channels must be a non-empty "
        + "list, e.g. [email, sms]", error(file("true",
            "        activation:\n          channels: email\n")));
  }
}
