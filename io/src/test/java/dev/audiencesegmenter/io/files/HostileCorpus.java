package dev.audiencesegmenter.io.files;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Issue 17's hostile-input corpus: kinds of hostile lines and files for events and profiles,
 * each with what the readers must make of each of its lines (a dead letter whose reason starts
 * with the given text, or {@link #PARSED}). Written deterministically by code, large ones
 * (a gzip bomb, a file without newlines) included. Hostile records use source {@code hostile}
 * and identifiers of their own, so they never join a good customer.
 *
 * <p>Used by {@code HostileCorpusTest} (the readers) and by the pipelines module's end-to-end
 * test ({@code HostileInputPipelineTest}).
 */
public final class HostileCorpus {
  /** The outcome of a line that is read as a record. */
  public static final String PARSED = "(parsed)";
  /** The outcome of a line that parses and is then dropped as a duplicate of (source, id). */
  public static final String DUPLICATE = "duplicate (source, id)";
  /**
   * The outcome of a line that is read as a record with a consent value the job cannot read:
   * the record is kept (that channel withdrawn) and a dead letter names the value; the line
   * counts as parsed, not as dead-lettered.
   */
  public static final String UNREADABLE_CONSENT = "unreadable consent value";

  /** Bytes of the gzip bomb once decompressed: one line, far past the line limit. */
  static final int BOMB_BYTES = 24 << 20;
  /** Bytes of the file without a newline. */
  static final int NO_NEWLINE_BYTES = 3 << 20;

  private HostileCorpus() {}

  /** One kind: its name, the file it is written to, and per line read, its outcome. */
  public record Kind(String name, String file, byte[] bytes, List<String> outcomes) {
    public Kind {
      outcomes = List.copyOf(outcomes);
    }
  }

  private static final String T = "\"time\":\"2024-06-01T10:00:00Z\"";

  /** A hostile event line: {@code rest} follows source, id, type, time and ids. */
  static String event(String id, String rest) {
    return "{\"source\":\"hostile\",\"id\":\"" + id + "\",\"type\":\"purchase\"," + T
        + ",\"ids\":{\"user_id\":\"h-" + id + "\"}" + rest + "}";
  }

  /** An event line with the given top-level fields in place of type, time and ids. */
  static String eventWith(String id, String fields) {
    return "{\"source\":\"hostile\",\"id\":\"" + id + "\"," + fields + "}";
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] lines(String... lines) {
    return utf8(String.join("\n", lines) + "\n");
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static List<String> times(int n, String outcome) {
    return java.util.Collections.nCopies(n, outcome);
  }

  private static Kind kind(String name, String file, byte[] bytes, String... outcomes) {
    return new Kind(name, file, bytes, Arrays.asList(outcomes));
  }

  /** The event kinds (JSON Lines, CSV, compressed). */
  public static List<Kind> events() {
    List<Kind> kinds = new ArrayList<>();
    kinds.add(kind("invalid UTF-8", "e01-invalid-utf8.jsonl", concat(
            utf8(event("u8-1", ",\"props\":{\"name\":\"caf")), new byte[] {(byte) 0xC3, '('},
            utf8("\"}}\n"), utf8(event("u8-2", ",\"props\":{\"name\":\"")),
            new byte[] {(byte) 0xFF, (byte) 0xFE}, utf8("\"}}\n"),
            utf8(event("u8-3", ",\"props\":{\"name\":\"")),
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, utf8("\"}}\n")),
        "not valid UTF-8", "not valid UTF-8", "not valid UTF-8"));
    kinds.add(kind("byte order mark at the start of a file", "e02-bom.jsonl", concat(
            new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, lines(event("bom-1", ""))),
        PARSED));
    kinds.add(kind("byte order mark inside a file", "e03-bom-inside.jsonl",
        lines(event("bomi-1", ""), "\uFEFF" + event("bomi-2", "")),
        PARSED, "invalid JSON"));
    kinds.add(kind("NUL bytes", "e04-nul.jsonl", lines(
            event("nul-1", ",\"props\":{\"name\":\"a\u0000b\"}"),
            event("nul-2", ",\"props\":{\"name\":\"a\\u0000b\"}"),
            "\u0000\u0000\u0000",
            eventWith("nul-4", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"user_id\":\"\\u0000\"}")),
        "invalid JSON", PARSED, "invalid JSON", PARSED));
    kinds.add(kind("CRLF and CR line ends", "e05-crlf.jsonl", utf8(event("crlf-1", "")
            + "\r\n" + event("crlf-2", "") + "\r" + event("crlf-3", "") + "\r\n\r\n"),
        PARSED, PARSED, PARSED, "empty line"));
    kinds.add(kind("amounts with huge exponents", "e06-exponents.jsonl", lines(
            event("exp-1", ",\"revenue\":1e999999999"),
            event("exp-2", ",\"revenue\":1e-999999999"),
            event("exp-3", ",\"revenue\":1e9999999999"),
            event("exp-4", ",\"revenue\":-1e-9999999999"),
            event("exp-5", ",\"props\":{\"x\":1e999999999}")),
        "absurd value: revenue 1E+999999999 is beyond",
        "absurd value: revenue 1E-999999999 has more than 18 decimal places",
        "absurd value: revenue has an exponent out of range",
        "absurd value: revenue has an exponent out of range",
        PARSED));
    kinds.add(kind("NaN and Infinity", "e07-nan.jsonl", lines(
            event("nan-1", ",\"revenue\":NaN"),
            event("nan-2", ",\"revenue\":Infinity"),
            event("nan-3", ",\"revenue\":-Infinity"),
            event("nan-4", ",\"revenue\":\"NaN\"")),
        "invalid JSON", "invalid JSON", "invalid JSON", "wrong type: 'revenue' must be a number"));
    kinds.add(kind("negative and zero amounts and quantities", "e08-negative.jsonl", lines(
            event("neg-1", ",\"revenue\":-3"),
            event("neg-2", ",\"revenue\":0"),
            event("neg-3", ",\"revenue\":-0.0"),
            event("neg-4", ",\"revenue\":5,\"props\":{\"qty\":-2}"),
            event("neg-5", ",\"revenue\":0,\"props\":{\"qty\":0}")),
        "absurd value: negative revenue", PARSED, PARSED, PARSED, PARSED));
    kinds.add(kind("deeply nested JSON", "e09-nested.jsonl", lines(
            event("deep-1", ",\"props\":{\"x\":" + "[".repeat(100_000) + "]".repeat(100_000)
                + "}"),
            "[".repeat(100_000),
            event("deep-3", ",\"props\":" + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000))),
        "invalid JSON", "invalid JSON", "invalid JSON"));
    kinds.add(kind("very long strings", "e10-long-strings.jsonl", lines(
            event("long-1", ",\"props\":{\"x\":\"" + "y".repeat(900_000) + "\"}"),
            event("long-2", ",\"props\":{\"x\":\"" + "y".repeat(1_100_000) + "\"}"),
            eventWith("long-3-" + "i".repeat(500_000), "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"user_id\":\"h-long-3\"}")),
        PARSED, "line longer than 1048576 bytes", PARSED));
    kinds.add(kind("duplicate keys", "e11-duplicate-keys.jsonl", lines(
            "{\"source\":\"hostile\",\"id\":\"dup-1\",\"id\":\"dup-1b\",\"type\":\"purchase\","
                + T + ",\"ids\":{\"user_id\":\"h-dup-1\"}}",
            event("dup-2", ",\"revenue\":5,\"revenue\":7"),
            "{\"source\":\"hostile\",\"id\":\"dup-3\",\"type\":\"purchase\"," + T
                + ",\"ids\":{\"user_id\":\"h-dup-3\",\"user_id\":\"h-dup-3b\"}}"),
        // As a JSON tree reads them: the last value of a key counts.
        PARSED, PARSED, PARSED));
    kinds.add(kind("wrong types", "e12-wrong-types.jsonl", lines(
            eventWith("wt-1", "\"type\":\"purchase\"," + T + ",\"ids\":[\"a@b.c\"]"),
            eventWith("wt-2", "\"type\":[\"purchase\"]," + T + ",\"ids\":{\"user_id\":\"x\"}"),
            eventWith("wt-3", "\"type\":\"purchase\",\"time\":1717236000,"
                + "\"ids\":{\"user_id\":\"x\"}"),
            "{\"source\":{\"a\":1},\"id\":\"wt-4\",\"type\":\"purchase\"," + T
                + ",\"ids\":{\"user_id\":\"x\"}}",
            event("wt-5", ",\"props\":[1,2]"),
            event("wt-6", ",\"currency\":7"),
            eventWith("wt-7", "\"type\":\"purchase\"," + T + ",\"ids\":{\"user_id\":[\"x\"]}")),
        "wrong type: 'ids' must be", "wrong type: 'type'", "unparseable time '1717236000'",
        "wrong type: 'source'", "wrong type: 'props'", "wrong type: 'currency'",
        "wrong type: 'ids.user_id'"));
    kinds.add(kind("null everywhere", "e13-nulls.jsonl", lines(
            "{\"source\":null,\"id\":null,\"type\":null,\"time\":null,\"ids\":null}",
            eventWith("null-2", "\"type\":\"purchase\"," + T + ",\"ids\":{\"user_id\":null}"),
            event("null-3", ",\"revenue\":null,\"currency\":null,\"props\":null,"
                + "\"consent\":null"),
            event("null-4", ",\"props\":{\"a\":null},\"consent\":{\"email\":null}"),
            "null"),
        "missing required field 'source'", "no identifier", PARSED, PARSED,
        "invalid JSON: a line must be one JSON object"));
    kinds.add(kind("times out of range", "e14-times.jsonl", lines(
            eventWith("t-1", "\"type\":\"purchase\",\"time\":\"+99999-01-01T00:00:00Z\","
                + "\"ids\":{\"user_id\":\"x\"}"),
            eventWith("t-2", "\"type\":\"purchase\",\"time\":\"1969-12-31T23:59:59Z\","
                + "\"ids\":{\"user_id\":\"x\"}"),
            eventWith("t-3", "\"type\":\"purchase\",\"time\":\"2024-06-30T23:59:60Z\","
                + "\"ids\":{\"user_id\":\"x\"}"),
            eventWith("t-4", "\"type\":\"purchase\",\"time\":\"2024-06-01T10:00:00+25:00\","
                + "\"ids\":{\"user_id\":\"x\"}"),
            eventWith("t-5", "\"type\":\"purchase\",\"time\":\"2150-01-01T00:00:00Z\","
                + "\"ids\":{\"user_id\":\"x\"}"),
            eventWith("t-6", "\"type\":\"purchase\",\"time\":\"-2024-06-01T10:00:00Z\","
                + "\"ids\":{\"user_id\":\"x\"}"),
            eventWith("t-7", "\"type\":\"purchase\",\"time\":\"2024-02-30T10:00:00Z\","
                + "\"ids\":{\"user_id\":\"x\"}")),
        "absurd value: time", "absurd value: time", "unparseable time", "unparseable time",
        "absurd value: time", "absurd value: time", "unparseable time"));
    kinds.add(kind("CSV header with an unclosed quote", "e15-unclosed-header.csv", utf8(
            "source,id,\"type,time,ids.user_id\nhostile,csv-1,purchase,2024-06-01T10:00:00Z,x\n"),
        "malformed CSV: the header cannot be read"));
    kinds.add(kind("CSV header naming a column twice", "e16-twice.csv", utf8(
            "source,id,type,time,ids.user_id,ids.user_id\n"
                + "hostile,csv-2,purchase,2024-06-01T10:00:00Z,a,b\n"
                + "hostile,csv-3,purchase,2024-06-01T10:00:00Z,c,\n"),
        "malformed CSV: the header names column 'ids.user_id' twice",
        "malformed CSV: the header names column 'ids.user_id' twice"));
    kinds.add(kind("CSV rows with too many or too few fields", "e17-fields.csv", utf8(
            "source,id,type,time,ids.user_id\n"
                + "hostile,csv-4,purchase,2024-06-01T10:00:00Z,h-csv-4,extra,more\n"
                + "hostile,csv-5,purchase\n"
                + "hostile,csv-6,purchase,2024-06-01T10:00:00Z,h-csv-6\n"),
        "malformed CSV", "malformed CSV", PARSED));
    kinds.add(kind("CSV with a byte order mark, CRLF and a quoted newline", "e18-bom.csv",
        concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8(
            "source,id,type,time,ids.user_id,props.note\r\n"
                + "hostile,csv-7,purchase,2024-06-01T10:00:00Z,h-csv-7,\"two\r\nlines\"\r\n"
                + "hostile,csv-8,purchase,2024-06-01T10:00:00Z,h-csv-8,\"a \"\"quote\"\"\"\r\n")),
        PARSED, PARSED));
    kinds.add(kind("20,000 identifiers on one record", "e19-identifiers.jsonl",
        lines(manyIdentifiers("many-1", 20_000)),
        "too many identifiers: 20000"));
    kinds.add(kind("emails with unicode, homoglyphs and control characters",
        "e20-emails.jsonl", lines(
            eventWith("em-1", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"email\":\"\u0430nn@example.com\"}"),
            eventWith("em-2", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"email\":\"b\u00f6b@\u00e9xample.com\"}"),
            eventWith("em-3", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"email\":\"ctl\\u0007@example.com\"}"),
            eventWith("em-4", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"email\":\"\\u202Emoc.elpmaxe@evil\"}"),
            eventWith("em-5", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"email\":\"zero\\u200Bwidth@example.com\"}")),
        PARSED, PARSED, PARSED, PARSED, PARSED));
    kinds.add(kind("phone number garbage", "e21-phones.jsonl", lines(
            eventWith("ph-1", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"phone\":\"call me maybe\",\"user_id\":\"h-ph-1\"}"),
            eventWith("ph-2", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"phone\":\"" + "9".repeat(400) + "\",\"user_id\":\"h-ph-2\"}"),
            eventWith("ph-3", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"phone\":\"+\uff11\uff14\uff11\uff15\",\"user_id\":\"h-ph-3\"}")),
        PARSED, PARSED, PARSED));
    kinds.add(kind("placeholder identifiers", "e22-placeholders.jsonl", lines(
            eventWith("pl-1", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"email\":\"test@test.com\",\"user_id\":\"h-pl-1\"}"),
            eventWith("pl-2", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"user_id\":\"undefined\",\"anonymous_id\":\"h-pl-2\"}"),
            eventWith("pl-3", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"phone\":\"(234) 567-8901\",\"user_id\":\"h-pl-3\"}")),
        PARSED, PARSED, PARSED));
    StringBuilder noNewline = new StringBuilder();
    for (int i = 0; noNewline.length() < NO_NEWLINE_BYTES; i++) {
      noNewline.append(event("nonl-" + i, ""));
    }
    kinds.add(kind("a file without newlines", "e23-no-newline.jsonl",
        utf8(noNewline.toString()), "line longer than 1048576 bytes"));
    byte[] xs = new byte[BOMB_BYTES];
    Arrays.fill(xs, (byte) 'x');
    kinds.add(kind("a gzip bomb", "e24-bomb.jsonl.gz", gzip(xs),
        "line longer than 1048576 bytes"));
    byte[] whole = gzip(lines(event("trunc-1", ""), event("trunc-2", ""),
        event("trunc-3", ",\"props\":{\"pad\":\"" + "p".repeat(50_000) + "\"}")));
    kinds.add(kind("a truncated gzip file", "e25-truncated.jsonl.gz",
        Arrays.copyOf(whole, whole.length - 40), PARSED, PARSED,
        "truncated or corrupt compressed file"));
    kinds.add(kind("an empty file", "e26-empty.jsonl", new byte[0]));
    kinds.add(kind("whitespace-only lines", "e27-whitespace.jsonl",
        lines("", " ", "\t\t", "\u00a0", "\u2003"),
        // A no-break space is not white space to JSON (nor to String.isBlank).
        "empty line", "empty line", "empty line", "invalid JSON", "empty line"));
    kinds.add(kind("HTML and Markdown in values", "e28-markup.jsonl", lines(
            eventWith("html-1", "\"type\":\"<script>alert(1)</script>\"," + T
                + ",\"ids\":{\"user_id\":\"h-html-1\"},\"props\":{\"channel\":"
                + "\"<img src=x onerror=alert(1)>\",\"category\":\"[x](javascript:alert(1))\"}"),
            event("html-2", ",\"props\":{\"category\":\"| a | b |\\n# heading\"}")),
        PARSED, PARSED));
    List<String> oneCustomer = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      oneCustomer.add("{\"source\":\"hostile\",\"id\":\"busy-" + i + "\",\"type\":\"site_visit\","
          + T + ",\"ids\":{\"user_id\":\"h-busy\"}}");
    }
    kinds.add(new Kind("2,000 events of one customer", "e29-busy.jsonl",
        lines(oneCustomer.toArray(new String[0])), times(2000, PARSED)));
    kinds.add(kind("unknown event types", "e30-types.jsonl", lines(
            eventWith("ty-1", "\"type\":\"teleport\"," + T + ",\"ids\":{\"user_id\":\"h-ty\"}"),
            eventWith("ty-2", "\"type\":\"\"," + T + ",\"ids\":{\"user_id\":\"h-ty\"}"),
            eventWith("ty-3", "\"type\":\"PURCHASE\"," + T + ",\"ids\":{\"user_id\":\"h-ty\"}")),
        PARSED, "missing required field 'type'", PARSED));
    kinds.add(kind("consent values garbage", "e31-consent.jsonl", lines(
            event("co-1", ",\"consent\":{\"email\":\"maybe\"}"),
            event("co-2", ",\"consent\":{\"email\":2}"),
            event("co-3", ",\"consent\":[true]"),
            event("co-4", ",\"consent\":{\"telepathy\":true}"),
            event("co-5", ",\"consent\":{\"sms\":{\"value\":true}}"),
            event("co-6", ",\"consent\":{\"email\":\" Opted_Out \"}"),
            event("co-7", ",\"consent\":{\"unsubscribed\":\"perhaps\"}")),
        UNREADABLE_CONSENT, UNREADABLE_CONSENT, "wrong type: 'consent'", PARSED,
        UNREADABLE_CONSENT, PARSED, UNREADABLE_CONSENT));
    kinds.add(kind("currency garbage", "e32-currency.jsonl", lines(
            event("cur-1", ",\"revenue\":5,\"currency\":\"dollars\""),
            event("cur-2", ",\"revenue\":5,\"currency\":\"\u20ac\"")),
        "invalid currency", "invalid currency"));
    kinds.add(kind("not one JSON object per line", "e33-not-objects.jsonl", lines(
            "[1,2,3]", "\"text\"", "42", event("obj-1", "") + " trailing",
            event("obj-2", "") + event("obj-3", ""), "{\"source\":\"hostile\",\"id\":"),
        "invalid JSON: a line must be one JSON object",
        "invalid JSON: a line must be one JSON object",
        "invalid JSON: a line must be one JSON object", "invalid JSON", "invalid JSON",
        "invalid JSON"));
    kinds.add(kind("duplicate (source, id)", "e34-duplicates.jsonl", lines(
            event("same", ""), event("same", ",\"revenue\":1")),
        PARSED, DUPLICATE));
    kinds.add(kind("odd identifier types", "e35-id-types.jsonl", lines(
            eventWith("it-1", "\"type\":\"purchase\"," + T + ",\"ids\":{\"\":\"x\"}"),
            eventWith("it-2", "\"type\":\"purchase\"," + T
                + ",\"ids\":{\"a:b\":\"x\",\"user_id\":\"h-it-2\"}"),
            eventWith("it-3", "\"type\":\"purchase\"," + T + ",\"ids\":{\"user_id\":\"   \"}")),
        PARSED, PARSED, "no identifier"));
    return kinds;
  }

  /** The profile kinds. */
  public static List<Kind> profiles() {
    List<Kind> kinds = new ArrayList<>();
    kinds.add(kind("profiles: attributes of the wrong shape", "p01-attrs.jsonl", lines(
            profile("pa-1", ",\"attrs\":{\"city\":{\"name\":\"Oslo\"}}"),
            profile("pa-2", ",\"attrs\":[\"Oslo\"]"),
            profile("pa-3", ",\"attrs\":{\"city\":\"<b>Oslo</b>\",\"lat\":\"91.5\","
                + "\"employees\":-4}")),
        "wrong type: 'attrs.city'", "wrong type: 'attrs'", PARSED));
    kinds.add(kind("profiles: missing and absurd times", "p02-times.jsonl", lines(
            "{\"source\":\"hostile\",\"id\":\"pt-1\",\"ids\":{\"crm_id\":\"h-pt-1\"}}",
            "{\"source\":\"hostile\",\"id\":\"pt-2\",\"time\":\"0000-01-01T00:00:00Z\","
                + "\"ids\":{\"crm_id\":\"h-pt-2\"}}"),
        "missing required field 'time'", "absurd value: time"));
    kinds.add(kind("profiles: CSV header with an unclosed quote", "p03-unclosed.csv", utf8(
            "source,id,\"time,ids.crm_id\nhostile,pc-1,2024-01-01T00:00:00Z,x\n"),
        "malformed CSV: the header cannot be read"));
    kinds.add(kind("profiles: 20,000 identifiers", "p04-identifiers.jsonl", lines(
            manyIdentifiersProfile("pm-1", 20_000)),
        "too many identifiers: 20000"));
    return kinds;
  }

  static String profile(String id, String rest) {
    return "{\"source\":\"hostile\",\"id\":\"" + id + "\",\"time\":\"2024-01-01T00:00:00Z\","
        + "\"ids\":{\"crm_id\":\"h-" + id + "\"}" + rest + "}";
  }

  private static String identifiers(String id, int n) {
    StringBuilder ids = new StringBuilder();
    for (int i = 0; i < n; i++) {
      ids.append(i == 0 ? "" : ",").append("\"device_").append(i).append("\":\"").append(id)
          .append('-').append(i).append('"');
    }
    return ids.toString();
  }

  static String manyIdentifiers(String id, int n) {
    return eventWith(id, "\"type\":\"site_visit\"," + T + ",\"ids\":{" + identifiers(id, n) + "}");
  }

  static String manyIdentifiersProfile(String id, int n) {
    return "{\"source\":\"hostile\",\"id\":\"" + id + "\",\"time\":\"2024-01-01T00:00:00Z\","
        + "\"ids\":{" + identifiers(id, n) + "}}";
  }

  /** Writes every kind's file into {@code dir}. */
  public static void write(List<Kind> kinds, Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Kind k : kinds) {
      Files.write(dir.resolve(k.file()), k.bytes());
    }
  }
}
