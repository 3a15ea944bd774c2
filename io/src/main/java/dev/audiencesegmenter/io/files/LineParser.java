package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.model.CustomerEvent;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Checks one raw line and parses it into a record, or says why not: the single per-line code
 * path of every reader (files, Kafka), so a line is accepted or rejected, with the same
 * reason, whichever way it arrives.
 */
public final class LineParser<T> implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      // Keep amounts as written: 42.50 stays 42.50.
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();

  private final RecordParser<T> parser;
  private final int maxLineBytes;

  LineParser(RecordParser<T> parser, int maxLineBytes) {
    this.parser = parser;
    this.maxLineBytes = ReadRecords.checkMaxLineBytes(maxLineBytes);
  }

  /** Customer events (data-formats.md), lines of at most {@code maxLineBytes} bytes. */
  public static LineParser<CustomerEvent> customerEvents(int maxLineBytes) {
    return new LineParser<>(new EventParser(), maxLineBytes);
  }

  public int getMaxLineBytes() {
    return maxLineBytes;
  }

  /** The record of a good line, or null for a line that would be dead-lettered. */
  public @Nullable T parseOrNull(String raw) {
    try {
      return parse(raw, null);
    } catch (BadRecordException e) {
      return null;
    }
  }

  /**
   * Parses {@code raw}, or {@code csvAsJson} (a CSV row rendered as JSON) when given; raw is
   * what the size and encoding checks look at.
   */
  T parse(String raw, @Nullable String csvAsJson) throws BadRecordException {
    return parser.parse(check(raw, csvAsJson));
  }

  RecordParser<T> recordParser() {
    return parser;
  }

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

  /** Oversized lines are kept in the dead letters in part, with their length. */
  String shorten(String raw) {
    int limit = Math.max(1024, Math.min(maxLineBytes, 64 * 1024));
    return raw.length() <= limit ? raw
        : raw.substring(0, limit) + "... [" + raw.length() + " characters]";
  }
}
