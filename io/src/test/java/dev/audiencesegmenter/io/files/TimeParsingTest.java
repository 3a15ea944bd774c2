package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link JsonFields#time} (the common shapes read by hand, the rest by java.time) against the
 * java.time-only reading it replaced ({@link TreeModelOracle#requiredTime}): the same instant or
 * the same reason for every text.
 */
class TimeParsingTest {
  // Each list starts with values in range, then odd ones; ODD_FROM says where those start.
  static final String[] YEARS = {"0000", "0001", "1969", "1970", "1999", "2000", "2023", "2024",
      "2099", "2100", "2400", "9999", "199", "20245", "+2024", "-2024", "2O24"};
  static final String[] MONTHS = {"01", "02", "03", "04", "06", "09", "10", "11", "12", "00",
      "13", "1", "99"};
  static final String[] DAYS = {"01", "09", "10", "28", "29", "30", "31", "00", "32", "1", "99"};
  static final String[] HOURS = {"00", "01", "12", "23", "24", "25", "1"};
  static final String[] MINUTES = {"00", "30", "59", "60", "5"};
  static final String[] SECONDS = {"00", "30", "59", "60", "61", "5", ""};
  static final String[] FRACTIONS = {"", ".1", ".12", ".123", ".123456", ".123456789",
      ".000000001", ".999999999", ".", ".1234567890", ".1a"};
  static final String[] OFFSETS = {"", "Z", "+00:00", "-00:00", "+01:00", "-05:30", "+05:45",
      "+14:00", "+17:59", "-17:59", "z", "+18:00", "-18:00", "+18:01", "+19:00", "+05:60",
      "+0530", "+05", "+5", "+05:30:15", "+05:30:60", "+24:00", "UTC", "+05:3", "Z ", " Z",
      "+", "ZZ", "-"};
  static final String[] SEPARATORS = {"T", "t", " ", "_"};

  static String outcome(String text, boolean streaming) {
    try {
      if (streaming) {
        return JsonFields.time(text, "time").toString();
      }
      ObjectNode json = JsonNodeFactory.instance.objectNode().put("time", text);
      return TreeModelOracle.requiredTime(json, "time").toString();
    } catch (BadRecordException e) {
      return "rejected: " + e.getMessage();
    }
  }

  @Test
  void everyTextIsReadAsJavaTimeReadsIt() {
    Random r = new Random(42);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      StringBuilder s = new StringBuilder();
      s.append(pick(r, YEARS, 12)).append('-').append(pick(r, MONTHS, 9)).append('-')
          .append(pick(r, DAYS, 7));
      if (r.nextInt(8) != 0) {
        s.append(pick(r, SEPARATORS, 1)).append(pick(r, HOURS, 4)).append(':')
            .append(pick(r, MINUTES, 3));
        String seconds = pick(r, SECONDS, 3);
        if (!seconds.isEmpty()) {
          s.append(':').append(seconds).append(pick(r, FRACTIONS, 8));
        }
        s.append(pick(r, OFFSETS, 10));
      }
      String text = s.toString();
      if (r.nextInt(5) == 0) {
        text = FuzzLines.mutate(r, text);
      }
      texts.add(text.strip());
    }
    for (String time : FuzzLines.TIMES) {
      texts.add(time.replace("\\u2003", "\u2003").strip());
    }
    int fast = 0;
    int accepted = 0;
    int bySlowPath = 0;
    texts.removeIf(String::isEmpty);  // a blank time is a missing field, before any parse
    for (String text : texts) {
      String expected = outcome(text, false);
      assertEquals(expected, outcome(text, true), text);
      boolean common = JsonFields.commonInstant(text) != null;
      boolean ok = !expected.startsWith("rejected");
      fast += common ? 1 : 0;
      accepted += ok ? 1 : 0;
      bySlowPath += ok && !common ? 1 : 0;
    }
    System.out.printf("%d times compared: %d accepted (%d of them by java.time), %d read by "
        + "the fast path (in range or not)%n", texts.size(), accepted, bySlowPath, fast);
    assertTrue(fast > 10_000, "the fast path is exercised: " + fast);
    assertTrue(bySlowPath > 1_000, "and the java.time chain too: " + bySlowPath);
  }

  @Test
  void everyDateOfTheFourDigitYearsIsItsDay() {
    for (java.time.LocalDate date = java.time.LocalDate.of(0, 1, 1); date.getYear() <= 9999;
        date = date.plusDays(1)) {
      String iso = date + "T23:59:59Z";  // yyyy-MM-dd for these years
      java.time.Instant expected = date.atTime(23, 59, 59).toInstant(java.time.ZoneOffset.UTC);
      assertEquals(expected, JsonFields.commonInstant(iso), iso);
      assertEquals(expected.minusSeconds(86_399),
          JsonFields.commonInstant(iso.substring(0, 10)), iso);
    }
  }

  @Test
  void theCommonShapesTakeTheFastPath() {
    for (String text : List.of("2024-04-14T21:39:30Z", "2024-03-01T12:00:00.250+02:00",
        "2024-03-01T12:00:00-05:30", "2024-03-01T12:00:00", "2024-03-01",
        "2024-02-29T00:00:00.123456789Z")) {
      assertNotNull(JsonFields.commonInstant(text), text);
    }
    for (String text : List.of("2024-03-01t12:00:00Z", "2024-03-01T12:00Z",
        "2024-03-01T12:00:00+18:00", "2024-02-30", "2023-02-29T00:00:00Z",
        "2024-03-01T24:00:00Z", "+12024-03-01T00:00:00Z", "2024-03-01T12:00:00.Z")) {
      assertNull(JsonFields.commonInstant(text), text);
    }
  }

  /** Mostly (3 in 4) one of the first {@code oddFrom} options, else any. */
  static String pick(Random r, String[] options, int oddFrom) {
    return options[r.nextInt(4) != 0 ? r.nextInt(oddFrom) : r.nextInt(options.length)];
  }
}
