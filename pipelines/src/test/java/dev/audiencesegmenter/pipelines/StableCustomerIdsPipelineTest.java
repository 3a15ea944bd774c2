package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run, add an event that links two existing customers, run again with
 * {@code --previousIdentities}: untouched customers keep their ids and the merge is in
 * {@code merges/}.
 */
@Timeout(600)
class StableCustomerIdsPipelineTest {
  @TempDir Path work;

  @Test
  void untouchedCustomersKeepTheirIdsAndTheMergeIsRecorded() throws IOException {
    Path data = work.resolve("data");
    new SampleDataGenerator(11, LocalDate.parse("2024-06-30")).write(data, 300);
    // These customers may carry several user ids (accounts merged by support), so linking two
    // of them is a merge, not a conflict.
    Path rules = work.resolve("identity.yaml");
    Files.writeString(rules, """
        identifiers:
          - type: user_id
          - type: email
            max_per_customer: 5
          - type: phone
            max_per_customer: 5
        """);
    Path first = work.resolve("run1");
    run(data, first, rules, null);
    Map<String, String> before = IdentityQualityTest.identities(first);

    // The customer of user u-1 writes from the email of user u-2's customer.
    Map<String, String> truth = IdentityQualityTest.truth(data);
    String email2 = truth.entrySet().stream()
        .filter(e -> e.getKey().startsWith("email:") && e.getValue().equals("t2"))
        .findFirst().orElseThrow().getKey().substring("email:".length());
    Files.writeString(data.resolve("events/late.jsonl"), "{\"source\":\"support\",\"id\":\"s-1\","
        + "\"type\":\"ticket\",\"time\":\"2024-06-29T10:00:00Z\",\"ids\":{\"user_id\":\"u-1\","
        + "\"email\":\"" + email2 + "\"}}\n");
    Path second = work.resolve("run2");
    run(data, second, rules, first.resolve("identities") + "/");
    Map<String, String> after = IdentityQualityTest.identities(second);

    String id1 = before.get("user_id:u-1");
    String id2 = before.get("user_id:u-2");
    assertNotEquals(id1, id2);
    String kept = after.get("user_id:u-1");
    assertEquals(kept, after.get("user_id:u-2"), "the two customers are one now");
    assertTrue(Set.of(id1, id2).contains(kept), "the merged customer keeps one of the ids");
    String absorbed = kept.equals(id1) ? id2 : id1;
    int untouched = 0;
    for (Map.Entry<String, String> e : before.entrySet()) {
      if (!e.getValue().equals(id1) && !e.getValue().equals(id2)) {
        assertEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " changed customer id");
        untouched++;
      }
    }
    assertTrue(untouched > 1000, "most identifiers are untouched: " + untouched);

    List<JsonNode> merges = OutputFiles.rows(second.resolve("merges"));
    assertEquals(1, merges.size(), merges.toString());
    JsonNode merge = merges.get(0);
    assertEquals("merge", merge.get("change").asText());
    assertEquals(kept, merge.get("kept_id").asText());
    assertEquals(absorbed, merge.get("other_id").asText());
    Map<String, String> link = new HashMap<>();
    link.put(merge.get("linking_identifier").asText(), merge.get("linked_to").asText());
    assertTrue(link.equals(Map.of("user_id:u-1", "email:" + email2))
            || link.equals(Map.of("email:" + email2, "user_id:u-1")),
        "the merge names the new record's identifiers: " + merge);
  }

  private static void run(Path data, Path out, Path rules, String previous) {
    List<String> args = new java.util.ArrayList<>(List.of(
        "--input=" + data.resolve("events") + "/*",
        "--profiles=" + data.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"),
        "--asOf=2024-06-30",
        "--identityRules=" + rules,
        "--output=" + out,
        "@../runner-configs/flink-local.args"));
    if (previous != null) {
      args.add("--previousIdentities=" + previous);
    }
    PipelineRuns.runToCompletion(args);
  }
}
