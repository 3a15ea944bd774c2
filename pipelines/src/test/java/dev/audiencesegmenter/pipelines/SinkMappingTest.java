package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.segments.Destination;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sink mapping with the segment file's destinations merged in, and who a platform gets. */
class SinkMappingTest {
  static final Set<String> COLUMNS = Set.of("monetary_total", "frequency", "churn_risk");
  static final Set<String> SEGMENTS = Set.of("loyal", "lapsed", "vip");

  static SinkMapping parse(String yaml) {
    return SinkMapping.parse(yaml, "mapping.yaml", COLUMNS, SEGMENTS);
  }

  @Test
  void theCommandLineOverridesTheFilesListsAndFieldsPerSegmentAndColumn() {
    SinkMapping mapping = parse("kit: {segment_tags: {loyal: Loyal (CLI)}, "
        + "custom_fields: {monetary_total: ltv_cli}}\n")
        .withDestinations(Map.of(
            "loyal", List.of(new Destination("kit", "Loyal", Map.of("monetary_total", "ltv",
                "frequency", "orders"), false, false, "s.yaml:3:9")),
            "lapsed", List.of(new Destination("kit", "Lapsed", Map.of(), true, false,
                "s.yaml:7:9"), new Destination("salesforce", null,
                Map.of("churn_risk", "Churn__c"), false, true, "s.yaml:8:9"))));
    assertEquals(Map.of("loyal", "Loyal (CLI)", "lapsed", "Lapsed"),
        mapping.map("kit", "segment_tags"));
    assertEquals(Map.of("monetary_total", "ltv_cli", "frequency", "orders"),
        mapping.map("kit", "custom_fields"));
    assertEquals(Map.of("churn_risk", "Churn__c"), mapping.map("salesforce", "fields"));
    assertEquals(List.of("churn_risk", "frequency", "monetary_total"),
        mapping.featureColumns(List.of("kit", "salesforce")));
  }

  @Test
  void aColumnSentToTwoFieldsOfOnePlatformIsRefusedNamingBoth() {
    Map<String, List<Destination>> routes = new java.util.LinkedHashMap<>();
    routes.put("loyal", List.of(new Destination("zoho", "L", Map.of("frequency", "Orders"),
        false, false, "s.yaml:3:9")));
    routes.put("vip", List.of(new Destination("zoho", "V", Map.of("frequency", "Visits"),
        false, false, "s.yaml:9:9")));
    assertEquals("s.yaml:9:9: zoho gets column 'frequency' as 'Visits', but as 'Orders' at "
            + "s.yaml:3:9: one field per column and platform",
        assertThrows(IllegalArgumentException.class,
            () -> SinkMapping.empty().withDestinations(routes)).getMessage());
  }

  @Test
  void receivesIsMembersOrEveryone() {
    assertEquals("everyone", parse("zoho: {receives: everyone}\n").text("zoho", "receives"));
    assertEquals("mapping.yaml: zoho.receives must be members or everyone, got 'all'",
        assertThrows(IllegalArgumentException.class,
            () -> parse("zoho: {receives: all}\n")).getMessage());
  }
}
