package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.mailchimp.FakeMailchimp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, items 3 and 4, through the packaged job on the Direct runner: consent values are
 * read by the table, an unreadable one withdraws consent and is dead-lettered, and a sync as of
 * a past date applies an opt-out recorded after it, in features/ and in what Mailchimp would
 * get (a dry run).
 */
@Timeout(600)
class ConsentPipelineTest {
  static final String LIST = "a1b2c3";

  static String event(String id, String time, String email, String consent) {
    return "{\"source\":\"shop\",\"id\":\"" + id + "\",\"type\":\"purchase\",\"time\":\"" + time
        + "\",\"ids\":{\"email\":\"" + email + "\"},\"revenue\":10.00,\"consent\":" + consent
        + "}";
  }

  static final String UNREADABLE = event("b2", "2024-05-01T00:00:00Z", "b@example.com",
      "{\"email\":\"maybe\"}");

  @Test
  void consentIsReadByTheTableAndOptOutsAfterAsOfCount(@TempDir Path dir) throws Exception {
    Path events = Files.createDirectories(dir.resolve("events"));
    Files.writeString(events.resolve("shop.jsonl"), String.join("\n",
        // a: consented before asOf, opted out after it (asOf is the end of 2024-06-30)
        event("a1", "2024-03-01T00:00:00Z", "a@example.com", "{\"email\":\"yes\"}"),
        "{\"source\":\"shop\",\"id\":\"a2\",\"type\":\"consent\",\"time\":"
            + "\"2024-08-01T00:00:00Z\",\"ids\":{\"email\":\"a@example.com\"},"
            + "\"consent\":{\"email\":\"opt-out\"}}",
        // b: consented, then an unreadable value: withdrawn
        event("b1", "2024-03-01T00:00:00Z", "b@example.com", "{\"email\":true}"),
        UNREADABLE,
        // c: consented ("Subscribed"), nothing after
        event("c1", "2024-03-01T00:00:00Z", "c@example.com", "{\"email\":\"Subscribed\"}"))
        + "\n");
    Path profiles = Files.createDirectories(dir.resolve("profiles"));
    // d: consented in the CRM before asOf, opted out in the CRM after it
    Files.writeString(profiles.resolve("crm.jsonl"), String.join("\n",
        "{\"source\":\"crm\",\"id\":\"d-1\",\"time\":\"2024-02-01T00:00:00Z\","
            + "\"ids\":{\"email\":\"d@example.com\"},\"attrs\":{\"consent_email\":\"Y\"}}",
        "{\"source\":\"crm\",\"id\":\"d-2\",\"time\":\"2024-09-01T00:00:00Z\","
            + "\"ids\":{\"email\":\"d@example.com\"},\"attrs\":{\"consent_email\":\"opted_out\","
            + "\"city\":\"Oslo\"}}") + "\n");
    Files.writeString(events.resolve("app.jsonl"),
        event("d1", "2024-03-01T00:00:00Z", "d@example.com", "{}") + "\n");
    Path segments = dir.resolve("segments.yaml");
    Files.writeString(segments, String.join("\n", "salt: consent-test", "groups:",
        "  - name: all", "    segments:", "      - name: buyers",
        "        when: frequency >= 1", ""));
    Path mapping = dir.resolve("sink-mapping.yaml");
    Files.writeString(mapping, String.join("\n", "mailchimp:", "  list_id: " + LIST,
        "  segment_tags:", "    buyers: Buyers", ""));
    Path out = dir.resolve("out");
    try (FakeMailchimp mailchimp = new FakeMailchimp("0123456789abcdef0123456789abcdef-us1",
        LIST)) {
      PipelineRuns.runToCompletion(new ArrayList<>(List.of(
          "--input=" + events + "/*", "--profiles=" + profiles + "/*",
          "--segments=" + segments, "--asOf=2024-06-30", "--valueModels=false",
          "--output=" + out, "--sinks=mailchimp", "--syncState=" + dir.resolve("sync-state"),
          "--sinkMapping=" + mapping,
          "--mailchimpBaseUrl=" + mailchimp.baseUrl(), "--dryRun=true",
          "@../runner-configs/direct.args")));
      assertEquals(0, mailchimp.server.requests().size(), "a dry run sends nothing");
    }

    Map<String, String> emailOf = new TreeMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
      emailOf.put(row.get("customer_id").asText(), row.get("id_value").asText());
    }
    Map<String, String> consent = new TreeMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
      consent.put(emailOf.get(row.get("customer_id").asText()),
          row.path("consent_email").asText("null") + " " + row.path("city").asText("null"));
    }
    assertEquals(Map.of("a@example.com", "false null", "b@example.com", "false null",
        "c@example.com", "true null", "d@example.com", "false null"), consent);

    List<String> deadLetters = new ArrayList<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("dead-letter"))) {
      deadLetters.add(row.get("step").asText() + "|" + row.get("reason").asText() + "|"
          + row.get("record").asText());
    }
    assertEquals(List.of("ReadEvents/Parse|unreadable consent value 'maybe' in "
        + "'consent.email' (read as withdrawn: false)|" + UNREADABLE), deadLetters);

    // Mailchimp would subscribe c only (whatever else it is sent for a, b and d).
    List<String> subscribed = new ArrayList<>();
    try (var files = Files.list(out.resolve(Activation.DRY_RUN_FOLDER))) {
      for (Path file : files.toList()) {
        for (String line : Files.readAllLines(file)) {
          subscribed(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line),
              subscribed);
        }
      }
    }
    assertEquals(List.of("c@example.com"), subscribed);
  }

  /** The email_address of every member object marked subscribed, anywhere in a request. */
  static void subscribed(JsonNode node, List<String> out) {
    if (node.isObject() && node.has("email_address")
        && "subscribed".equals(node.path("status").asText())) {
      out.add(node.get("email_address").asText());
    }
    node.forEach(child -> subscribed(child, out));
  }
}
