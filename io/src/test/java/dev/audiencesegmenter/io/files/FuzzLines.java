package dev.audiencesegmenter.io.files;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded generators of input lines for the differential tests: records built field by field
 * with every kind of value in every place (types swapped, duplicate keys, blank and padded
 * strings, unicode and escapes, numbers of every shape, nested values, unknown fields), then
 * mutated character by character (deleted, inserted, replaced, duplicated, truncated,
 * trailing garbage, BOM); whole-line oddities; and CSV files with odd headers and cells.
 */
final class FuzzLines {
  private FuzzLines() {}

  static final String[] NUMBERS = {
      "0", "-0", "1", "-1", "7", "42", "2147483647", "2147483648", "-2147483648", "-2147483649",
      "9223372036854775807", "9223372036854775808", "-9223372036854775808",
      "-9223372036854775809", "12345678901234567890123456789", "-98765432109876543210",
      "1.0", "1.00", "-1.5", "42.50", "0.0", "-0.0", "0.00000001", "123456.789000", "1e3",
      "1E3", "1e+3", "1E-3", "-2.5e-7", "5e12", "1e9", "1000000000", "1000000000.0000001",
      "-1000000000", "-1000000000.01", "999999999.99", "1e400", "-1e-400", "1e-7", "3.0e2",
      // Not 1e999999999 or 1e2147483647: as revenue, both readers would spell out the
      // absurd amount's billion digits (toPlainString). The hand-written cases have them as
      // props.
      "1e2147483648", "1e9999999999", "-1e9999999999",
      "1e-9999999999", "0e0", "0E-10", "00", "01", "1.", ".5", "+1", "1e", "-", "1.5.2",
      "NaN", "Infinity", "0x10", "1_000",
  };

  static final String[] STRINGS = {
      "", " ", "  ", "\\t", "\\n", "x", " x ", "\\u2003x\\u2003", "\\u00a0x\\u00a0", "\\u0001x",
      "x\\u0000", "\\u2028", "\\u3000", "\\u0020\\u0009", "shop", "purchase", "refund",
      "a@b.c", " ANN.LEE@EXAMPLE.COM ", "(415) 555-0132", "u-17", "é", "中文", "\\ud83d\\ude00",
      "\uD83D\uDE00", "\\ud800", "\\udc00x", "\\\"quoted\\\"", "back\\\\slash", "\\/", "null",
      "true", "1e3", "-0", "42.50", "usd", "USD", "eur", "us", "usdd", "ßd", "ﬀa", "ǆx",
      "\\u0041BC", "2024-03-01T12:00:00Z", "2024-03-01", "yesterday", "\\uFEFF",
      "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
  };

  static final String[] TIMES = {
      "2024-03-01T12:00:00Z", "2024-03-01T12:00:00.123Z", "2024-03-01T12:00:00.123456789Z",
      "2024-03-01T12:00:00+02:00", "2024-03-01T12:00:00-05:30", "2024-03-01T12:00:00+14:00",
      "2024-03-01T12:00:00+00:00:30", "2024-03-01T12:00Z", "2024-03-01T12:00:00",
      "2024-03-01T12:00", "2024-03-01", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
      "2024-02-30T10:00:00Z", "2024-13-01T00:00:00Z", "2024-03-01T24:00:00Z",
      "2024-03-01T23:59:60Z", "2024-03-01t12:00:00z", "2024-03-01 12:00:00Z",
      " 2024-03-01T12:00:00Z ", "\\u20032024-03-01T12:00:00Z", "1970-01-01T00:00:00Z",
      "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00+01:00", "2100-01-01T00:00:00Z",
      "2099-12-31T23:59:59.999999999Z", "2100-01-01T00:00:00+01:00", "1900-01-01",
      "+12024-03-01T00:00:00Z", "0000-01-01T00:00:00Z", "2024-3-1T00:00:00Z",
      "2024-03-01T12:00:00+25:00", "2024-03-01T12:00:00UTC", "2024-03-01T12:00:00.Z",
      "20240301T120000Z", "yesterday", "", "   ", "1709294400",
  };

  static final String[] TIMES_GOOD = {
      "2024-03-01T12:00:00Z", "2024-06-30T19:51:10Z", "2024-03-01T12:00:00.250+02:00",
      "2024-03-01T12:00:00", "2024-03-01",
  };

  static final String[] MAP_KEYS = {
      "email", "phone", "user_id", "anonymous_id", "crm_id", "device_id", "sku", "channel",
      "qty", "city", "lat", "sms", "tracking", "", " ", "e\\u006dail", "a.b", "中", "\\ud83d\\ude00",
      "x\\\"y", "__csv_error",
  };

  static final String[] TOP_KEYS = {
      "source", "id", "type", "time", "ids", "revenue", "currency", "props", "consent", "attrs",
      "unknown", "Source", "source ", "s\\u006furce", "\\u0069d", "__csv_error", "",
  };

  /** Whole lines that are odd as a whole. */
  static List<String> oddities() {
    List<String> out = new ArrayList<>(List.of(
        "", " ", "\t", "\u000B", "\u001C", "\u2003", "\u00A0", "\uFEFF", "\uFEFF{}",
        "{}", " {} ", "{}\t", "{} {}", "{}{}", "{},", "{}]", "{}}", "{} x", "{} 1", "{} null",
        "{} \"x\"", "{}//c", "{}/*c*/", "{} /*", "{}\u0000", "{}\u00A0", "{}\u2003", "[]",
        "[{}]", "[1,2,3]", "null", "null x", "null {}", "1", "-0", "1e9999999999", "\"x\"",
        "true", "false", "{", "}", "[", "]", ":", ",", "\"", "{\"", "{\"a\"", "{\"a\":",
        "{\"a\":1", "{\"a\":1,", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":'x'}",
        "{\"a\":tru}", "{\"a\":nul}", "{\"a\":NaN}", "{\"a\":-Infinity}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"x\ny\"}", "{\"a\":\"x\u0001\"}", "{\"a\":\"x\"}}", "{\"a\":[}", "{\"a\":[1,]}",
        "{\"a\":{\"b\":}}", "{\"__csv_error\":\"bad row\"}", "{\"__csv_error\":null}",
        "{\"__csv_error\":{}}", "{\"__csv_error\":[1]}", "{\"__csv_error\":12.50}",
        "{\"__csv_error\":true}", "{\"__csv_error\":\"x\",\"__csv_error\":7}",
        "{\"source\":\"s\"} x", "{\"source\":\"s\",}", "{\"source\":\"s\"",
        "{\"source\":\"s\",\"id\":\"1\",\"type\":\"t\",\"time\":\"2024-03-01T00:00:00Z\","
            + "\"ids\":{\"e\":\"x\"}} {\"x\":1}"));
    // Beyond Jackson's limits: nesting depth (1000), number length (1000), name length (50000).
    out.add("{\"props\":" + "[".repeat(1001) + "]".repeat(1001) + "}");
    out.add("{\"a\":" + "[".repeat(999) + "]".repeat(999) + "}");
    out.add("{\"props\":{\"n\":" + "9".repeat(1001) + "}}");
    out.add("{\"props\":{\"n\":" + "9".repeat(999) + "}}");
    out.add("{\"revenue\":0." + "1".repeat(1200) + "}");
    out.add("{\"" + "k".repeat(50_001) + "\":1}");
    out.add("{\"ids\":{\"" + "k".repeat(40_000) + "\":\"v\"}}");
    return out;
  }

  /** {@code count} records built field by field, each with 0..3 character mutations. */
  static List<String> records(long seed, int count) {
    Random r = new Random(seed);
    List<String> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String line = record(r);
      int mutations = r.nextInt(10) < 7 ? 0 : 1 + r.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        line = mutate(r, line);
      }
      out.add(line);
    }
    return out;
  }

  /** Each base line mutated {@code perLine} times, each time with 1..4 mutations. */
  static List<String> mutations(long seed, List<String> bases, int perLine) {
    Random r = new Random(seed);
    List<String> out = new ArrayList<>();
    for (String base : bases) {
      for (int k = 0; k < perLine; k++) {
        String line = base;
        int mutations = 1 + r.nextInt(4);
        for (int m = 0; m < mutations; m++) {
          line = mutate(r, line);
        }
        out.add(line);
      }
    }
    return out;
  }

  /** A record: half of them good ones (unless mutated), the rest with odd fields. */
  static String record(Random r) {
    return r.nextBoolean() ? goodRecord(r) : oddRecord(r);
  }

  /** A good event or profile, in the many ways a good one can be written. */
  static String goodRecord(Random r) {
    List<String> fields = new ArrayList<>();
    boolean event = r.nextInt(4) != 0;
    fields.add("\"source\":" + quote(pick(r, new String[] {"shop", "web", " crm ", "app"})));
    fields.add("\"id\":" + (r.nextInt(10) == 0 ? String.valueOf(r.nextInt(100_000))
        : quote("o-" + r.nextInt(100_000))));
    if (event) {
      fields.add("\"type\":" + quote(pick(r, new String[] {"purchase", "refund", "page_view",
          "signup", "email_open", "feature_use"})));
    }
    fields.add("\"time\":" + quote(pick(r, TIMES_GOOD)));
    List<String> ids = new ArrayList<>();
    ids.add("\"email\":" + quote(pick(r, new String[] {"ann@x.com", " ANN.LEE@EXAMPLE.COM ",
        "j\u00f6rg@b\u00fccher.de", "zoë@example.org", "a\\\"b@c.d"})));
    if (r.nextBoolean()) {
      ids.add("\"phone\":" + (r.nextBoolean() ? "4155550132" : quote("(415) 555-0132")));
    }
    if (r.nextBoolean()) {
      ids.add("\"user_id\":" + quote("u-" + r.nextInt(1000)));
    }
    if (r.nextInt(10) == 0) {
      ids.add("\"crm_id\":" + pick(r, new String[] {"7", "null", "\"\"", "12345678901234"}));
    }
    java.util.Collections.shuffle(ids, r);
    fields.add("\"ids\":{" + String.join(",", ids) + "}");
    if (event && r.nextBoolean()) {
      fields.add("\"revenue\":" + pick(r, new String[] {"42.50", "1", "0", "19.99", "1e3",
          "1.0E2", "999999999.99", "-0", "0.001", "null"}));
      if (r.nextBoolean()) {
        fields.add("\"currency\":" + quote(pick(r, new String[] {"USD", "eur", " gbp ", "ßd"})));
      }
    }
    String mapName = event ? "props" : "attrs";
    if (r.nextInt(3) != 0) {
      List<String> props = new ArrayList<>();
      for (int i = r.nextInt(5); i >= 0; i--) {
        String key = pick(r, MAP_KEYS);
        String value = r.nextInt(3) == 0 ? pick(r, NUMBERS) : quote(pick(r, STRINGS));
        if (!key.isBlank() && !value.contains("[")) {
          props.add(quote(key) + ":" + value);
        }
      }
      fields.add(quote(mapName) + ":{" + String.join(",", props) + "}");
    }
    if (event && r.nextBoolean()) {
      fields.add("\"consent\":{\"email\":" + r.nextBoolean() + (r.nextBoolean() ? ""
          : ",\"sms\":" + r.nextBoolean()) + "}");
    }
    if (r.nextInt(10) == 0) {
      fields.add("\"unknown\":" + value(r, 2));
    }
    if (r.nextInt(5) == 0) {
      java.util.Collections.shuffle(fields, r);
    }
    return "{" + String.join(",", fields) + "}";
  }

  /** A plausible event or profile with some fields odd (types, values, duplicates). */
  static String oddRecord(Random r) {
    List<String> fields = new ArrayList<>();
    boolean event = r.nextBoolean();
    String[] names = event
        ? new String[] {"source", "id", "type", "time", "ids", "revenue", "currency", "props",
            "consent"}
        : new String[] {"source", "id", "time", "ids", "attrs"};
    // A third of the records are hostile, the others mostly plausible.
    int odd = r.nextInt(3) == 0 ? 25 : 2;
    for (String name : names) {
      int dice = r.nextInt(100);
      if (dice < odd / 4) {
        continue;  // missing
      }
      fields.add(field(r, name, dice >= odd));
      if (r.nextInt(100) < odd / 4 + 1) {
        fields.add(field(r, name, r.nextBoolean()));  // duplicate key
      }
    }
    if (r.nextInt(100) < 15) {  // unknown fields, odd keys
      for (int k = r.nextInt(3); k >= 0; k--) {
        fields.add(quote(pick(r, TOP_KEYS)) + ":" + value(r, 2));
      }
    }
    if (r.nextInt(100) < 10) {
      java.util.Collections.shuffle(fields, r);
    }
    String ws = r.nextInt(100) < 10 ? pick(r, new String[] {" ", "\t", "\r", "\n", "  "}) : "";
    return "{" + ws + String.join("," + ws, fields) + ws + "}";
  }

  private static String field(Random r, String name, boolean plausible) {
    String value;
    if (!plausible) {
      value = value(r, 2);
    } else {
      switch (name) {
        case "source":
          value = quote(pick(r, new String[] {"shop", "web", " crm ", "app", "email", "\\u2003",
              "", "legacy"}));
          break;
        case "id":
          value = r.nextInt(10) == 0 ? pick(r, NUMBERS) : quote("o-" + r.nextInt(1000));
          break;
        case "type":
          value = quote(pick(r, new String[] {"purchase", "refund", "page_view", "signup",
              "email_open", "", " purchase "}));
          break;
        case "time":
          value = quote(r.nextInt(3) == 0 ? pick(r, TIMES) : pick(r, TIMES_GOOD));
          break;
        case "revenue":
          value = r.nextInt(10) < 8 ? pick(r, NUMBERS) : value(r, 1);
          break;
        case "currency":
          value = quote(pick(r, new String[] {"USD", "usd", " eur ", "us", "USDD", "ßd", "ﬀa",
              "\\u00e9ur", "", "GBP", "1$%"}));
          break;
        case "consent":
          value = map(r, true);
          break;
        default:  // ids, props, attrs
          value = map(r, false);
      }
    }
    return quote(name) + ":" + value;
  }

  private static String map(Random r, boolean booleans) {
    int size = r.nextInt(100) < 3 ? 20 + r.nextInt(30) : r.nextInt(5);
    List<String> entries = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      String key = r.nextInt(100) < 3 ? "k" + i : pick(r, MAP_KEYS);
      String value;
      int dice = r.nextInt(100);
      if (booleans) {
        value = dice < 85 ? (r.nextBoolean() ? "true" : "false") : value(r, 1);
      } else if (dice < 55) {
        value = quote(pick(r, STRINGS));
      } else if (dice < 75) {
        value = pick(r, NUMBERS);
      } else if (dice < 82) {
        value = r.nextBoolean() ? "true" : "false";
      } else if (dice < 90) {
        value = "null";
      } else {
        value = value(r, 2);
      }
      entries.add(quote(key) + ":" + value);
      if (r.nextInt(100) < 8) {  // the same key again
        entries.add(quote(key) + ":" + value(r, 1));
      }
    }
    return "{" + String.join(",", entries) + "}";
  }

  /** Any JSON value (and, rarely, something that is not one). */
  static String value(Random r, int depth) {
    int dice = r.nextInt(100);
    if (dice < 30) {
      return quote(pick(r, STRINGS));
    }
    if (dice < 55) {
      return pick(r, NUMBERS);
    }
    if (dice < 62) {
      return "true";
    }
    if (dice < 68) {
      return "false";
    }
    if (dice < 76) {
      return "null";
    }
    if (dice < 88 && depth > 0) {
      List<String> entries = new ArrayList<>();
      for (int i = r.nextInt(4); i > 0; i--) {
        entries.add(quote(pick(r, MAP_KEYS)) + ":" + value(r, depth - 1));
      }
      return "{" + String.join(",", entries) + "}";
    }
    if (dice < 98 && depth > 0) {
      List<String> items = new ArrayList<>();
      for (int i = r.nextInt(4); i > 0; i--) {
        items.add(value(r, depth - 1));
      }
      return "[" + String.join(",", items) + "]";
    }
    return pick(r, new String[] {"{}", "[]", "tru", "nul", "'x'", "\"x", "{\"a\"}", "[,]"});
  }

  private static final String INSERTS = "{}[]:,\"\\ \t0123456789-+.eEtrufalsn/x*'";
  private static final String[] INSERT_STRINGS = {
      "\uFEFF", "\u0000", "\u0001", "\u000B", "\u00A0", "\u2003", "\u2028", "é", "中",
      "\uD83D\uDE00", "\uD800", "\uFFFD", "\\u0000", "\\u00e9", "\\ud83d\\ude00", "\\\"", "\\\\",
      "\\n", "\\x", "\\u12", "null", "true", "-0", "1e3", "1e9999999999", "{}", "[]",
      "{\"a\":[1,{\"b\":null}]}", ",\"source\":\"dup\"", ",\"ids\":{\"email\":\"dup@x.y\"}",
      ",\"ids\":{}", ",\"props\":[]", ",\"consent\":{\"email\":null}", ",\"revenue\":-5",
      ",\"revenue\":\"5\"", ",\"__csv_error\":\"x\"", ",\"time\":\"2024-03-01\"", "\"\":\"\"",
  };

  /** One random edit. */
  static String mutate(Random r, String line) {
    int len = line.length();
    int at = len == 0 ? 0 : r.nextInt(len + 1);
    switch (r.nextInt(12)) {
      case 0:
      case 1: {  // delete one character
        if (len == 0) {
          return line;
        }
        int i = Math.min(at, len - 1);
        return line.substring(0, i) + line.substring(i + 1);
      }
      case 2: {  // delete a range
        int end = Math.min(len, at + 1 + r.nextInt(12));
        return line.substring(0, at) + line.substring(end);
      }
      case 3:
      case 4:  // insert a syntax character
        return line.substring(0, at) + INSERTS.charAt(r.nextInt(INSERTS.length()))
            + line.substring(at);
      case 5:  // insert a string: unicode, escapes, values, fields
        return line.substring(0, at) + pick(r, INSERT_STRINGS) + line.substring(at);
      case 6: {  // replace one character
        if (len == 0) {
          return line;
        }
        int i = Math.min(at, len - 1);
        return line.substring(0, i) + INSERTS.charAt(r.nextInt(INSERTS.length()))
            + line.substring(i + 1);
      }
      case 7: {  // duplicate a piece
        int end = Math.min(len, at + 1 + r.nextInt(30));
        return line.substring(0, end) + line.substring(at, end) + line.substring(end);
      }
      case 8:  // truncate
        return line.substring(0, at);
      case 9:  // trailing garbage
        return line + pick(r, new String[] {" ", "x", "}", "]", ",", " {}", " 1", " null",
            "//", "/*", "\u0000", "\n", " \"x\"", "{\"a\":1}", "\uFEFF"});
      case 10:  // leading BOM or whitespace
        return pick(r, new String[] {"\uFEFF", " ", "\t", "\u00A0", "\r\n"}) + line;
      default: {  // swap a value after a colon for another value
        int colon = line.indexOf(':', at);
        if (colon < 0) {
          return line;
        }
        int end = colon + 1;
        int nesting = 0;
        boolean inString = false;
        while (end < len) {
          char c = line.charAt(end);
          if (inString) {
            if (c == '\\') {
              end++;
            } else if (c == '"') {
              inString = false;
            }
          } else if (c == '"') {
            inString = true;
          } else if (c == '{' || c == '[') {
            nesting++;
          } else if (c == '}' || c == ']') {
            if (nesting == 0) {
              break;
            }
            nesting--;
          } else if (c == ',' && nesting == 0) {
            break;
          }
          end++;
        }
        return line.substring(0, colon + 1) + value(r, 2) + line.substring(Math.min(end, len));
      }
    }
  }

  private static final String[] HEADERS = {
      "source", "id", "type", "time", "revenue", "currency", "ids.email", "ids.user_id",
      "ids.phone", "props.sku", "props.qty", "consent.email", "consent.sms", "attrs.city",
      "attrs.plan", " ids.device_id ", "extra", "ids.", "props", "ids.email", "__csv_error",
      ".x", "consent.",
  };

  private static final String[] CELLS = {
      "", " ", "shop", "a-1", "purchase", "refund", "2024-05-01T10:00:00Z", "2024-05-01",
      "yesterday", "9.99", "-5", "1e3", " 42.50 ", "-0", "lots", "1e9999999999", "USD", "usd",
      "true", "FALSE", " True ", "yes", "ann@x.com", "u-1", "\"quoted, comma\"", "\"a \"\"q\"\"\"",
      "é", "\u2003", "{\"a\":1}", "[1]", "null", "\\", "\"unterminated",
  };

  /** A CSV file: a header (sometimes odd) and rows (some with too few or many cells). */
  static String csvFile(Random r) {
    List<String> header = new ArrayList<>(List.of("source", "id", "type", "time"));
    for (int i = r.nextInt(7); i > 0; i--) {
      // Names twice, and a map named whole and by key, included: CsvRecords dead-letters
      // the rows of such a header (issue 17, item 12).
      header.add(pick(r, HEADERS));
    }
    if (r.nextInt(10) == 0) {
      java.util.Collections.shuffle(header, r);
    }
    if (r.nextInt(10) == 0) {
      header.add("props");
    }
    StringBuilder csv = new StringBuilder(String.join(",", header)).append('\n');
    for (int row = 8 + r.nextInt(20); row > 0; row--) {
      int cells = r.nextInt(20) == 0 ? header.size() + r.nextInt(3) - 1 : header.size();
      List<String> values = new ArrayList<>();
      for (int c = 0; c < cells; c++) {
        String column = c < header.size() ? header.get(c).strip() : "";
        String value;
        int dice = r.nextInt(100);
        if (dice < 60) {
          switch (column) {
            case "source":
              value = "app";
              break;
            case "id":
              value = "a-" + r.nextInt(50);
              break;
            case "type":
              value = r.nextBoolean() ? "feature_use" : "purchase";
              break;
            case "time":
              value = pick(r, TIMES).replace("\\u2003", "\u2003");
              break;
            case "revenue":
              value = pick(r, NUMBERS);
              break;
            default:
              value = pick(r, CELLS);
          }
        } else {
          value = pick(r, CELLS);
        }
        values.add(value.contains(",") && !value.startsWith("\"") ? "\"" + value + "\"" : value);
      }
      csv.append(String.join(",", values)).append(r.nextInt(30) == 0 ? "\r\n" : "\n");
    }
    return csv.toString();
  }

  static String quote(String content) {
    return "\"" + content + "\"";
  }

  static String pick(Random r, String[] options) {
    return options[r.nextInt(options.length)];
  }
}
