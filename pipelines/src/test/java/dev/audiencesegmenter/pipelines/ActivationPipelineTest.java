package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.PlatformFixtures;
import dev.audiencesegmenter.io.PlatformFixtures.Fixture;
import dev.audiencesegmenter.io.hubspot.FakeHubSpot;
import dev.audiencesegmenter.io.mailchimp.FakeMailchimp;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged pipeline on generated data, on the Flink runner, with
 * {@code --sinks=hubspot,mailchimp} against fake vendors: every customer with an email and an
 * activated segment arrives at HubSpot once with its mapped features, only those with email
 * consent reach Mailchimp, holdout memberships never do, injected 5xx/429 lose nothing, no
 * credential appears in a log or dead letter, a second identical run sends nothing, and
 * {@code --fullResync} sends everyone again.
 */
@Timeout(900)
class ActivationPipelineTest {
  static final String TOKEN = "pat-na1-pipeline-secret-4242";
  static final String MAILCHIMP_KEY = "5f0c2a9e7d314b6c8e1a9d2b3c4d5e6f-us1";
  static final String LIST = "a1b2c3";

  FakeHubSpot hubspot;
  FakeMailchimp mailchimp;

  @BeforeEach
  void start() throws Exception {
    hubspot = new FakeHubSpot(TOKEN);
    mailchimp = new FakeMailchimp(MAILCHIMP_KEY, LIST);
  }

  @AfterEach
  void stop() {
    hubspot.close();
    mailchimp.close();
  }

  static Path mapping(Path dir) throws Exception {
    Path file = dir.resolve("sink-mapping.yaml");
    Files.writeString(file, String.join("\n",
        "hubspot:",
        "  properties:",
        "    monetary_total: lifetime_value",
        "    frequency: orders",
        "  segment_lists:",
        "    loyal_customers: \"101\"",
        "  requests_per_second: 200",
        "mailchimp:",
        "  list_id: " + LIST,
        "  merge_fields:",
        "    monetary_total: LTV",
        "  segment_tags:",
        "    loyal_customers: Loyal",
        ""));
    return file;
  }

  /** A small generated data set (the bundled sample takes minutes on a shared machine). */
  static List<String> dataArgs(Path dir, Path out) throws Exception {
    Path data = dir.resolve("data");
    if (!Files.exists(data)) {
      new SampleDataGenerator(11, LocalDate.parse("2024-06-30")).write(data, 120);
    }
    return new ArrayList<>(List.of("--input=" + data.resolve("events") + "/*",
        "--profiles=" + data.resolve("profiles") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml"), "--asOf=2024-06-30",
        "--output=" + out));
  }

  List<String> args(Path out, Path dir, String... more) throws Exception {
    List<String> args = dataArgs(dir, out);
    args.add("@../runner-configs/flink-local.args");
    if (Arrays.stream(more).noneMatch(arg -> arg.startsWith("--sinks="))) {
      args.add("--sinks=hubspot");
    }
    args.add("--hubspotBaseUrl=" + hubspot.baseUrl());
    args.add("--hubspotAccessToken=" + TOKEN);
    args.add("--sinkMapping=" + mapping(dir));
    args.add("--syncState=" + out.resolve("sync-state"));
    args.addAll(List.of(more));
    return args;
  }

  /** Runs the pipeline, capturing what it prints. */
  static String runCapturing(List<String> args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream both = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setOut(both);
    System.setErr(both);
    try {
      PipelineRuns.runToCompletion(args);
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  /** Expected contacts: customer's smallest email to its activated (non-holdout) segments. */
  static Map<String, Set<String>> expected(Path out) {
    Map<String, String> email = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
      if (row.get("id_type").asText().equals("email")) {
        email.merge(row.get("customer_id").asText(), row.get("id_value").asText(),
            (a, b) -> a.compareTo(b) <= 0 ? a : b);
      }
    }
    Map<String, Set<String>> segments = new TreeMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("segments"))) {
      String address = email.get(row.get("customer_id").asText());
      if (address != null && !row.get("holdout").asBoolean()) {
        segments.computeIfAbsent(address, key -> new TreeSet<>()).add(row.get("segment")
            .asText());
      }
    }
    return segments;
  }

  static Set<String> sentEmails(List<Request> requests) {
    Set<String> emails = new TreeSet<>();
    for (Request request : requests) {
      if (request.path().endsWith("/batch/upsert")) {
        for (JsonNode input : Json.parse(request.body()).path("inputs")) {
          emails.add(input.path("id").asText());
        }
      }
    }
    return emails;
  }

  @Test
  void syncsOnceThenSendsNothingUntilAFullResync(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    hubspot.server.enqueue(Response.json(503, "{\"message\":\"Service unavailable\"}"));
    hubspot.server.enqueue(new Response(429, Map.of("Retry-After", "1", "Content-Type",
        "application/json"), "{\"status\":\"error\",\"message\":\"ten secondly rolling\","
        + "\"policyName\":\"TEN_SECONDLY_ROLLING\"}"));
    List<String> both = args(out, dir, "--sinks=hubspot,mailchimp",
        "--mailchimpBaseUrl=" + mailchimp.baseUrl(), "--mailchimpApiKey=" + MAILCHIMP_KEY);
    String logs = runCapturing(both);

    Map<String, Set<String>> expected = expected(out);
    // HubSpot handles withdrawals: a first sync reaches only customers with email consent
    Map<String, Set<String>> reached = new TreeMap<>();
    Set<String> consentingIds = new TreeSet<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
      if (row.path("consent_email").asBoolean(false)) {
        consentingIds.add(row.get("customer_id").asText());
      }
    }
    Map<String, String> idOf = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
      if (row.get("id_type").asText().equals("email")) {
        idOf.put(row.get("id_value").asText(), row.get("customer_id").asText());
      }
    }
    expected.forEach((address, segments) -> {
      if (consentingIds.contains(idOf.get(address))) {
        reached.put(address, segments);
      }
    });
    assertTrue(reached.size() > 10, "the sample must have activated customers: " + reached);
    assertEquals(reached.keySet(), new TreeSet<>(hubspot.contacts.keySet()));
    assertTrue(hubspot.writesPerEmail.values().stream().allMatch(n -> n.get() == 1),
        "a contact was written twice");
    reached.forEach((email, segments) -> assertEquals(String.join(";", segments),
        hubspot.contacts.get(email).path("audience_segments").asText(), email));
    // mapped features, with the values of features/
    Map<String, String> emailOf = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
      if (row.get("id_type").asText().equals("email")) {
        emailOf.merge(row.get("customer_id").asText(), row.get("id_value").asText(),
            (a, b) -> a.compareTo(b) <= 0 ? a : b);
      }
    }
    int checked = 0;
    for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
      JsonNode contact = hubspot.contacts.get(emailOf.get(row.get("customer_id").asText()));
      if (contact != null) {
        assertEquals(row.get("monetary_total").asText(), contact.path("lifetime_value").asText());
        assertEquals(row.get("frequency").asText(), contact.path("orders").asText());
        checked++;
      }
    }
    assertEquals(reached.size(), checked);
    // segment list: exactly the loyal customers outside the holdout
    Set<String> loyal = new TreeSet<>();
    reached.forEach((email, segments) -> {
      if (segments.contains("loyal_customers")) {
        loyal.add(email);
      }
    });
    assertEquals(loyal, new TreeSet<>(hubspot.lists.getOrDefault("101", Set.of())));
    // no secret in logs or dead letters; nothing dead-lettered by the sink
    assertFalse(logs.contains(TOKEN), "the token was logged");
    for (JsonNode letter : OutputFiles.rows(out.resolve("dead-letter"))) {
      assertFalse(letter.toString().contains(TOKEN));
      assertFalse(letter.get("step").asText().startsWith("Send to"), letter.toString());
    }
    assertTrue(Files.isDirectory(out.resolve("sync-state").resolve("hubspot")));

    // Mailchimp: only activated customers with email consent, subscribed once, with the
    // mapped merge field and a tag for each mapped segment
    Set<String> consenting = new TreeSet<>();
    Map<String, String> lifetimeValue = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
      String email = emailOf.get(row.get("customer_id").asText());
      if (email != null && expected.containsKey(email)
          && row.path("consent_email").asBoolean(false)) {
        consenting.add(email);
        lifetimeValue.put(email, row.get("monetary_total").asText());
      }
    }
    assertTrue(consenting.size() > 5 && consenting.size() < expected.size(),
        "the sample must have activated customers with and without consent: " + consenting);
    Set<String> members = new TreeSet<>();
    for (FakeMailchimp.Member member : mailchimp.membersByHash.values()) {
      members.add(member.email);
      assertEquals(1, member.writes.get(), member.email);
      assertEquals("subscribed", member.status);
      assertEquals(lifetimeValue.get(member.email), member.mergeFields.path("LTV").asText());
      assertEquals(expected.get(member.email).contains("loyal_customers") ? Set.of("Loyal")
          : Set.of(), Set.copyOf(member.tags), member.email);
    }
    assertEquals(consenting, members);
    assertFalse(logs.contains(MAILCHIMP_KEY), "the Mailchimp key was logged");

    // the same command again: nothing to send
    int before = hubspot.server.requests().size();
    int mailchimpBefore = mailchimp.server.requests().size();
    runCapturing(both);
    assertEquals(before, hubspot.server.requests().size(), "a second run sent requests");
    assertEquals(mailchimpBefore, mailchimp.server.requests().size(),
        "a second run sent requests to Mailchimp");

    // a full resync sends every customer with an email and consent again (those in no
    // activated segment too, so stale segments are cleared), each once; customers without
    // consent whom HubSpot never received stay unsent
    runCapturing(args(out, dir, "--fullResync=true"));
    List<Request> requests = hubspot.server.requests();
    Set<String> withConsent = new TreeSet<>();
    emailOf.forEach((customer, address) -> {
      if (consentingIds.contains(customer)) {
        withConsent.add(address);
      }
    });
    assertEquals(withConsent, sentEmails(requests.subList(before, requests.size())));
    assertTrue(hubspot.writesPerEmail.values().stream().allMatch(n -> n.get() <= 2),
        "a contact was written more than once per run");
  }

  /** Customer ids with an activated (non-holdout) segment. */
  static Set<String> activatedCustomers(Path out) {
    Set<String> activated = new TreeSet<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("segments"))) {
      if (!row.get("holdout").asBoolean()) {
        activated.add(row.get("customer_id").asText());
      }
    }
    return activated;
  }

  /** Customer ids with an identifier of {@code type}. */
  static Set<String> customersWith(Path out, String... types) {
    Set<String> customers = new TreeSet<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
      if (List.of(types).contains(row.get("id_type").asText())) {
        customers.add(row.get("customer_id").asText());
      }
    }
    return customers;
  }

  @Test
  void everyOtherPlatformGetsEachActivatedContactOnceAndNoSecret(@TempDir Path dir)
      throws Exception {
    try (Fixture klaviyo = PlatformFixtures.start("klaviyo");
        Fixture braze = PlatformFixtures.start("braze");
        Fixture salesforce = PlatformFixtures.start("salesforce");
        Fixture zoho = PlatformFixtures.start("zoho");
        Fixture kit = PlatformFixtures.start("kit")) {
      List<Fixture> all = List.of(klaviyo, braze, salesforce, zoho, kit);
      Path out = dir.resolve("out");
      Path mapping = dir.resolve("mapping.yaml");
      Files.writeString(mapping, String.join("\n",
          "klaviyo: {properties: {monetary_total: lifetime_value}}",
          "braze: {attributes: {monetary_total: lifetime_value}}",
          "salesforce: {fields: {monetary_total: Lifetime_Value__c}, email_field: Email, "
              + "segments_field: Audience_Segments__c}",
          "zoho: {fields: {monetary_total: Lifetime_Value}, last_name_fallback: \"(unknown)\","
              + " segment_tags: {loyal_customers: Loyal}}",
          "kit: {segment_tags: {loyal_customers: Loyal customers}}",
          ""));
      klaviyo.server().enqueue(Response.json(503, "{\"errors\":[{\"detail\":\"busy\"}]}"));
      braze.server().enqueue(new Response(429, Map.of("Retry-After", "1", "Content-Type",
          "application/json"), "{\"message\":\"rate limited\"}"));
      salesforce.server().enqueue(Response.json(503,
          "[{\"message\":\"unavailable\",\"errorCode\":\"SERVER_UNAVAILABLE\"}]"));
      zoho.server().enqueue(Response.json(429, "{\"code\":\"TOO_MANY_REQUESTS\",\"details\""
          + ":{},\"message\":\"limit exceeded\",\"status\":\"error\"}"));
      kit.server().enqueue(new Response(429, Map.of("Content-Type", "text/plain"),
          "Retry later"));
      List<String> args = dataArgs(dir, out);
      args.addAll(List.of("@../runner-configs/flink-local.args",
          "--sinks=klaviyo,braze,salesforce,zoho,kit", "--sinkMapping=" + mapping,
          "--syncState=" + out.resolve("sync-state"),
          "--klaviyoBaseUrl=" + klaviyo.server().baseUrl(), "--klaviyoApiKey=" + klaviyo.secret(),
          "--brazeBaseUrl=" + braze.server().baseUrl(), "--brazeApiKey=" + braze.secret(),
          "--salesforceBaseUrl=" + salesforce.server().baseUrl(),
          "--salesforceAccessToken=" + salesforce.secret(),
          "--zohoBaseUrl=" + zoho.server().baseUrl(), "--zohoAccessToken=" + zoho.secret(),
          "--kitBaseUrl=" + kit.server().baseUrl(), "--kitAccessToken=" + kit.secret()));
      String logs = runCapturing(args);

      Set<String> activated = activatedCustomers(out);
      Set<String> reachable = new TreeSet<>(activated);
      reachable.retainAll(customersWith(out, "email", "phone"));
      Set<String> consenting = new TreeSet<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
        if (row.path("consent_email").asBoolean(false)) {
          consenting.add(row.get("customer_id").asText());
        }
      }
      Set<String> emailable = new TreeSet<>(reachable);
      emailable.retainAll(consenting);
      assertTrue(emailable.size() > 5 && emailable.size() < reachable.size(), emailable.toString());
      // Salesforce, a CRM, gets every reachable customer; the email platforms only those with
      // email consent (their customers all have an email here), and so does Zoho, a CRM that
      // takes withdrawals as its opt-out and never creates a contact for one
      assertEquals(reachable, new TreeSet<>(salesforce.writes().keySet()));
      assertEquals(emailable, new TreeSet<>(braze.writes().keySet()));
      assertEquals(emailable, new TreeSet<>(klaviyo.writes().keySet()));
      assertEquals(emailable, new TreeSet<>(zoho.writes().keySet()));
      // Kit keys subscribers by email: each customer's smallest
      Map<String, String> emailOf = new TreeMap<>();
      for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
        if (emailable.contains(row.get("customer_id").asText())
            && row.get("id_type").asText().equals("email")) {
          emailOf.merge(row.get("customer_id").asText(), row.get("id_value").asText(),
              (a, b) -> a.compareTo(b) <= 0 ? a : b);
        }
      }
      assertEquals(new TreeSet<>(emailOf.values()), new TreeSet<>(kit.writes().keySet()));
      for (Fixture fixture : all) {
        assertTrue(fixture.writes().values().stream().allMatch(n -> n.get() == 1),
            "a contact was written twice");
        assertFalse(logs.contains(fixture.secret()), "a credential was logged");
      }
      for (JsonNode letter : OutputFiles.rows(out.resolve("dead-letter"))) {
        for (Fixture fixture : all) {
          assertFalse(letter.toString().contains(fixture.secret()));
        }
        assertFalse(letter.get("step").asText().startsWith("Send to"), letter.toString());
      }

      // the same command again: no platform gets a request
      List<Integer> before = all.stream().map(f -> f.server().requests().size()).toList();
      runCapturing(args);
      assertEquals(before, all.stream().map(f -> f.server().requests().size()).toList());
    }
  }

  @Test
  void dryRunWritesRequestsAndLeavesTheStateAlone(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    List<String> args = dataArgs(dir, out);
    args.add("@../runner-configs/flink-local.args");
    args.addAll(List.of("--sinks=hubspot", "--hubspotBaseUrl=" + hubspot.baseUrl(),
        "--dryRun=true", "--sinkMapping=" + mapping(dir),
        "--syncState=" + out.resolve("sync-state")));
    PipelineRuns.runToCompletion(args); // no token needed for a dry run
    assertTrue(hubspot.server.requests().isEmpty());
    List<String> lines = new ArrayList<>();
    try (var files = Files.list(out.resolve(Activation.DRY_RUN_FOLDER))) {
      for (Path file : files.toList()) {
        lines.addAll(Files.readAllLines(file));
      }
    }
    assertFalse(lines.isEmpty());
    assertTrue(lines.get(0).contains("/crm/v3/objects/contacts/batch/upsert"), lines.get(0));
    assertFalse(Files.exists(out.resolve("sync-state").resolve("hubspot")));
  }

  @Test
  void badActivationSettingsFailTheLaunchNamingTheValue(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    IllegalArgumentException platform = assertThrows(IllegalArgumentException.class,
        () -> PipelineRuns.runToCompletion(args(out, dir, "--sinks=hubspot,hubsopt")));
    assertTrue(platform.getMessage().contains("'hubsopt'"), platform.getMessage());

    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "hubspot:\n  properties:\n    monetary_totl: ltv\n");
    IllegalArgumentException column = assertThrows(IllegalArgumentException.class,
        () -> PipelineRuns.runToCompletion(args(out, dir, "--sinkMapping=" + bad)));
    assertTrue(column.getMessage().contains(bad + ": hubspot.properties: unknown feature column "
        + "'monetary_totl'"), column.getMessage());

    Files.writeString(bad, "hubspot:\n  segment_lists:\n    vips: \"1\"\n");
    IllegalArgumentException segment = assertThrows(IllegalArgumentException.class,
        () -> PipelineRuns.runToCompletion(args(out, dir, "--sinkMapping=" + bad)));
    assertTrue(segment.getMessage().contains("unknown segment 'vips'"), segment.getMessage());

    Files.writeString(bad, "hubspot:\n  lists: {}\n");
    IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
        () -> PipelineRuns.runToCompletion(args(out, dir, "--sinkMapping=" + bad)));
    assertTrue(key.getMessage().contains(bad + ": hubspot: unknown key 'lists'"),
        key.getMessage());

    List<String> noToken = dataArgs(dir, out);
    noToken.add("--sinks=klaviyo");
    noToken.add("--syncState=" + out.resolve("sync-state"));
    IllegalArgumentException credential = assertThrows(IllegalArgumentException.class,
        () -> PipelineRuns.runToCompletion(noToken));
    assertEquals("--sinks=klaviyo needs the environment variable KLAVIYO_API_KEY, "
        + "--klaviyoApiKeyEnv=NAME or --klaviyoApiKeyFile=PATH (or --klaviyoApiKey on local "
        + "runs)", credential.getMessage());
  }
}
