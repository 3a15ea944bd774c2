package dev.audiencesegmenter.io.files;

import static dev.audiencesegmenter.io.files.HostileCorpusTest.counter;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consent values are read by one table in every reader (JSON Lines and CSV files, the local
 * reader, lines from Kafka): known values as true or false, anything else fails closed (the
 * channel withdrawn, the record kept) with a dead letter naming the field and the value.
 */
@ExtendWith(TestPipelineExtension.class)
class ConsentValuesReadTest {
  static final String HEAD = "{\"source\":\"shop\",\"type\":\"purchase\","
      + "\"time\":\"2024-03-01T12:00:00Z\",\"ids\":{\"email\":\"a@b.c\"},";

  static String event(String id, String consent) {
    return HEAD + "\"id\":\"" + id + "\",\"consent\":" + consent + "}";
  }

  static final String KNOWN = event("k", "{\"email\":\" Yes \",\"sms\":0,\"push\":\"OPT-OUT\","
      + "\"tracking\":true}");
  static final String NUMBER = event("n", "{\"email\":1,\"sms\":\"n\",\"unsubscribed\":false}");
  static final String UNREADABLE = event("u", "{\"email\":\"maybe\",\"sms\":\"opted_in\","
      + "\"unsubscribed\":\"dunno\"}");
  static final String ODD_TYPES = event("o", "{\"email\":2,\"sms\":{\"a\":1},\"push\":null,"
      + "\"tracking\":\" \"}");

  static final String EVENTS_CSV = "source,id,type,time,ids.email,consent.email,consent.sms\n"
      + "app,c1,purchase,2024-03-01T12:00:00Z,a@b.c,no,Subscribed\n"
      + "app,c2,purchase,2024-03-01T12:00:00Z,a@b.c,opted_out,maybe\n"
      + "app,c3,purchase,2024-03-01T12:00:00Z,a@b.c,,TRUE\n";

  static final String PROFILE = "{\"source\":\"crm\",\"id\":\"p1\","
      + "\"time\":\"2024-02-01T00:00:00Z\",\"ids\":{\"crm_id\":\"9\"},\"attrs\":{\"city\":\"Oslo\","
      + "\"consent_email\":\"maybe\",\"Consent.SMS\":\"yes\",\"consent_push\":\"0\"}}";

  static CustomerEvent.Builder shop(String id) {
    return CustomerEvent.builder().setSource("shop").setSourceRecordId(id)
        .setEventType("purchase").setEventTime(Instant.parse("2024-03-01T12:00:00Z"))
        .setIdentifiers(Map.of("email", "a@b.c"));
  }

  static CustomerEvent.Builder app(String id) {
    return CustomerEvent.builder().setSource("app").setSourceRecordId(id)
        .setEventType("purchase").setEventTime(Instant.parse("2024-03-01T12:00:00Z"))
        .setIdentifiers(Map.of("email", "a@b.c"));
  }

  static Map<String, Boolean> consent(Object... pairs) {
    Map<String, Boolean> m = new TreeMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], (Boolean) pairs[i + 1]);
    }
    return m;
  }

  static List<CustomerEvent> expectedEvents() {
    return List.of(
        shop("k").setConsent(consent("email", true, "sms", false, "push", false,
            "tracking", true)).build(),
        shop("n").setConsent(consent("email", true, "sms", false, "unsubscribed", false))
            .build(),
        // unreadable: the channel withdrawn, the unsubscribe flag on
        shop("u").setConsent(consent("email", false, "sms", true, "unsubscribed", true))
            .build(),
        // null and blank are no signal
        shop("o").setConsent(consent("email", false, "sms", false)).build(),
        app("c1").setConsent(consent("email", false, "sms", true)).build(),
        app("c2").setConsent(consent("email", false, "sms", false)).build(),
        app("c3").setConsent(consent("sms", true)).build());
  }

  static List<String> expectedEventDeadLetters() {
    return List.of(
        "ReadEvents/Parse|unreadable consent value 'maybe' in 'consent.email' (read as "
            + "withdrawn: false)|" + UNREADABLE,
        "ReadEvents/Parse|unreadable consent value 'dunno' in 'consent.unsubscribed' (read as "
            + "withdrawn: true)|" + UNREADABLE,
        "ReadEvents/Parse|unreadable consent value '2' in 'consent.email' (read as "
            + "withdrawn: false)|" + ODD_TYPES,
        "ReadEvents/Parse|unreadable consent value '{...}' in 'consent.sms' (read as "
            + "withdrawn: false)|" + ODD_TYPES,
        "ReadEvents/Parse|unreadable consent value 'maybe' in 'consent.sms' (read as "
            + "withdrawn: false)|app,c2,purchase,2024-03-01T12:00:00Z,a@b.c,opted_out,maybe");
  }

  static ProfileAttributes expectedProfile() {
    // kept as written: the features read the unreadable value as withdrawn
    return ProfileAttributes.builder().setSource("crm").setSourceRecordId("p1")
        .setUpdateTime(Instant.parse("2024-02-01T00:00:00Z"))
        .setIdentifiers(Map.of("crm_id", "9"))
        .setAttributes(Map.of("city", "Oslo", "consent_email", "maybe", "Consent.SMS", "yes",
            "consent_push", "0")).build();
  }

  static final String PROFILE_DEAD_LETTER = "ReadProfiles/Parse|unreadable consent value "
      + "'maybe' in 'attrs.consent_email' (read as withdrawn: false)|" + PROFILE;

  static Path write(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("events"));
    Files.createDirectories(dir.resolve("profiles"));
    Files.writeString(dir.resolve("events/shop.jsonl"),
        String.join("\n", KNOWN, NUMBER, UNREADABLE, ODD_TYPES) + "\n");
    Files.writeString(dir.resolve("events/app.csv"), EVENTS_CSV);
    Files.writeString(dir.resolve("profiles/crm.jsonl"), PROFILE + "\n");
    return dir;
  }

  static String row(DeadLetter d) {
    return d.getStep() + "|" + d.getReason() + "|" + d.getRecord();
  }

  @Test
  void filesKeepTheRecordWithTheChannelWithdrawnAndDeadLetterTheValue(TestPipeline p,
      @TempDir Path dir) throws IOException {
    write(dir);
    ReadResult<CustomerEvent> events = p.apply("Events",
        ReadCustomerEvents.from(dir + "/events/*"));
    ReadResult<ProfileAttributes> profiles = p.apply("Profiles",
        ReadProfileAttributes.from(dir + "/profiles/*"));
    PAssert.that(events.getRecords()).containsInAnyOrder(expectedEvents());
    PAssert.that(events.getDeadLetters().apply("EventRows", MapElements
        .into(TypeDescriptors.strings()).via(ConsentValuesReadTest::row)))
        .containsInAnyOrder(expectedEventDeadLetters());
    PAssert.that(profiles.getRecords()).containsInAnyOrder(expectedProfile());
    PAssert.that(profiles.getDeadLetters().apply("ProfileRows", MapElements
        .into(TypeDescriptors.strings()).via(ConsentValuesReadTest::row)))
        .containsInAnyOrder(PROFILE_DEAD_LETTER);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    // Every line is a record; the consent dead letters are counted on their own.
    assertEquals(7, counter(result, ReadCustomerEvents.class, "lines_read"));
    assertEquals(7, counter(result, ReadCustomerEvents.class, "records_parsed"));
    assertEquals(0, counter(result, ReadCustomerEvents.class, "dead_lettered"));
    assertEquals(5, counter(result, ReadCustomerEvents.class, "consent_values_unreadable"));
    assertEquals(1, counter(result, ReadProfileAttributes.class,
        "consent_values_unreadable"));
  }

  @Test
  void theLocalReaderReadsConsentAlike(@TempDir Path dir) throws IOException {
    write(dir);
    LocalRecords<CustomerEvent> events = LocalRecords.events(dir + "/events/*", 1 << 20);
    assertEquals(new java.util.HashSet<>(expectedEvents()),
        new java.util.HashSet<>(events.records()));
    List<String> rows = new ArrayList<>();
    events.deadLetters().forEach(d -> rows.add(row(d)));
    rows.sort(null);
    List<String> expected = new ArrayList<>(expectedEventDeadLetters());
    expected.sort(null);
    assertEquals(expected, rows);
    LocalRecords<ProfileAttributes> profiles = LocalRecords.profiles(dir + "/profiles/*",
        1 << 20);
    assertEquals(List.of(expectedProfile()), profiles.records());
    assertEquals(List.of(PROFILE_DEAD_LETTER), profiles.deadLetters().stream()
        .map(ConsentValuesReadTest::row).toList());
  }

  @Test
  void linesFromElsewhereReadConsentAlike(TestPipeline p) {
    // The Kafka reader's parsing step.
    ReadResult<CustomerEvent> read = p.apply(Create.of(KNOWN, NUMBER, UNREADABLE, ODD_TYPES))
        .apply(ParseLines.customerEvents(LineParser.customerEvents(1 << 20),
            "ReadEventsFromKafka/Parse", "test"));
    PAssert.that(read.getRecords()).containsInAnyOrder(expectedEvents().subList(0, 4));
    List<String> expected = new ArrayList<>();
    for (String row : expectedEventDeadLetters().subList(0, 4)) {
      expected.add(row.replace("ReadEvents/Parse", "ReadEventsFromKafka/Parse"));
    }
    PAssert.that(read.getDeadLetters().apply(MapElements.into(TypeDescriptors.strings())
        .via(ConsentValuesReadTest::row))).containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }
}
