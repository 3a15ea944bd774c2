package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.joda.time.Instant;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The streaming parser ({@link LineParser} over {@link JsonRecord}) against the tree-model
 * parser it replaced ({@link TreeModelOracle}): for every line, the same outcome (record or
 * dead letter, or the same runtime exception), the same reason, and an equal record. Every line
 * is read both as an event and as a profile.
 */
class StreamingParserDifferentialTest {
  static final int MAX_LINE_BYTES = 1 << 20;

  /** What one parser made of one line: a record, a reason, or a runtime exception. */
  record Outcome(Object record, String reason, String thrown) {
    @Override
    public String toString() {
      return record != null ? "record " + record
          : reason != null ? "rejected: " + reason : "threw " + thrown;
    }
  }

  interface Parse {
    Object run() throws BadRecordException;
  }

  static Outcome outcome(Parse parse) {
    try {
      return new Outcome(parse.run(), null, null);
    } catch (BadRecordException e) {
      return new Outcome(null, e.getMessage(), null);
    } catch (RuntimeException e) {
      return new Outcome(null, null, e.getClass().getName() + ": " + e.getMessage());
    }
  }

  /** Compares old and new on lines, and counts what it saw. */
  static final class Differential {
    final LineParser<CustomerEvent> events;
    final LineParser<ProfileAttributes> profiles;
    final TreeModelOracle<CustomerEvent> oldEvents;
    final TreeModelOracle<ProfileAttributes> oldProfiles;
    int lines;
    int comparisons;
    int accepted;
    int rejected;
    int thrown;
    final TreeSet<String> reasons = new TreeSet<>();
    final List<String> mismatches = new ArrayList<>();

    Differential(int maxLineBytes) {
      events = new LineParser<>(new EventParser(), maxLineBytes);
      profiles = new LineParser<>(new ProfileParser(), maxLineBytes);
      oldEvents = TreeModelOracle.events(maxLineBytes);
      oldProfiles = TreeModelOracle.profiles(maxLineBytes);
    }

    void line(String raw) {
      line(raw, null);
    }

    void line(String raw, String csvAsJson) {
      lines++;
      compare("event", raw, csvAsJson, outcome(() -> oldEvents.parse(raw, csvAsJson)),
          outcome(() -> events.parse(raw, csvAsJson)));
      compare("profile", raw, csvAsJson, outcome(() -> oldProfiles.parse(raw, csvAsJson)),
          outcome(() -> profiles.parse(raw, csvAsJson)));
    }

    private void compare(String as, String raw, String csvAsJson, Outcome old, Outcome now) {
      comparisons++;
      if (now.record() != null) {
        accepted++;
        checkTreeMaps(now.record());
      } else if (now.reason() != null) {
        rejected++;
        reasons.add(shape(now.reason()));
      } else {
        thrown++;
      }
      if (!old.equals(now) && mismatches.size() < 25) {
        mismatches.add("as " + as + ": " + escape(raw)
            + (csvAsJson == null ? "" : "\n    as JSON: " + escape(csvAsJson))
            + "\n    old: " + old + "\n    new: " + now);
      }
    }

    void assertNoMismatch() {
      if (!mismatches.isEmpty()) {
        fail(mismatches.size() + (mismatches.size() == 25 ? "+" : "") + " of " + comparisons
            + " comparisons differ:\n  " + String.join("\n  ", mismatches));
      }
    }

    String summary(String name) {
      return String.format("%s: %d lines, %d comparisons (as event and as profile): %d records, "
          + "%d dead letters (%d distinct reasons, numbers and quotes aside), %d runtime "
          + "exceptions; all equal", name, lines, comparisons, accepted, rejected,
          reasons.size(), thrown);
    }
  }

  /** Today's maps are TreeMaps (sorted for the coders), and stay so. */
  static void checkTreeMaps(Object record) {
    List<Map<String, ?>> maps = record instanceof CustomerEvent e
        ? List.of(e.getIdentifiers(), e.getProperties(), e.getConsent())
        : List.of(((ProfileAttributes) record).getIdentifiers(),
            ((ProfileAttributes) record).getAttributes());
    for (Map<String, ?> map : maps) {
      assertEquals(TreeMap.class, map.getClass(), "map type of " + record);
    }
  }

  /** A reason with its quoted parts and numbers blanked, to count kinds of reasons. */
  static String shape(String reason) {
    return reason.replaceAll("'[^']*'", "'_'").replaceAll("\"[^\"]*\"", "\"_\"")
        .replaceAll("[0-9]+", "9");
  }

  static String escape(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : (s.length() > 300 ? s.substring(0, 300) + "..." : s).toCharArray()) {
      if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  // ---- inputs ----

  static Path sampleFolder() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("sample/events"))) {
        return dir.resolve("sample");
      }
    }
    throw new IllegalStateException("no sample/ above " + Path.of("").toAbsolutePath());
  }

  static List<Path> files(Path folder) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder)) {
      stream.forEach(files::add);
    }
    files.sort(null);
    return files;
  }

  /** Every line of a JSON Lines file (plain or gzip), or every row of a CSV file. */
  static void readFile(Path file, Differential diff, boolean events) throws IOException {
    String name = file.getFileName().toString();
    try (InputStream in = name.endsWith(".gz")
        ? new GZIPInputStream(Files.newInputStream(file), 1 << 16) : Files.newInputStream(file);
        BufferedReader reader = new BufferedReader(
            new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      if (FileFormat.isCsvName(name)) {
        CsvRecords.readRows(reader, file.toString(),
            (events ? new EventParser().csvMapColumns() : new ProfileParser().csvMapColumns()),
            MAX_LINE_BYTES,
            diff::line);
      } else {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          diff.line(line);
        }
      }
    }
  }

  static List<String> jsonLines(Path file, int limit) throws IOException {
    List<String> lines = new ArrayList<>();
    String name = file.getFileName().toString();
    try (InputStream in = name.endsWith(".gz")
        ? new GZIPInputStream(Files.newInputStream(file)) : Files.newInputStream(file);
        BufferedReader reader = new BufferedReader(
            new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null && lines.size() < limit;
          line = reader.readLine()) {
        lines.add(line);
      }
    }
    return lines;
  }

  // ---- (a) real lines ----

  @Test
  void everyLineOfTheSampleIsParsedAlike() throws IOException {
    Differential diff = new Differential(MAX_LINE_BYTES);
    Path sample = sampleFolder();
    for (Path file : files(sample.resolve("events"))) {
      readFile(file, diff, true);
    }
    for (Path file : files(sample.resolve("profiles"))) {
      readFile(file, diff, false);
    }
    diff.assertNoMismatch();
    System.out.println(diff.summary("sample (events/*, profiles/*)"));
    assertTrue(diff.lines > 45_000, "the whole sample: " + diff.lines);
    assertTrue(diff.accepted > 45_000, "the good lines are good: " + diff.accepted);
  }

  /** The benchmark data set (1M events) when it is there; {@code -Ddifferential.data=dir}. */
  @Test
  void everyLineOfTheGeneratedDataSetIsParsedAlike() throws IOException {
    Path data = Path.of(System.getProperty("differential.data", "/tmp/data/e1m"));
    Assumptions.assumeTrue(Files.isDirectory(data.resolve("events")),
        "no generated data set at " + data + " (SampleDataGenerator --events=1000000)");
    Differential diff = new Differential(MAX_LINE_BYTES);
    for (Path file : files(data.resolve("events"))) {
      readFile(file, diff, true);
    }
    if (Files.isDirectory(data.resolve("profiles"))) {
      for (Path file : files(data.resolve("profiles"))) {
        readFile(file, diff, false);
      }
    }
    diff.assertNoMismatch();
    System.out.println(diff.summary("generated " + data));
  }

  @Test
  void generatedRecordsAreParsedAlike() {
    // Records built field by field with odd values in every place, 40% of them mutated.
    Differential diff = new Differential(MAX_LINE_BYTES);
    FuzzLines.records(20240301L, 30_000).forEach(diff::line);
    diff.assertNoMismatch();
    System.out.println(diff.summary("generated records"));
    assertTrue(diff.accepted > 5_000, "some records are good: " + diff.accepted);
    assertTrue(diff.reasons.size() > 40, "many kinds of reasons: " + diff.reasons);
  }

  // ---- (b) fuzz ----

  @Test
  void mutatedLinesAreParsedAlike() throws IOException {
    Path sample = sampleFolder();
    List<String> bases = new ArrayList<>(FuzzLines.oddities());
    for (Path file : files(sample.resolve("events"))) {
      if (!FileFormat.isCsvName(file.getFileName().toString())) {
        bases.addAll(jsonLines(file, 150));
      }
    }
    bases.addAll(jsonLines(sample.resolve("profiles/crm.jsonl"), 150));
    bases.add(ReadCustomerEventsTest.GOOD_1);
    bases.add(ReadCustomerEventsTest.GOOD_2);
    bases.add(ReadCustomerEventsTest.GOOD_3);
    for (String[] bad : ReadCustomerEventsTest.BAD) {
      bases.add(bad[0]);
    }
    List<String> lines = new ArrayList<>(bases);
    lines.addAll(FuzzLines.mutations(7L, bases, 12));
    Differential diff = new Differential(MAX_LINE_BYTES);
    lines.forEach(diff::line);
    // A small limit too: long lines are cut off before they are parsed.
    Differential small = new Differential(200);
    lines.forEach(small::line);
    diff.assertNoMismatch();
    small.assertNoMismatch();
    System.out.println(diff.summary("mutated lines"));
    System.out.println(small.summary("mutated lines, maxLineBytes=200"));
    assertTrue(diff.lines > 7_000, "thousands of lines: " + diff.lines);
    assertTrue(diff.reasons.size() > 60, "many kinds of reasons: " + diff.reasons);
  }

  @Test
  void csvRowsAreParsedAlike() throws IOException {
    Differential diff = new Differential(MAX_LINE_BYTES);
    Random r = new Random(11L);
    for (int i = 0; i < 1000; i++) {
      String csv = FuzzLines.csvFile(r);
      if (i % 4 == 3) {
        csv = FuzzLines.mutate(r, csv);  // broken quoting, a lost separator, ...
      }
      boolean events = i % 3 != 0;
      // Any header, however odd, gives rows or dead letters: nothing is thrown.
      CsvRecords.readRows(new StringReader(csv), "fuzz-" + i + ".csv",
          events ? new EventParser().csvMapColumns() : new ProfileParser().csvMapColumns(),
          MAX_LINE_BYTES, diff::line);
    }
    diff.assertNoMismatch();
    System.out.println(diff.summary("fuzzed CSV rows"));
    assertTrue(diff.lines > 4_000, "thousands of rows: " + diff.lines);
    assertTrue(diff.reasons.stream().anyMatch(s -> s.startsWith("malformed CSV")),
        "broken rows: " + diff.reasons);
  }

  // ---- hand-written cases with their exact outcome ----

  static final String HEAD = "{\"source\":\"shop\",\"id\":\"o-1\",\"type\":\"purchase\","
      + "\"time\":\"2024-03-01T12:00:00Z\",\"ids\":{\"email\":\"a@b.c\"}";

  static CustomerEvent.Builder event() {
    return CustomerEvent.builder().setSource("shop").setSourceRecordId("o-1")
        .setEventType("purchase").setEventTime(Instant.parse("2024-03-01T12:00:00Z"))
        .setIdentifiers(Map.of("email", "a@b.c"));
  }

  static void assertRejected(String line, String reason) {
    Differential diff = new Differential(MAX_LINE_BYTES);
    diff.line(line);
    diff.assertNoMismatch();
    assertEquals(new Outcome(null, reason, null),
        outcome(() -> diff.events.parse(line, null)), line);
  }

  static void assertEvent(String line, CustomerEvent expected) {
    Differential diff = new Differential(MAX_LINE_BYTES);
    diff.line(line);
    diff.assertNoMismatch();
    assertEquals(new Outcome(expected, null, null),
        outcome(() -> diff.events.parse(line, null)), line);
  }

  @Test
  void handWrittenCases() {
    String trailing = "invalid JSON: Trailing token (of type %s) found after value (bound as "
        + "`com.fasterxml.jackson.databind.JsonNode`): not allowed as per "
        + "`DeserializationFeature.FAIL_ON_TRAILING_TOKENS`";
    // A syntax error anywhere wins over a missing field, and is Jackson's own message.
    assertRejected("{\"id\":\"x\",}", "invalid JSON: Unexpected character ('}' (code 125)): "
        + "was expecting double-quote to start field name");
    assertRejected(HEAD + "} x", "invalid JSON: Unrecognized token 'x': was expecting (JSON "
        + "String, Number, Array, Object or token 'null', 'true' or 'false')");
    assertRejected(HEAD + "} {}", String.format(trailing, "START_OBJECT"));
    assertRejected("{} 1", String.format(trailing, "VALUE_NUMBER_INT"));
    assertRejected("null {}", String.format(trailing, "START_OBJECT"));
    assertRejected("[1,2,3]", "invalid JSON: a line must be one JSON object");
    assertRejected("null", "invalid JSON: a line must be one JSON object");
    assertRejected("\"x\"", "invalid JSON: a line must be one JSON object");
    assertRejected("\u000B", "empty line");
    assertRejected("{}", "missing required field 'source'");
    assertRejected("{\"__csv_error\":\"row has 3 cells, the header 4\",\"source\":1.5}",
        "malformed CSV: row has 3 cells, the header 4");
    assertRejected("{\"__csv_error\":{\"a\":1}}", "malformed CSV: ");
    assertRejected("{\"__csv_error\":null}", "malformed CSV: null");
    assertRejected("{\"__csv_error\":1.50}", "malformed CSV: 1.50");
    // Types: integral numbers are strings, other values are not.
    assertRejected("{\"source\":1.5}", "wrong type: 'source' must be a string, got number");
    assertRejected("{\"source\":true}", "wrong type: 'source' must be a string, got boolean");
    assertRejected("{\"source\":{\"a\":[]}}", "wrong type: 'source' must be a string, got object");
    assertRejected("{\"source\":[]}", "wrong type: 'source' must be a string, got array");
    assertRejected("{\"source\":\" \\u2003\"}", "missing required field 'source' (blank)");
    assertRejected("{\"source\":null}", "missing required field 'source'");
    // Last duplicate wins.
    assertRejected("{\"source\":\"a\",\"source\":null}", "missing required field 'source'");
    assertRejected(HEAD + ",\"revenue\":\"ten\"}",
        "wrong type: 'revenue' must be a number, got 'ten'");
    assertRejected(HEAD + ",\"revenue\":[1]}", "wrong type: 'revenue' must be a number, got ''");
    assertRejected(HEAD + ",\"revenue\":-0.01}",
        "absurd value: negative revenue -0.01 on a purchase (send refunds as type 'refund')");
    assertRejected(HEAD + ",\"revenue\":1e10}",
        "absurd value: revenue 10000000000 is beyond +/-1,000,000,000");
    assertRejected(HEAD + ",\"currency\":\"us\"}",
        "invalid currency 'US' (expected an ISO 4217 code like USD)");
    assertRejected(HEAD + ",\"currency\":840}", "wrong type: 'currency' must be a string");
    // In maps, the first key (by first appearance) whose last value is bad is reported.
    assertRejected(HEAD + ",\"props\":{\"x\":\"ok\",\"y\":[2],\"x\":{}}}",
        "wrong type: 'props.x' must be a string or number");
    // Consent values by ConsentValue's table; null is no signal, anything else withdrawn.
    assertEvent(HEAD + ",\"consent\":{\"email\":null,\"sms\":\"Opted_In\",\"push\":0}}",
        event().setConsent(Map.of("sms", true, "push", false)).build());
    assertEvent(HEAD + ",\"consent\":{\"email\":\"maybe\",\"unsubscribed\":[1]}}",
        event().setConsent(Map.of("email", false, "unsubscribed", true)).build());
    assertRejected(HEAD.replace("{\"email\":\"a@b.c\"}", "{\"email\":\" \",\"phone\":null}")
        + "}", "no identifier: 'ids' has no non-blank value");
    assertRejected(HEAD.replace("{\"email\":\"a@b.c\"}", "[\"a@b.c\"]") + "}",
        "wrong type: 'ids' must be an object");
    assertRejected(HEAD.replace("2024-03-01T12:00:00Z", "2024-02-30T10:00:00Z") + "}",
        "unparseable time '2024-02-30T10:00:00Z' in 'time' (expected ISO-8601, e.g. "
            + "2024-03-01T12:00:00Z)");
    assertRejected(HEAD.replace("2024-03-01T12:00:00Z", "2100-01-01T00:00:00Z") + "}",
        "absurd value: time 2100-01-01T00:00:00Z is outside 1970-01-01 .. 2100-01-01");

    // Numbers keep the tree's text; amounts their scale.
    assertEvent(HEAD + ",\"revenue\":1e3,\"props\":{\"a\":-0,\"b\":1e3,\"c\":1.0,\"d\":1.00,"
        + "\"e\":12345678901234567890,\"f\":0.00000001,\"g\":-0.0,\"h\":true,\"i\":null,"
        + "\"j\":\" \",\"k\":1e999999999,\"l\":1e9999999999,\"m\":2147483648}}",
        event().setRevenue(new BigDecimal("1E+3")).setProperties(new TreeMap<>(Map.ofEntries(
            Map.entry("a", "0"), Map.entry("b", "1E+3"), Map.entry("c", "1.0"),
            Map.entry("d", "1.00"), Map.entry("e", "12345678901234567890"),
            Map.entry("f", "1E-8"), Map.entry("g", "0.0"), Map.entry("h", "true"),
            Map.entry("k", "1E+999999999"), Map.entry("l", "Infinity"),
            Map.entry("m", "2147483648")))).build());
    assertEvent(HEAD + ",\"revenue\":42.50,\"currency\":\" usd \"}",
        event().setRevenue(new BigDecimal("42.50")).setCurrency("USD").build());
    assertEvent(HEAD + ",\"revenue\":-0,\"currency\":\"ßd\"}",
        event().setRevenue(BigDecimal.ZERO).setCurrency("SSD").build());
    // Duplicates: last wins, nested values and unknown fields are read and dropped.
    assertEvent(HEAD + ",\"ids\":{\"email\":[1],\"email\":\"x@y.z\",\"crm_id\":7},"
            + "\"source\":\"web\",\"s\\u006furce\":\" shop \",\"unknown\":{\"a\":[1,{}]},"
            + "\"consent\":{\"sms\":\"yes\",\"sms\":false}}",
        event().setIdentifiers(Map.of("email", "x@y.z", "crm_id", "7"))
            .setConsent(Map.of("sms", false)).build());
    // strip(), not trim(): a control character stays, Unicode space goes.
    assertEvent(HEAD.replace("\"o-1\"", "\"\\u2003o-1\\u0020\"") + "}", event().build());
    assertEvent(HEAD.replace("\"o-1\"", "\"\\u0001o-1\"") + "}",
        event().setSourceRecordId("\u0001o-1").build());
    // A float beyond BigDecimal is a double in the tree: a dead letter (it used to throw).
    assertRejected(HEAD + ",\"revenue\":1e9999999999}",
        "absurd value: revenue has an exponent out of range");
    assertRejected(HEAD + ",\"revenue\":1e-9999999999}",
        "absurd value: revenue has an exponent out of range");
  }

  /** The legacy-import sample: its bad lines, and why. */
  @Test
  void legacyImportIsRejectedLineByLine() throws IOException {
    List<String> reasons = new ArrayList<>();
    LineParser<CustomerEvent> parser = new LineParser<>(new EventParser(), MAX_LINE_BYTES);
    for (String line : jsonLines(sampleFolder().resolve("events/legacy-import.jsonl"), 100)) {
      try {
        parser.parse(line, null);
        reasons.add("ok");
      } catch (BadRecordException e) {
        reasons.add(e.getMessage());
      }
    }
    assertEquals(List.of(
        "unparseable time '2024-02-30T10:00:00Z' in 'time' (expected ISO-8601, e.g. "
            + "2024-03-01T12:00:00Z)",
        "no identifier: 'ids' has no non-blank value",
        "wrong type: 'revenue' must be a number, got 'ten'",
        "invalid JSON: Unexpected character ('\"' (code 34)): was expecting comma to separate "
            + "Object entries",
        "ok"), reasons);
  }
}
