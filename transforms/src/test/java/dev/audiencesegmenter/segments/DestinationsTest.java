package dev.audiencesegmenter.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Destinations in the segment file: what each segment is routed to, and every mistake. */
class DestinationsTest {
  static final String FILE = String.join("\n",
      "groups:",
      "  - name: lifecycle",
      "    destinations:",
      "      - {platform: salesforce, receives: everyone}",
      "    segments:",
      "      - name: loyal",
      "        when: frequency >= 3",
      "        destinations:",
      "          - platform: hubspot",
      "            list: \"1234\"",
      "            fields: {monetary_total: lifetime_value}",
      "          - {platform: kit, tag: Loyal customers, mode: add_only}",
      "      - name: lapsed",
      "        when: recency_days >= 90",
      "");

  static String refused(String yaml) {
    return assertThrows(InvalidSegmentDefinitionException.class,
        () -> SegmentDefinitions.parse(yaml, "segments.yaml")).getMessage();
  }

  /** The file with the loyal segment's destinations replaced by {@code line}. */
  static String withDestination(String line) {
    return String.join("\n",
        "groups:",
        "  - name: g",
        "    segments:",
        "      - name: loyal",
        "        when: frequency >= 3",
        "        destinations:",
        "          - " + line,
        "");
  }

  @Test
  void segmentsAndGroupsNameTheirDestinations() {
    Map<String, List<Destination>> routes =
        SegmentDefinitions.parse(FILE, "segments.yaml").getDestinations();
    assertEquals(List.of("loyal", "lapsed"), List.copyOf(routes.keySet()));
    assertEquals(List.of(
            new Destination("hubspot", "1234", Map.of("monetary_total", "lifetime_value"), false,
                false, "segments.yaml:9:13"),
            new Destination("kit", "Loyal customers", Map.of(), true, false,
                "segments.yaml:12:13"),
            new Destination("salesforce", null, Map.of(), false, true, "segments.yaml:4:9")),
        routes.get("loyal"));
    assertEquals(List.of(new Destination("salesforce", null, Map.of(), false, true,
        "segments.yaml:4:9")), routes.get("lapsed"));
  }

  @Test
  void aFileWithoutDestinationsRoutesNothing() {
    assertEquals(Map.of(), SegmentDefinitions.parse(withDestination("{platform: kit, tag: x}")
        .replace("        destinations:\n          - {platform: kit, tag: x}\n", ""),
        "segments.yaml").getDestinations());
  }

  @Test
  void mistakesAreNamedWithTheLine() {
    assertEquals("segments.yaml:7:24: segment 'loyal': unknown platform 'hubspto' (known: "
            + "hubspot, mailchimp, klaviyo, braze, salesforce, zoho, kit) (did you mean "
            + "'hubspot'?)",
        refused(withDestination("{platform: hubspto, list: \"1\"}")));
    assertEquals("segments.yaml:7:13: segment 'loyal': the kit destination needs 'tag'",
        refused(withDestination("{platform: kit}")));
    assertEquals("segments.yaml:7:35: segment 'loyal': a kit destination names its tag with "
            + "'tag', not 'list'",
        refused(withDestination("{platform: kit, list: Loyal}")));
    assertEquals("segments.yaml:7:39: segment 'loyal': a HubSpot list is named by its id "
            + "(digits), got 'Loyal'",
        refused(withDestination("{platform: hubspot, list: Loyal}")));
    assertEquals("segments.yaml:7:43: segment 'loyal': mode must be mirror (members who leave "
            + "are removed) or add_only (they stay), got 'add-only' (did you mean 'add_only'?)",
        refused(withDestination("{platform: kit, tag: T, mode: add-only}")));
    assertEquals("segments.yaml:7:47: segment 'loyal': unknown feature column 'monetary_totl' "
            + "in the fields of the zoho destination (did you mean 'monetary_total'?)",
        refused(withDestination("{platform: zoho, tag: T, fields: {monetary_totl: LTV}}")));
    assertEquals("segments.yaml:7:48: segment 'loyal': receives must be members (the "
            + "segment's members only) or everyone (every reachable customer), got 'all'",
        refused(withDestination("{platform: zoho, tag: T, receives: all}")));
    assertEquals("segments.yaml:7:11: segment 'loyal' goes to kit twice (segments.yaml:7:13 "
            + "and segments.yaml:8:13)",
        refused(withDestination("{platform: kit, tag: A}\n          - {platform: kit, tag: B}")));
  }

  @Test
  void aPlatformReceivesMembersOrEveryoneNotBoth() {
    String file = String.join("\n",
        "groups:",
        "  - name: g",
        "    segments:",
        "      - name: a",
        "        when: frequency >= 3",
        "        destinations: [{platform: zoho, tag: A, receives: everyone}]",
        "      - name: b",
        "        when: frequency >= 1",
        "        destinations: [{platform: zoho, tag: B}]",
        "");
    assertEquals("segments.yaml:9:23: zoho receives everyone at segments.yaml:6:24 but "
        + "members at segments.yaml:9:24: a platform receives one or the other", refused(file));
  }
}
