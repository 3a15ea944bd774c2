package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Checked reading of the fields of an input record; every failure names the field. */
final class JsonFields {
  /** Times outside these bounds are typing errors, not history or plans. */
  static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
  static final Instant LATEST = Instant.parse("2100-01-01T00:00:00Z");
  static final BigDecimal MAX_ABS_AMOUNT = new BigDecimal("1000000000");
  /** Decimal places an amount may have (18: the smallest unit of most crypto currencies). */
  static final int MAX_AMOUNT_SCALE = 18;

  private JsonFields() {}

  /**
   * A required string (an integral number is taken as its text), stripped. For the readers
   * that still read trees (segment memberships, customer identities).
   */
  static String requiredString(ObjectNode json, String field) throws BadRecordException {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      throw new BadRecordException("missing required field '" + field + "'");
    }
    if (!node.isTextual() && !node.isIntegralNumber()) {
      throw new BadRecordException("wrong type: '" + field + "' must be a string, got "
          + node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
    }
    String value = node.asText().strip();
    if (value.isEmpty()) {
      throw new BadRecordException("missing required field '" + field + "' (blank)");
    }
    return value;
  }

  /** A required string (an integral number is taken as its text), stripped. */
  static String requiredString(JsonRecord json, int slot) throws BadRecordException {
    byte kind = json.kind(slot);
    if (kind == JsonRecord.ABSENT || kind == JsonRecord.NULL) {
      throw new BadRecordException("missing required field '" + json.name(slot) + "'");
    }
    if (kind != JsonRecord.STRING && kind != JsonRecord.INTEGER) {
      throw new BadRecordException("wrong type: '" + json.name(slot) + "' must be a string, got "
          + typeName(kind));
    }
    String value = json.text(slot).strip();
    if (value.isEmpty()) {
      throw new BadRecordException("missing required field '" + json.name(slot) + "' (blank)");
    }
    return value;
  }

  /** The tree model's node type, in lower case, of a value of this kind. */
  private static String typeName(byte kind) {
    switch (kind) {
      case JsonRecord.NULL:
        return "null";
      case JsonRecord.STRING:
        return "string";
      case JsonRecord.INTEGER:
      case JsonRecord.DECIMAL:
        return "number";
      case JsonRecord.BOOLEAN:
        return "boolean";
      case JsonRecord.OBJECT:
        return "object";
      case JsonRecord.ARRAY:
        return "array";
      default:
        return "missing";
    }
  }

  /** An optional string, stripped; null when absent, null or blank. */
  static @Nullable String optionalString(JsonRecord json, int slot) throws BadRecordException {
    byte kind = json.kind(slot);
    if (kind == JsonRecord.ABSENT || kind == JsonRecord.NULL) {
      return null;
    }
    if (kind != JsonRecord.STRING) {
      throw new BadRecordException("wrong type: '" + json.name(slot) + "' must be a string");
    }
    String value = json.text(slot).strip();
    return value.isEmpty() ? null : value;
  }

  /**
   * An ISO-8601 instant: with an offset or Z, or a local date-time or date taken as UTC.
   * Returned as a joda instant, Beam's schema type for times.
   */
  static org.joda.time.Instant requiredTime(JsonRecord json, int slot)
      throws BadRecordException {
    return time(requiredString(json, slot), json.name(slot));
  }

  /** {@link #requiredTime} of a field's stripped text. */
  static org.joda.time.Instant time(String text, String field) throws BadRecordException {
    Instant instant = commonInstant(text);
    if (instant == null) {
      try {
        instant = OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException withOffset) {
        try {
          instant = LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException local) {
          try {
            instant = LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
          } catch (DateTimeParseException date) {
            throw new BadRecordException("unparseable time '" + abbreviate(text)
                + "' in '" + field + "' (expected ISO-8601, e.g. 2024-03-01T12:00:00Z)");
          }
        }
      }
    }
    if (instant.isBefore(EARLIEST) || !instant.isBefore(LATEST)) {
      throw new BadRecordException("absurd value: time " + text
          + " is outside 1970-01-01 .. 2100-01-01");
    }
    return new org.joda.time.Instant(instant.toEpochMilli());
  }

  /**
   * The instant of a time in one of the common shapes, as the java.time chain above reads it,
   * without its cost (a formatter run allocates over a kilobyte, a failed one throws): {@code
   * yyyy-MM-dd'T'HH:mm:ss[.S{1,9}]} followed by {@code Z}, {@code +HH:MM} or {@code -HH:MM}
   * with hours up to 17 (what {@code OffsetDateTime.parse} takes), or by nothing (a local
   * date-time, UTC: {@code LocalDateTime.parse}), or {@code yyyy-MM-dd} alone (a date, UTC:
   * {@code LocalDate.parse}); ASCII digits, every field in its range, the day in its month.
   * Null for anything else, even if valid (lower-case t or z, no seconds, 24:00, other
   * offsets, signed or longer years): the chain decides those.
   */
  static @Nullable Instant commonInstant(String s) {
    int n = s.length();
    if (n < 10 || s.charAt(4) != '-' || s.charAt(7) != '-') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1
        || day > java.time.Month.of(month).length(java.time.Year.isLeap(year))) {
      return null;
    }
    long epochSecond = epochDay(year, month, day) * 86_400;
    if (n == 10) {
      return Instant.ofEpochSecond(epochSecond);
    }
    if (n < 19 || s.charAt(10) != 'T' || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return null;
    }
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
      return null;
    }
    epochSecond += hour * 3600 + minute * 60 + second;
    int i = 19;
    int nanos = 0;
    if (i < n && s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && i - start < 10 && isDigit(s.charAt(i))) {
        nanos = nanos * 10 + (s.charAt(i) - '0');
        i++;
      }
      int count = i - start;
      if (count < 1 || count > 9) {
        return null;
      }
      for (int k = count; k < 9; k++) {
        nanos *= 10;
      }
    }
    if (i < n) {
      char c = s.charAt(i);
      if (c == 'Z' && i + 1 == n) {
        // UTC
      } else if ((c == '+' || c == '-') && i + 6 == n && s.charAt(i + 3) == ':') {
        int hours = digits(s, i + 1, 2);
        int minutes = digits(s, i + 4, 2);
        if (hours < 0 || hours > 17 || minutes < 0 || minutes > 59) {
          return null;
        }
        int offset = hours * 3600 + minutes * 60;
        epochSecond -= c == '+' ? offset : -offset;
      } else {
        return null;
      }
    }
    return Instant.ofEpochSecond(epochSecond, nanos);
  }

  /** {@code LocalDate.of(year, month, day).toEpochDay()} of a valid date, year 0 to 9999. */
  private static long epochDay(int year, int month, int day) {
    long y = year;
    long total = 365 * y + (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400
        + (367 * month - 362) / 12 + day - 1;
    if (month > 2) {
      total -= java.time.Year.isLeap(year) ? 1 : 2;
    }
    return total - 719_528;  // days from 0000-01-01 to 1970-01-01
  }

  /** The value of {@code count} ASCII digits at {@code from}, or -1. */
  private static int digits(String s, int from, int count) {
    int value = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (!isDigit(c)) {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** An optional amount, exact as written; null when absent or null. */
  static @Nullable BigDecimal optionalAmount(JsonRecord json, int slot)
      throws BadRecordException {
    byte kind = json.kind(slot);
    if (kind == JsonRecord.ABSENT || kind == JsonRecord.NULL) {
      return null;
    }
    if (kind != JsonRecord.INTEGER && kind != JsonRecord.DECIMAL) {
      throw new BadRecordException("wrong type: '" + json.name(slot) + "' must be a number, got '"
          + abbreviate(json.text(slot)) + "'");
    }
    Number number = (Number) json.value(slot);
    if (number instanceof Double || number instanceof Float) {
      // Only an exponent beyond BigDecimal's int scale falls back to a double.
      throw new BadRecordException("absurd value: " + json.name(slot)
          + " has an exponent out of range");
    }
    return checkAmount(decimalValue(number), json.name(slot));
  }

  /**
   * {@code value} if its size and scale are those of an amount. The exponent is checked before
   * anything formats or adds the number: the plain text of 1e999999999 is a billion digits, and
   * adding 1e-999999999 to 1 makes one.
   */
  static BigDecimal checkAmount(BigDecimal value, String field) throws BadRecordException {
    // Digits before the point (at most 10 for a value up to 1,000,000,000), as a long.
    long integerDigits = (long) value.precision() - value.scale();
    if (value.signum() != 0 && integerDigits > 10) {
      // The plain text only when it is short; otherwise as written in scientific notation.
      String text = integerDigits <= 64 ? value.toPlainString() : value.toString();
      throw new BadRecordException("absurd value: " + field + " " + abbreviate(text)
          + " is beyond +/-1,000,000,000");
    }
    if (value.scale() > MAX_AMOUNT_SCALE) {
      throw new BadRecordException("absurd value: " + field + " " + abbreviate(value.toString())
          + " has more than " + MAX_AMOUNT_SCALE + " decimal places");
    }
    if (value.scale() < -9) {  // only a zero gets here: 0e999999999
      throw new BadRecordException("absurd value: " + field + " " + abbreviate(value.toString())
          + " has an exponent beyond 9");
    }
    if (value.abs().compareTo(MAX_ABS_AMOUNT) > 0) {
      throw new BadRecordException("absurd value: " + field + " "
          + value.toPlainString() + " is beyond +/-1,000,000,000");
    }
    return value;
  }

  /** A number node's {@code decimalValue()}. */
  private static BigDecimal decimalValue(Number number) {
    if (number instanceof BigDecimal) {
      return (BigDecimal) number;
    }
    if (number instanceof Integer || number instanceof Long) {
      return BigDecimal.valueOf(number.longValue());
    }
    if (number instanceof BigInteger) {
      return new BigDecimal((BigInteger) number);
    }
    if (number instanceof Float) {
      return BigDecimal.valueOf(number.floatValue());
    }
    // A DoubleNode (a float beyond BigDecimal): infinite ones throw, as they did.
    return BigDecimal.valueOf(number.doubleValue());
  }

  /**
   * A map of scalar values as strings; absent means empty. Numbers and booleans are kept in
   * their JSON text; blank values are dropped.
   */
  @SuppressWarnings("unchecked")
  static Map<String, String> stringMap(JsonRecord json, int slot) throws BadRecordException {
    return (Map<String, String>) map(json, slot);
  }

  /** The record's identifiers: required, and at least one must be non-blank. */
  static Map<String, String> requiredIdentifiers(JsonRecord json, int slot)
      throws BadRecordException {
    byte kind = json.kind(slot);
    if (kind == JsonRecord.ABSENT || kind == JsonRecord.NULL) {
      throw new BadRecordException("no identifier: '" + json.name(slot) + "' is missing");
    }
    Map<String, String> ids = stringMap(json, slot);
    if (ids.isEmpty()) {
      throw new BadRecordException("no identifier: '" + json.name(slot)
          + "' has no non-blank value");
    }
    return ids;
  }

  /**
   * A map of consent values read as booleans, unreadable ones as withdrawn (noted on the
   * record, see {@link JsonRecord#notes}); absent means empty.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Boolean> consentMap(JsonRecord json, int slot) throws BadRecordException {
    return (Map<String, Boolean>) map(json, slot);
  }

  /** A map field, checked when it was read (see {@link JsonRecord}). */
  @SuppressWarnings("unchecked")
  private static Map<String, ?> map(JsonRecord json, int slot) throws BadRecordException {
    byte kind = json.kind(slot);
    if (kind == JsonRecord.ABSENT || kind == JsonRecord.NULL) {
      return new TreeMap<>();
    }
    if (kind != JsonRecord.OBJECT) {
      throw new BadRecordException("wrong type: '" + json.name(slot) + "' must be an object");
    }
    Object map = json.value(slot);
    if (map instanceof String) {
      throw new BadRecordException((String) map);
    }
    return (Map<String, ?>) map;
  }

  static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }
}
