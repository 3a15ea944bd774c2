package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.jdbc.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: one run over the seven sample exports (sample/sources/) at once, through the
 * packaged job's command line. The same four people appear under different identifiers in
 * different tools; each becomes one customer, and a rule on a HubSpot trait and a purchase
 * seen by GA4 has exactly the expected member.
 */
@Timeout(600)
class ToolExportsPipelineTest {
  static final Path SOURCES = PipelineRuns.SAMPLE.resolve("sources");

  @Test
  void sevenToolsResolveToTheSamePeople(@TempDir Path dir) throws Exception {
    Path segments = dir.resolve("segments.yaml");
    Files.writeString(segments, String.join("\n", "salt: tools-test", "groups:",
        "  - name: crm", "    segments:",
        "      - name: crm_customers_who_bought",
        "        when: traits.crm_lifecycle_stage == \"customer\" && frequency >= 1",
        "      - name: crm_leads",
        "        when: traits.crm_lifecycle_stage == \"lead\"",
        "  - name: app",
        "    segments:",
        "      - name: pro_plan",
        "        when: has(traits.plan) && traits.plan == \"pro\"", ""));
    Path out = dir.resolve("out");
    List<String> args = new ArrayList<>();
    for (String format : List.of("ga4", "segment", "mixpanel", "amplitude")) {
      args.add("--input=" + format + ":" + SOURCES.resolve(format) + "/*");
    }
    for (String format : List.of("hubspot", "salesforce", "zoho", "segment")) {
      args.add("--profiles=" + format + ":" + SOURCES.resolve(format) + "/*");
    }
    args.addAll(List.of("--segments=" + segments, "--asOf=2024-03-31",
        "--valueModels=false", "--output=" + out, "@../runner-configs/direct.args"));
    PipelineRuns.runToCompletion(args);

    // Written by hand from the sample files (see sample/sources/README.md).
    Set<String> ann = Set.of("user_id:u-1001", "ga4_pseudo_id:1234567890.1709287080",
        "anonymous_id:a1b2c3", "email:ann.lee@example.com", "device_id:DEV-A1",
        "amplitude_id:90000001", "hubspot_id:501", "phone:+14155550132",
        "salesforce_id:0035g00000QxAbCAAV", "zoho_id:zcrm_5725767000000393001");
    Set<String> bo = Set.of("user_id:u-1002", "ga4_pseudo_id:2233445566.1709403600",
        "email:bo.chen@example.com", "device_id:dev-22", "mixpanel_distinct_id:$device:dev-22",
        "mixpanel_distinct_id:u-1002", "device_id:DEV-B2", "amplitude_id:90000002",
        "hubspot_id:502", "phone:+12125550199", "zoho_id:zcrm_5725767000000393002");
    Set<String> cy = Set.of("anonymous_id:anon-9", "user_id:u-1003",
        "email:cy.diaz@example.org", "amplitude_id:90000003", "hubspot_id:503");
    Set<String> dee = Set.of("user_id:u-1004", "ga4_pseudo_id:5566778899.1709553600",
        "email:dee.evans@example.net", "device_id:dev-44", "mixpanel_distinct_id:u-1004",
        "salesforce_id:0035g00000QxAbDAAV", "phone:+35315550123");
    Set<String> anonymousVisitor = Set.of("ga4_pseudo_id:9988776655.1709449200");
    Set<String> anonymousDevice = Set.of("device_id:DEV-X9", "amplitude_id:90000004");
    Map<String, Set<String>> customers = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
      customers.computeIfAbsent(row.get("customer_id").asText(), k -> new HashSet<>())
          .add(row.get("id_type").asText() + ":" + row.get("id_value").asText());
    }
    Set<Set<String>> expected = new HashSet<>(Set.of(ann, bo, cy, dee, anonymousVisitor,
        anonymousDevice, Set.of("ga4_pseudo_id:4455667788.1709931600"),
        Set.of("device_id:dev-77", "mixpanel_distinct_id:$device:dev-77")));
    // The six people only the CRMs know: HubSpot's email and phone, Salesforce's email and
    // Zoho's phone (written differently in each) make one customer each.
    List<String> crmOnly = List.of("fay.green 2065550101 505 F 04",
        "gil.hart 3035550102 506 G 05", "hal.ito 5035550103 507 H 06", "ida.jun 6175550104 508 I 07",
        "jo.kim 7025550105 509 J 08", "kai.lam 5125550106 510 K 09");
    for (String person : crmOnly) {
      String[] p = person.split(" ");
      expected.add(Set.of("email:" + p[0] + "@example.com", "phone:+1" + p[1],
          "hubspot_id:" + p[2], "salesforce_id:0035g00000QxAb" + p[3] + "AAV",
          "zoho_id:zcrm_57257670000003930" + p[4]));
    }
    assertEquals(expected, Set.copyOf(customers.values()));
    Map<Set<String>, String> idOf = new HashMap<>();
    customers.forEach((id, ids) -> idOf.put(ids, id));

    Set<String> memberships = new HashSet<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("segments"))) {
      memberships.add(row.get("segment").asText() + " " + row.get("customer_id").asText());
    }
    // Cy is a HubSpot customer who never bought; Dee bought but is not in HubSpot.
    // Segment's identify calls are read as profiles too: Ann's plan is pro, Cy's starter.
    assertEquals(Set.of("crm_customers_who_bought " + idOf.get(ann),
        "crm_leads " + idOf.get(bo), "pro_plan " + idOf.get(ann)), memberships);

    Map<String, JsonNode> features = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
      features.put(row.get("customer_id").asText(), row);
    }
    JsonNode annFeatures = features.get(idOf.get(ann));
    assertEquals(1, annFeatures.get("frequency").asInt());
    assertEquals("59.90", annFeatures.get("monetary_total").asText());
    // HubSpot, Salesforce and Zoho all say Ann may be emailed; HubSpot says Bo may not.
    assertEquals(true, annFeatures.get("consent_email").asBoolean());
    assertEquals(false, features.get(idOf.get(bo)).get("consent_email").asBoolean());
    // Bo: Segment's Order Completed 35.5, Mixpanel's Purchase 18.0 (its copy dropped),
    // Amplitude's Purchase 24.0
    assertEquals(3, features.get(idOf.get(bo)).get("frequency").asInt());
    assertEquals("77.50", features.get(idOf.get(bo)).get("monetary_total").asText());

    List<String> rejects = new ArrayList<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("dead-letter"))) {
      rejects.add(row.get("step").asText() + ": " + row.get("reason").asText());
    }
    rejects.sort(null);
    assertEquals(List.of(
        "ReadEvents/Deduplicate: duplicate (source, id): another record with the same source "
            + "and id was kept",
        "ReadEvents/Parse: format 'amplitude', field 'event_time': unparseable time "
            + "'2024/03/08 10:00' (expected pattern yyyy-MM-dd HH:mm:ss[.SSSSSS][.SSS])",
        "ReadEvents/Parse: format 'ga4', field 'event_timestamp': unparseable time "
            + "'not-a-timestamp' (expected epoch_micros, a number)",
        "ReadEvents/Parse: format 'mixpanel', field 'properties.time': unparseable time "
            + "'yesterday' (expected epoch_seconds, a number)",
        "ReadEvents/Parse: format 'segment', field 'timestamp': missing required field "
            + "(looked in timestamp, originalTimestamp, receivedAt)",
        "ReadProfiles/Parse: format 'hubspot', field 'Create Date': unparseable time "
            + "'2024-02-30 10:00' (expected pattern yyyy-MM-dd HH:mm[:ss])",
        "ReadProfiles/Parse: format 'salesforce', field 'LastModifiedDate': unparseable time "
            + "'yesterday' in 'LastModifiedDate' (expected ISO-8601, e.g. 2024-03-01T12:00:00Z)",
        "ReadProfiles/Parse: malformed CSV: row has 14 cells, the header 13"), rejects);
  }

  @Test
  void profilesFromACrmDatabaseJoinTheExports(@TempDir Path dir) throws Exception {
    try (PostgresTestDatabase db = PostgresTestDatabase.start()) {
      try (Connection c = db.connection(); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE accounts (account_id bigint PRIMARY KEY, app_user text, "
            + "contact_email text, tier text, seats integer, marketing_ok boolean, "
            + "changed_at timestamp, tech_stack text)");
        s.execute("INSERT INTO accounts VALUES "
            + "(1, 'u-1001', 'ANN.LEE@example.com', 'enterprise', 250, true, "
            + "'2024-03-10 09:00:00', 'Shopify, Klaviyo'), "
            + "(2, 'u-1004', 'dee.evans@example.net', 'team', 12, false, "
            + "'2024-03-11 10:00:00', 'woocommerce;mailchimp'), "
            + "(3, NULL, NULL, 'team', 3, true, '2024-03-12 11:00:00', NULL), "
            + "(4, NULL, 'late@example.com', 'team', 1, true, '2150-01-01 00:00:00', NULL)");
        s.execute("CREATE TABLE orders (order_no text PRIMARY KEY, app_user text, "
            + "amount numeric(10,2), placed timestamptz)");
        s.execute("INSERT INTO orders VALUES ('B-1', 'u-1002', 120.00, "
            + "'2024-03-20 10:00:00+00'), ('B-2', 'u-1002', 15.00, '2150-03-21 10:00:00+00')");
      }
      Path orders = dir.resolve("orders.yaml");
      Files.writeString(orders, String.join("\n", "kind: events", "source: billing_orders",
          "id: order_no", "type: {path: order_no, names: {B-1: purchase, B-2: purchase}}",
          "time: placed", "identifiers: {user_id: app_user}", "revenue: amount", ""));
      Path mapping = dir.resolve("accounts.yaml");
      Files.writeString(mapping, String.join("\n", "kind: profiles", "source: billing",
          "id: account_id", "time: changed_at", "identifiers:", "  billing_account: account_id",
          "  user_id: app_user", "  email: contact_email", "consent:", "  email: marketing_ok",
          "attributes:",
          "  tier: tier", "  seats: {path: seats, type: int}",
          "  tech_stack: {path: tech_stack, type: list}", ""));
      Path segments = dir.resolve("segments.yaml");
      Files.writeString(segments, String.join("\n", "salt: tools-test", "groups:",
          "  - name: billing", "    segments:", "      - name: enterprise_buyers",
          "        when: traits.tier == \"enterprise\" && traits.seats >= 100 && frequency >= 1",
          "      - name: small_accounts",
          "        when: has(traits.seats) && traits.seats < 20",
          "      - name: big_spenders",
          "        when: monetary_total >= 110.0",
          "      - name: on_shopify",
          "        when: has(traits.tech_stack) && \"Shopify\" in traits.tech_stack", ""));
      Path out = dir.resolve("out");
      PipelineRuns.runToCompletion(new ArrayList<>(List.of(
          "--input=ga4:" + SOURCES.resolve("ga4") + "/*",
          "--profilesJdbcUrl=" + db.jdbcUrl(),
          "--profilesQuery=SELECT * FROM accounts",
          "--profilesMapping=" + mapping, "--profilesPartitionColumn=account_id",
          "--profilesPartitions=3", "--eventsJdbcUrl=" + db.jdbcUrl(),
          "--eventsQuery=SELECT * FROM orders", "--eventsMapping=" + orders,
          "--segments=" + segments, "--asOf=2024-03-31",
          "--valueModels=false", "--output=" + out, "@../runner-configs/direct.args")));

      Map<String, Set<String>> customers = new HashMap<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
        customers.computeIfAbsent(row.get("customer_id").asText(), k -> new HashSet<>())
            .add(row.get("id_type").asText() + ":" + row.get("id_value").asText());
      }
      // The billing table knows Ann and Dee by the app's user id, as GA4 does.
      Set<String> ann = Set.of("billing_account:1", "user_id:u-1001",
          "email:ann.lee@example.com", "ga4_pseudo_id:1234567890.1709287080");
      Set<String> dee = Set.of("billing_account:2", "user_id:u-1004",
          "email:dee.evans@example.net", "ga4_pseudo_id:5566778899.1709553600");
      assertEquals(Set.of(ann, dee, Set.of("billing_account:3"),
          Set.of("user_id:u-1002", "ga4_pseudo_id:2233445566.1709403600"),
          Set.of("ga4_pseudo_id:9988776655.1709449200"),
          Set.of("ga4_pseudo_id:4455667788.1709931600")), Set.copyOf(customers.values()));
      Map<Set<String>, String> idOf = new HashMap<>();
      customers.forEach((id, ids) -> idOf.put(ids, id));
      Map<String, JsonNode> features = new HashMap<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
        features.put(row.get("customer_id").asText(), row);
      }
      JsonNode annFeatures = features.get(idOf.get(ann));
      assertEquals("enterprise", annFeatures.get("traits").get("tier").asText());
      assertEquals("250", annFeatures.get("traits").get("seats").asText());
      assertEquals(true, annFeatures.get("consent_email").asBoolean());
      assertEquals(false, features.get(idOf.get(dee)).get("consent_email").asBoolean());
      // Dee bought too, on a team account of 12 seats (seats compared as numbers: "12" < "20"
      // and "250" < "20" as text). Account 3 (3 seats) has no events, so no features.
      Set<String> members = new HashSet<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("segments"))) {
        members.add(row.get("segment").asText() + " " + row.get("customer_id").asText());
      }
      // Bo's order is in the billing database only: 120.00 (Dee: 120 - 20 in GA4).
      Set<String> bo = Set.of("user_id:u-1002", "ga4_pseudo_id:2233445566.1709403600");
      assertEquals(Set.of("enterprise_buyers " + idOf.get(ann),
          "small_accounts " + idOf.get(dee), "on_shopify " + idOf.get(ann),
          "big_spenders " + idOf.get(bo)), members);
      assertEquals("120.00", features.get(idOf.get(bo)).get("monetary_total").asText());
      assertEquals("Shopify,Klaviyo",
          annFeatures.get("traits").get("tech_stack").asText());
      List<String> rejects = new ArrayList<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("dead-letter"))) {
        rejects.add(row.get("step").asText() + ": " + row.get("reason").asText());
      }
      rejects.sort(null);
      assertEquals(List.of("ReadEvents/Parse: format 'ga4', field 'event_timestamp': "
              + "unparseable time 'not-a-timestamp' (expected epoch_micros, a number)",
          "ReadEventsFromJdbc/Parse: format '" + orders + "', field 'placed': absurd value: "
              + "time 2150-03-21T10:00:00Z is outside 1970-01-01 .. 2100-01-01",
          "ReadProfilesFromJdbc/Parse: format '" + mapping + "', field 'changed_at': absurd "
              + "value: time 2150-01-01T00:00:00Z is outside 1970-01-01 .. 2100-01-01"),
          rejects);
    }
  }

  @Test
  void aRuleOnATraitNoSourceDeclaresIsRefusedBeforeTheRun(@TempDir Path dir) throws Exception {
    Path segments = dir.resolve("segments.yaml");
    Files.writeString(segments, String.join("\n", "salt: tools-test", "groups:",
        "  - name: crm", "    segments:", "      - name: customers",
        "        when: traits.crm_lifecycle_stag == \"customer\"", ""));
    String message = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> PipelineRuns.runToCompletion(new ArrayList<>(
            List.of("--input=ga4:" + SOURCES.resolve("ga4") + "/*",
                "--profiles=hubspot:" + SOURCES.resolve("hubspot") + "/*",
                "--profiles=zoho:" + SOURCES.resolve("zoho") + "/*",
                "--segments=" + segments, "--asOf=2024-03-31", "--valueModels=false",
                "--output=" + dir.resolve("out"), "@../runner-configs/direct.args"))))
        .getMessage();
    assertEquals(segments + ":6:22: segment 'customers': unknown trait 'crm_lifecycle_stag' "
        + "(the profile sources declare: crm_lifecycle_stage, first_name, job_title, last_name, "
        + "lead_source, lead_status, marketing_contact, postal_code, region, signup_date) "
        + "(did you mean 'crm_lifecycle_stage'?) in `traits.crm_lifecycle_stag == "
        + "\"customer\"`", message);
  }

  @Test
  void theStreamingJobReplaysToolExportsToo() {
    org.apache.beam.sdk.options.PipelineOptionsFactory.register(
        StreamingSegmentationOptions.class);
    StreamingSegmentationOptions options = org.apache.beam.sdk.options.PipelineOptionsFactory
        .fromArgs("--input=segment:" + SOURCES.resolve("segment") + "/*",
            "--input=mixpanel:" + SOURCES.resolve("mixpanel") + "/*",
            "--segments=" + PipelineRuns.SAMPLE.resolve("segments-streaming.yaml"),
            "--asOf=2024-06-30").as(StreamingSegmentationOptions.class);
    List<String> reads = new ArrayList<>();
    StreamingSegmentationPipeline.create(options).traverseTopologically(
        new org.apache.beam.sdk.Pipeline.PipelineVisitor.Defaults() {
          @Override
          public CompositeBehavior enterCompositeTransform(
              org.apache.beam.sdk.runners.TransformHierarchy.Node node) {
            if (node.getTransform() instanceof dev.audiencesegmenter.io.files.ReadCustomerEvents
                read) {
              reads.add(node.getFullName() + " " + read.getMapping().getName());
            }
            return CompositeBehavior.ENTER_TRANSFORM;
          }
        });
    assertEquals(List.of("ReadEventFiles-1 segment", "ReadEventFiles-2 mixpanel"), reads);
  }
}
