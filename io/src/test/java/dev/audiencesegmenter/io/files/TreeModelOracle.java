package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The line parser as it was before the streaming parse (git HEAD cc5c45f: LineParser.check,
 * JsonFields, EventParser, ProfileParser), kept verbatim as the oracle of the differential
 * tests and the "old" column of {@code LineParserBenchmark}: every line is read into a Jackson
 * tree ({@code readTree}), then field by field. Test-only; do not "fix" it, it defines the
 * behaviour the streaming parser must keep.
 */
final class TreeModelOracle<T> {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      // Keep amounts as written: 42.50 stays 42.50.
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();

  /** The old RecordParser: one JSON tree to a record. */
  interface TreeParser<T> {
    T parse(ObjectNode json) throws BadRecordException;
  }

  private final TreeParser<T> parser;
  private final int maxLineBytes;

  private TreeModelOracle(TreeParser<T> parser, int maxLineBytes) {
    this.parser = parser;
    this.maxLineBytes = ReadRecords.checkMaxLineBytes(maxLineBytes);
  }

  static TreeModelOracle<CustomerEvent> events(int maxLineBytes) {
    return new TreeModelOracle<>(TreeModelOracle::parseEvent, maxLineBytes);
  }

  static TreeModelOracle<ProfileAttributes> profiles(int maxLineBytes) {
    return new TreeModelOracle<>(TreeModelOracle::parseProfile, maxLineBytes);
  }

  T parse(String raw, @Nullable String csvAsJson) throws BadRecordException {
    return parser.parse(check(raw, csvAsJson));
  }

  // ---- LineParser.check, verbatim ----

  private ObjectNode check(String raw, @Nullable String csvAsJson) throws BadRecordException {
    if (raw.isBlank()) {
      throw new BadRecordException("empty line");
    }
    // Worst case 3 bytes per char: count bytes only for lines that may be too long.
    if ((long) raw.length() * 3 > maxLineBytes
        && raw.getBytes(StandardCharsets.UTF_8).length > maxLineBytes) {
      throw new BadRecordException("line longer than " + maxLineBytes + " bytes");
    }
    if (raw.indexOf('\uFFFD') >= 0) {
      throw new BadRecordException("not valid UTF-8 (undecodable bytes)");
    }
    JsonNode json;
    try {
      json = JSON.readTree(csvAsJson != null ? csvAsJson : raw);
    } catch (JsonProcessingException e) {
      throw new BadRecordException("invalid JSON: " + e.getOriginalMessage());
    }
    if (json == null || !json.isObject()) {
      throw new BadRecordException("invalid JSON: a line must be one JSON object");
    }
    if (json.has("__csv_error")) {
      throw new BadRecordException("malformed CSV: " + json.get("__csv_error").asText());
    }
    return (ObjectNode) json;
  }

  // ---- EventParser.parse, verbatim ----

  static CustomerEvent parseEvent(ObjectNode json) throws BadRecordException {
    String source = requiredString(json, "source");
    String id = requiredString(json, "id");
    String type = requiredString(json, "type");
    org.joda.time.Instant time = requiredTime(json, "time");
    Map<String, String> ids = requiredIdentifiers(json);
    BigDecimal revenue = optionalAmount(json, "revenue");
    if (revenue != null && revenue.signum() < 0 && EventTypes.PURCHASE.equals(type)) {
      throw new BadRecordException("absurd value: negative revenue " + revenue.toPlainString()
          + " on a purchase (send refunds as type 'refund')");
    }
    String currency = optionalString(json, "currency");
    if (currency != null) {
      currency = currency.toUpperCase(Locale.ROOT);
      if (!currency.matches("[A-Z]{3}")) {
        throw new BadRecordException("invalid currency '" + abbreviate(currency)
            + "' (expected an ISO 4217 code like USD)");
      }
    }
    return CustomerEvent.builder()
        .setSource(source)
        .setSourceRecordId(id)
        .setEventType(type)
        .setEventTime(time)
        .setIdentifiers(ids)
        .setRevenue(revenue)
        .setCurrency(currency)
        .setProperties(stringMap(json, "props"))
        .setConsent(booleanMap(json, "consent"))
        .build();
  }

  // ---- ProfileParser.parse, verbatim ----

  static ProfileAttributes parseProfile(ObjectNode json) throws BadRecordException {
    String source = requiredString(json, "source");
    String id = requiredString(json, "id");
    org.joda.time.Instant time = requiredTime(json, "time");
    Map<String, String> ids = requiredIdentifiers(json);
    return ProfileAttributes.builder()
        .setSource(source)
        .setSourceRecordId(id)
        .setUpdateTime(time)
        .setIdentifiers(ids)
        .setAttributes(stringMap(json, "attrs"))
        .build();
  }

  // ---- JsonFields, verbatim ----

  static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
  static final Instant LATEST = Instant.parse("2100-01-01T00:00:00Z");
  static final BigDecimal MAX_ABS_AMOUNT = new BigDecimal("1000000000");

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
    // The one deliberate change since cc5c45f (issue 17, item 10): amounts whose exponent or
    // scale is out of range are rejected before anything formats them, and a float beyond
    // BigDecimal (a DoubleNode here) is rejected instead of throwing.
    if (node.isDouble() || node.isFloat()) {
      throw new BadRecordException("absurd value: " + field + " has an exponent out of range");
    }
    return JsonFields.checkAmount(node.decimalValue(), field);
  }

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
    // The consent table (issue 17): the value's text by ConsentValue, null and blank are no
    // signal, anything else the withdrawn value of its name; never a rejected record.
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isNull() || (v.isTextual() && v.asText().isBlank())) {
        continue;
      }
      Boolean given = v.isValueNode()
          ? dev.audiencesegmenter.model.ConsentValue.parse(v.asText()) : null;
      out.put(e.getKey(), given != null ? given
          : dev.audiencesegmenter.model.ConsentValue.failClosed(e.getKey()));
    }
    return out;
  }

  static String abbreviate(String text) {
    return text.length() <= 60 ? text : text.substring(0, 57) + "...";
  }
}
