package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.hubspot.FakeHubSpot;
import dev.audiencesegmenter.io.kit.FakeKit;
import dev.audiencesegmenter.io.zoho.FakeZoho;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The segment file alone routes three segments to three platforms, without {@code --sinks} or
 * a sink mapping: loyal customers to a HubSpot list (mirror), lapsed customers to a Kit tag
 * (add-only), recent buyers to a Zoho CRM tag (mirror). Run twice, a month apart: each
 * platform ends with exactly the members the outputs say, the add-only tag keeps those who
 * left, and no platform hears of a segment not routed to it.
 */
@Timeout(600)
class SegmentFileRoutingTest {
  static final String HUBSPOT_TOKEN = "pat-na1-routing-secret-7310";

  FakeHubSpot hubspot;
  FakeKit kit;
  FakeZoho zoho;

  @BeforeEach
  void start() throws Exception {
    hubspot = new FakeHubSpot(HUBSPOT_TOKEN);
    kit = new FakeKit();
    zoho = new FakeZoho();
  }

  @AfterEach
  void stop() {
    hubspot.close();
    kit.close();
    zoho.close();
  }

  static Path segmentFile(Path dir) throws Exception {
    Path file = dir.resolve("routed-segments.yaml");
    Files.writeString(file, String.join("\n",
        "groups:",
        "  - name: lifecycle",
        "    exclusive: true",
        "    segments:",
        "      - name: loyal_customers",
        "        when: purchases_180d >= 3",
        "        destinations:",
        "          - {platform: hubspot, list: \"101\", mode: mirror,",
        "             fields: {monetary_total: lifetime_value}}",
        "      - name: lapsed_customers",
        "        when: frequency > 0 && recency_days >= 90",
        "        destinations: [{platform: kit, tag: Lapsed, mode: add_only}]",
        "  - name: activity",
        "    segments:",
        "      - name: recent_buyers",
        "        when: frequency > 0 && recency_days < 60",
        "        destinations: [{platform: zoho, tag: Recent}]",
        "  - name: unrouted",
        "    segments:",
        "      - name: big_spenders",
        "        when: monetary_total >= 100.0",
        ""));
    return file;
  }

  List<String> args(Path dir, Path out, String asOf) throws Exception {
    List<String> args = new ArrayList<>(ActivationPipelineTest.dataArgs(dir, out));
    args.removeIf(arg -> arg.startsWith("--segments=") || arg.startsWith("--asOf="));
    args.addAll(List.of("--segments=" + segmentFile(dir), "--asOf=" + asOf,
        "@../runner-configs/direct.args", "--syncState=" + dir.resolve("sync-state"),
        "--hubspotBaseUrl=" + hubspot.baseUrl(), "--hubspotAccessToken=" + HUBSPOT_TOKEN,
        "--kitBaseUrl=" + kit.baseUrl(), "--kitAccessToken=" + FakeKit.TOKEN,
        "--zohoBaseUrl=" + zoho.baseUrl(), "--zohoAccessToken=" + FakeZoho.TOKEN,
        // a month moves more than the rails' default 20% of a small segment
        "--maxExitShare=0.9"));
    return args;
  }

  /** What a run's outputs say, for the expected memberships. */
  record Run(Map<String, Set<String>> members, Set<String> consenting,
      Map<String, String> emailOf) {
    static Run of(Path out) {
      Map<String, Set<String>> members = new HashMap<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("segments"))) {
        if (!row.get("holdout").asBoolean()) {
          members.computeIfAbsent(row.get("segment").asText(), k -> new TreeSet<>())
              .add(row.get("customer_id").asText());
        }
      }
      Set<String> consenting = new TreeSet<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
        if (row.path("consent_email").asBoolean(false)) {
          consenting.add(row.get("customer_id").asText());
        }
      }
      Map<String, String> emailOf = new HashMap<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
        if (row.get("id_type").asText().equals("email")) {
          emailOf.merge(row.get("customer_id").asText(), row.get("id_value").asText(),
              (a, b) -> a.compareTo(b) <= 0 ? a : b);
        }
      }
      return new Run(members, consenting, emailOf);
    }

    /** The segment's members with email consent and an email. */
    Set<String> reached(String segment) {
      Set<String> reached = new TreeSet<>();
      for (String customer : members.getOrDefault(segment, Set.of())) {
        if (consenting.contains(customer) && emailOf.containsKey(customer)) {
          reached.add(customer);
        }
      }
      return reached;
    }

    Set<String> emails(Set<String> customers) {
      Set<String> emails = new TreeSet<>();
      customers.forEach(customer -> emails.add(emailOf.get(customer)));
      return emails;
    }
  }

  Set<String> hubspotList() {
    return new TreeSet<>(hubspot.lists.getOrDefault("101", Set.of()));
  }

  Set<String> kitTagged(String tag) {
    Long id = kit.tagIds.get(tag);
    Set<String> tagged = new TreeSet<>();
    kit.taggings.forEach((email, tags) -> {
      if (id != null && tags.contains(id)) {
        tagged.add(email);
      }
    });
    return tagged;
  }

  Set<String> zohoTagged(String tag) {
    Set<String> tagged = new TreeSet<>();
    zoho.tags.forEach((customer, tags) -> {
      if (tags.contains(tag)) {
        tagged.add(customer);
      }
    });
    return tagged;
  }

  @Test
  void theSegmentFileAloneRoutesThreeSegmentsToThreePlatformsRunAfterRun(@TempDir Path dir)
      throws Exception {
    Path out1 = dir.resolve("out-may");
    PipelineRuns.runToCompletion(args(dir, out1, "2024-05-31"));
    Run may = Run.of(out1);

    Set<String> hubspotMay = may.emails(may.reached("loyal_customers"));
    Set<String> kitMay = may.emails(may.reached("lapsed_customers"));
    Set<String> zohoMay = may.reached("recent_buyers");
    assertEquals(hubspotMay, hubspotList());
    assertEquals(kitMay, kitTagged("Lapsed"));
    assertEquals(zohoMay, zohoTagged("Recent"));
    assertFalse(hubspotMay.isEmpty() || kitMay.isEmpty() || zohoMay.isEmpty(),
        hubspotMay + " " + kitMay + " " + zohoMay);

    Path out2 = dir.resolve("out-june");
    PipelineRuns.runToCompletion(args(dir, out2, "2024-06-30"));
    Run june = Run.of(out2);

    // mirror: exactly June's members (May's leavers removed, June's joiners added)
    Set<String> hubspotJune = june.emails(june.reached("loyal_customers"));
    Set<String> zohoJune = june.reached("recent_buyers");
    assertEquals(hubspotJune, hubspotList());
    assertEquals(zohoJune, zohoTagged("Recent"));
    // add-only: May's members stay (unless they withdrew consent), June's are added
    Set<String> kitJune = new TreeSet<>(june.emails(june.reached("lapsed_customers")));
    for (String customer : may.reached("lapsed_customers")) {
      if (june.consenting.contains(customer)) {
        kitJune.add(may.emailOf.get(customer));
      }
    }
    assertEquals(kitJune, kitTagged("Lapsed"));

    // the month changed something everywhere, and the add-only tag kept someone who left
    assertFalse(hubspotJune.equals(hubspotMay) && zohoJune.equals(zohoMay),
        "nothing changed between the runs");
    Set<String> keptByAddOnly = new TreeSet<>(kitJune);
    keptByAddOnly.removeAll(june.emails(june.reached("lapsed_customers")));
    assertFalse(keptByAddOnly.isEmpty(), "no lapsed customer came back: add-only unproven");

    // the sync log of June, per platform: joiners added, leavers (still consenting) removed,
    // those who withdrew consent unsubscribed; on the report too
    Map<String, JsonNode> logs = new HashMap<>();
    for (String line : Files.readAllLines(out2.resolve("sync-log")
        .resolve("destinations.jsonl"))) {
      JsonNode log = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
      logs.put(log.get("platform").asText(), log);
    }
    assertEquals(Set.of("hubspot", "kit", "zoho"), logs.keySet());
    Map<String, String> routedTo = Map.of("hubspot", "loyal_customers",
        "zoho", "recent_buyers");
    routedTo.forEach((platform, segment) -> {
      Set<String> before = may.reached(segment);
      Set<String> after = june.reached(segment);
      Set<String> joined = new TreeSet<>(after);
      joined.removeAll(before);
      Set<String> left = new TreeSet<>(before);
      left.removeAll(june.members.getOrDefault(segment, Set.of()));
      left.retainAll(june.consenting);
      Set<String> withdrew = new TreeSet<>(before);
      withdrew.removeAll(june.consenting);
      JsonNode log = logs.get(platform);
      assertEquals(joined.size(), log.get("added").asInt(), platform + " " + log);
      assertEquals(left.size(), log.get("removed").asInt(), platform + " " + log);
      assertEquals(withdrew.size(), log.get("unsubscribed").asInt(), platform + " " + log);
      assertEquals(0, log.get("rejected").asInt(), platform + " " + log);
    });
    String report = Files.readString(out2.resolve("report").resolve("summary.md"));
    assertTrue(report.contains("## Activation"), report);
    for (String platform : List.of("hubspot", "kit", "zoho")) {
      JsonNode log = logs.get(platform);
      assertTrue(report.contains("| " + platform + " | " + log.get("added").asText() + " | "
          + log.get("updated").asText() + " | " + log.get("removed").asText() + " | "), report);
    }

    // nobody hears of a segment not routed to them
    for (JsonNode contact : hubspot.contacts.values()) {
      String segments = contact.path("audience_segments").asText("");
      assertTrue(segments.isEmpty() || segments.equals("loyal_customers"), contact.toString());
      assertFalse(contact.has("frequency"), "only the routed fields");
    }
    assertEquals(Set.of("Lapsed"), kit.tagIds.keySet());
    zoho.tags.values().forEach(tags -> assertTrue(Set.of("Recent").containsAll(tags)));
    zoho.contacts.values().forEach(contact -> contact.path("Audience_Segments").forEach(
        segment -> assertEquals("recent_buyers", segment.asText())));
  }
}
