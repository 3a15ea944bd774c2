package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Checked reading of the fields of an input record; every failure names the field. */
final class JsonFields {
  /** Times outside these bounds are typing errors, not history or plans. */
  static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
  static final Instant LATEST = Instant.parse("2100-01-01T00:00:00Z");
  static final BigDecimal MAX_ABS_AMOUNT = new BigDecimal("1000000000");

  private JsonFields() {}

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

  static @Nullable String optionalString(ObjectNode json, String field)
      throws BadRecordException {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new BadRecordException("wrong type: '" + field + "' must be a string");
    }
    return node.asText().strip().isEmpty() ? null : node.asText().strip();
  }

  /**
   * An ISO-8601 instant: with an offset or Z, or a local date-time or date taken as UTC.
   * Returned as a joda instant, Beam's schema type for times.
   */
  static org.joda.time.Instant requiredTime(ObjectNode json, String field)
      throws BadRecordException {
    String text = requiredString(json, field);
    Instant instant;
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
    if (instant.isBefore(EARLIEST) || !instant.isBefore(LATEST)) {
      throw new BadRecordException("absurd value: time " + text
          + " is outside 1970-01-01 .. 2100-01-01");
    }
    return new org.joda.time.Instant(instant.toEpochMilli());
  }

  static @Nullable BigDecimal optionalAmount(ObjectNode json, String field)
      throws BadRecordException {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isNumber()) {
      throw new BadRecordException("wrong type: '" + field + "' must be a number, got '"
          + abbreviate(node.asText()) + "'");
    }
    BigDecimal value = node.decimalValue();
    if (value.abs().compareTo(MAX_ABS_AMOUNT) > 0) {
      throw new BadRecordException("absurd value: " + field + " " + value.toPlainString()
          + " is beyond +/-1,000,000,000");
    }
    return value;
  }

  /**
   * A map of scalar values as strings; absent means empty. Numbers and booleans are kept in
   * their JSON text; blank values are dropped.
   */
  static Map<String, String> stringMap(ObjectNode json, String field) throws BadRecordException {
    JsonNode node = json.get(field);
    Map<String, String> out = new TreeMap<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isObject()) {
      throw new BadRecordException("wrong type: '" + field + "' must be an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isNull()) {
        continue;
      }
      if (!v.isValueNode()) {
        throw new BadRecordException("wrong type: '" + field + "." + e.getKey()
            + "' must be a string or number");
      }
      if (!v.asText().isBlank()) {
        out.put(e.getKey(), v.asText());
      }
    }
    return out;
  }

  /** The record's identifiers: required, and at least one must be non-blank. */
  static Map<String, String> requiredIdentifiers(ObjectNode json) throws BadRecordException {
    if (!json.has("ids") || json.get("ids").isNull()) {
      throw new BadRecordException("no identifier: 'ids' is missing");
    }
    Map<String, String> ids = stringMap(json, "ids");
    if (ids.isEmpty()) {
      throw new BadRecordException("no identifier: 'ids' has no non-blank value");
    }
    return ids;
  }

  static Map<String, Boolean> booleanMap(ObjectNode json, String field)
      throws BadRecordException {
    JsonNode node = json.get(field);
    Map<String, Boolean> out = new TreeMap<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isObject()) {
      throw new BadRecordException("wrong type: '" + field + "' must be an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isBoolean()) {
        throw new BadRecordException("wrong type: '" + field + "." + e.getKey()
            + "' must be true or false");
      }
      out.put(e.getKey(), e.getValue().booleanValue());
    }
    return out;
  }

  static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }
}
