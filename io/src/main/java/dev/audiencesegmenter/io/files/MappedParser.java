package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.audiencesegmenter.io.sources.FieldPath;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.io.sources.TimeField;
import dev.audiencesegmenter.model.ConsentValue;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads a record of another tool's export through its {@link SourceMapping}: the line (or CSV
 * row) as a JSON tree, then each field where the mapping says. The checks are the native
 * format's (required fields, time and amount bounds, currency codes, unreadable consent
 * values read as withdrawn and noted); a reason names the format and the field's path.
 */
abstract class MappedParser<T> implements RecordParser<T> {
  private static final long serialVersionUID = 1L;
  /** Decimals kept as written (42.50 stays 42.50), and nothing after the object. */
  private static final ObjectMapper TREES = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .build();

  final SourceMapping mapping;

  MappedParser(SourceMapping mapping) {
    this.mapping = mapping;
  }

  /** The record of one JSON object; {@code notes} gathers what is kept despite a problem. */
  abstract T map(JsonNode root, String json, List<String> notes) throws BadRecordException;

  @Override
  public final LineParser.Noted<T> read(ObjectMapper unused, String json)
      throws BadRecordException {
    JsonNode root;
    try {
      root = TREES.readTree(json);
    } catch (JsonProcessingException e) {
      throw new BadRecordException("invalid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new BadRecordException("invalid JSON: a line must be one JSON object");
    }
    JsonNode csvError = root.get("__csv_error");
    if (csvError != null) {
      throw new BadRecordException("malformed CSV: " + csvError.asText());
    }
    if (mapping.getKeepPath() != null
        && !mapping.getKeepValues().contains(text(root, mapping.getKeepPath()))) {
      return LineParser.Noted.skipped();
    }
    List<String> notes = new ArrayList<>();
    return new LineParser.Noted<>(map(root, json, notes), notes);
  }

  @Override
  public Set<String> csvMapColumns() {
    return Set.of();  // a tool's CSV columns are its own names, read as they are
  }

  /** A rejection naming the format and the path that held the value (or the first path). */
  final BadRecordException bad(JsonNode root, FieldPath path, String problem) {
    return new BadRecordException("format '" + mapping.getName() + "', field '"
        + path.nameIn(root) + "': " + problem);
  }

  /** The text of a value, or null; an object or array where a value belongs is an error. */
  final @Nullable String text(JsonNode root, @Nullable FieldPath path)
      throws BadRecordException {
    if (path == null) {
      return null;
    }
    JsonNode node = path.node(root);
    if (node == null) {
      return null;
    }
    if (!node.isValueNode()) {
      throw bad(root, path, "wrong type: expected a value, got " + kind(node));
    }
    return node.isBigDecimal() ? node.decimalValue().toPlainString() : node.asText().strip();
  }

  final String required(JsonNode root, FieldPath path) throws BadRecordException {
    String value = text(root, path);
    if (value == null) {
      throw bad(root, path, "missing required field (looked in " + String.join(", ", path.written())
          + ")");
    }
    return value;
  }

  final org.joda.time.Instant time(JsonNode root) throws BadRecordException {
    TimeField time = mapping.getTime();
    String text = required(root, time.path());
    if (time.unit() == TimeField.Unit.ISO) {
      try {
        return JsonFields.time(text, time.path().nameIn(root));
      } catch (BadRecordException e) {
        throw bad(root, time.path(), e.getMessage());
      }
    }
    java.time.Instant instant;
    try {
      instant = time.parse(text);
    } catch (IllegalArgumentException e) {
      throw bad(root, time.path(), e.getMessage());
    }
    if (instant.isBefore(JsonFields.EARLIEST) || !instant.isBefore(JsonFields.LATEST)) {
      throw bad(root, time.path(), "absurd value: time " + JsonFields.abbreviate(text) + " is "
          + instant + ", outside [" + JsonFields.EARLIEST + ", " + JsonFields.LATEST + ")");
    }
    return new org.joda.time.Instant(instant.toEpochMilli());
  }

  final Map<String, String> identifiers(JsonNode root) throws BadRecordException {
    Map<String, String> ids = new TreeMap<>();
    for (Map.Entry<String, FieldPath> e : mapping.getIdentifiers().entrySet()) {
      String value = text(root, e.getValue());
      if (value != null) {
        ids.put(e.getKey(), value);
      }
    }
    if (ids.isEmpty()) {
      List<String> looked = new ArrayList<>();
      mapping.getIdentifiers().values().forEach(p -> looked.addAll(p.written()));
      throw new BadRecordException("format '" + mapping.getName() + "': no identifier (looked "
          + "in " + String.join(", ", looked) + ")");
    }
    return ids;
  }

  /** The parts of the record id joined, or a digest of the whole record. */
  final String recordId(JsonNode root, String json) throws BadRecordException {
    List<String> parts = new ArrayList<>();
    for (FieldPath part : mapping.getIdParts()) {
      String value = text(root, part);
      if (value != null) {
        parts.add(value);
      }
    }
    return parts.isEmpty() ? digest(json) : String.join(":", parts);
  }

  private static String digest(String json) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256")
          .digest(json.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(hash, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Consent channel to its flag as the customer gave it; unreadable values noted. */
  final Map<String, Boolean> consent(JsonNode root, List<String> notes)
      throws BadRecordException {
    Map<String, Boolean> out = new TreeMap<>();
    for (Map.Entry<String, SourceMapping.ConsentField> e : mapping.getConsent().entrySet()) {
      String value = text(root, e.getValue().path());
      if (value == null) {
        continue;
      }
      Boolean flag = ConsentValue.parse(value);
      if (flag == null) {
        notes.add("format '" + mapping.getName() + "': " + ConsentValue.unreadable(
            e.getValue().path().nameIn(root), e.getKey(), value));
        out.put(e.getKey(), ConsentValue.failClosed(e.getKey()));
      } else {
        out.put(e.getKey(), e.getValue().optOut() != flag);
      }
    }
    return out;
  }

  /** Properties (or attributes): the bulk sets in order, then the named fields over them. */
  final Map<String, String> fields(JsonNode root) throws BadRecordException {
    Map<String, String> out = new TreeMap<>();
    for (SourceMapping.FieldSet set : mapping.getFieldSets()) {
      JsonNode at = set.path().node(root);
      if (at == null) {
        continue;
      }
      if (set.key() == null) {
        if (!at.isObject()) {
          throw bad(root, set.path(), "wrong type: expected an object, got " + kind(at));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = at.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> f = it.next();
          if (!set.except().contains(f.getKey())) {
            putValue(out, set.prefix() + f.getKey(), f.getValue());
          }
        }
      } else {
        if (!at.isArray()) {
          throw bad(root, set.path(), "wrong type: expected an array, got " + kind(at));
        }
        for (JsonNode element : at) {
          JsonNode key = element.get(set.key());
          if (key != null && key.isValueNode() && !key.asText().isBlank()
              && !set.except().contains(key.asText().strip())) {
            JsonNode value = set.value().node(element);
            putValue(out, set.prefix() + key.asText().strip(), value);
          }
        }
      }
    }
    for (Map.Entry<String, FieldPath> e : mapping.getFields().entrySet()) {
      putValue(out, e.getKey(), e.getValue().node(root));
    }
    return out;
  }

  /** Values as their text; objects and arrays as compact JSON. */
  private static void putValue(Map<String, String> out, String key, @Nullable JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()
        || (value.isContainerNode() && value.isEmpty())) {
      return;
    }
    String text = value.isValueNode()
        ? (value.isBigDecimal() ? value.decimalValue().toPlainString() : value.asText().strip())
        : value.toString();
    if (!text.isEmpty()) {
      out.put(key, text);
    }
  }

  final @Nullable BigDecimal amount(JsonNode root, @Nullable FieldPath path)
      throws BadRecordException {
    String text = text(root, path);
    if (text == null) {
      return null;
    }
    BigDecimal value;
    try {
      value = new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw bad(root, path, "wrong type: revenue '" + JsonFields.abbreviate(text)
          + "' is not a number");
    }
    try {
      return JsonFields.checkAmount(value, path.nameIn(root));
    } catch (BadRecordException e) {
      throw bad(root, path, e.getMessage());
    }
  }

  private static String kind(JsonNode node) {
    return node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public final String duplicateKey(T record) {
    return source(record) + "\u0000" + sourceRecordId(record);
  }

  abstract String source(T record);

  abstract String sourceRecordId(T record);
}
