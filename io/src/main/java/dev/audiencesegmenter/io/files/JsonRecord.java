package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.model.ConsentValue;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The top-level fields of one JSON line that a {@link RecordParser} reads, read from Jackson's
 * token stream in one pass, without building a tree. Which fields are kept, and which of them
 * are maps, is the parser's {@link Schema}; every other value is read and dropped.
 *
 * <p>The result is the same as reading the line with {@code ObjectMapper.readTree} (with
 * {@code USE_BIG_DECIMAL_FOR_FLOATS}, {@code FAIL_ON_TRAILING_TOKENS} and exact big decimals)
 * and then the fields of the tree, which is what the readers did before:
 * <ul>
 *   <li>the whole line is read before any field is looked at, so a syntax error anywhere wins,
 *       with Jackson's own message: the parser is created and advanced with the very calls the
 *       tree deserializer makes ({@code nextFieldName}, {@code nextToken}, {@code getText} on
 *       every string, the number accessors on every number, values that are dropped
 *       included), so it fails where and how the tree build failed;
 *   <li>a value is kept as its node would be: its kind (the node type), its {@code asText()}
 *       (of numbers, made when asked for), and for numbers the node's number ({@code Integer}, {@code Long}, {@code BigInteger},
 *       {@code BigDecimal} as written, or {@code Double} when the text is beyond
 *       {@code BigDecimal}, as the tree falls back to a {@code DoubleNode});
 *   <li>of duplicate keys the last value wins, at the place of the first, as in an
 *       {@code ObjectNode}: in maps this decides which bad entry is reported;
 *   <li>a map is checked once, when read, into the {@link TreeMap} of its good entries or the
 *       reason of its first bad entry, which {@link JsonFields} reports when the record parser
 *       gets to that field.
 * </ul>
 *
 * <p>One difference, on purpose: a consent map ({@link Schema#consentMap}) has no bad entries.
 * Its values are read by {@link ConsentValue}'s table (JSON booleans, numbers and strings);
 * null and blank values are no signal and dropped; any other value, an object or array
 * included, fails closed to the withdrawn value of its name and leaves a {@link #notes note}
 * that the readers turn into a dead letter, while the record itself is kept, so that its
 * withdrawal counts.
 *
 * <p>Not thread-safe; one per line.
 */
final class JsonRecord {
  /** Kinds of value: the tree model's node types (numbers by node class). */
  static final byte ABSENT = 0;
  static final byte NULL = 1;
  static final byte STRING = 2;
  /** IntNode, LongNode, BigIntegerNode: an integral number. */
  static final byte INTEGER = 3;
  /** DecimalNode (or DoubleNode, see above): a number that is not integral. */
  static final byte DECIMAL = 4;
  static final byte BOOLEAN = 5;
  static final byte OBJECT = 6;
  static final byte ARRAY = 7;

  /** Slot of the marker field a broken CSV row is rendered with (see {@link CsvRecords}). */
  static final int CSV_ERROR = 0;

  /** Entry values of a map under construction: a JSON null, and a value of the wrong type. */
  private static final Object NULL_VALUE = new Object();
  private static final Object BAD_VALUE = new Object();
  /** Maps with this many distinct keys find duplicates in a hash index, not by scanning. */
  private static final int INDEXED_FROM = 16;

  private static final String TRAILING_TOKEN = "Trailing token (of type %s) found after value "
      + "(bound as `" + JsonNode.class.getName() + "`): not allowed as per "
      + "`DeserializationFeature.FAIL_ON_TRAILING_TOKENS`";

  /**
   * The fields a record parser reads, by slot, and whether each is a map. Built once, in a
   * parser's static initializer (slot 0 is {@link #CSV_ERROR}), and read-only afterwards.
   */
  static final class Schema {
    static final byte SCALAR = 0;
    static final byte STRING_MAP = 1;
    static final byte CONSENT_MAP = 2;

    private String[] nameArray = new String[0];
    private byte[] kindArray = new byte[0];

    Schema() {
      add("__csv_error", SCALAR);  // CSV_ERROR
    }

    /** A string, number or other scalar field; returns its slot. */
    int scalar(String name) {
      return add(name, SCALAR);
    }

    /** A map of strings (numbers and booleans as their text); returns its slot. */
    int stringMap(String name) {
      return add(name, STRING_MAP);
    }

    /** A map of consent values, read as booleans (see {@link ConsentValue}); its slot. */
    int consentMap(String name) {
      return add(name, CONSENT_MAP);
    }

    private int add(String name, byte kind) {
      if (slot(name) >= 0) {
        throw new IllegalArgumentException("field " + name + " twice");
      }
      int slot = nameArray.length;
      nameArray = Arrays.copyOf(nameArray, slot + 1);
      kindArray = Arrays.copyOf(kindArray, slot + 1);
      nameArray[slot] = name.intern();
      kindArray[slot] = kind;
      return slot;
    }

    int size() {
      return nameArray.length;
    }

    String name(int slot) {
      return nameArray[slot];
    }

    /** The slot of a field name, or -1 for a field that is not kept. */
    int slot(String name) {
      String[] all = nameArray;
      // Jackson interns field names, so the identity check finds them nearly always.
      for (int i = 0; i < all.length; i++) {
        if (all[i] == name) {
          return i;
        }
      }
      for (int i = 0; i < all.length; i++) {
        if (all[i].equals(name)) {
          return i;
        }
      }
      return -1;
    }
  }

  private final Schema schema;
  private final byte[] kinds;
  private final String[] texts;
  private final Object[] values;
  // Entries of the map being read, in the order of their first key; reused for every map.
  private String[] mapKeys;
  private Object[] mapValues;
  /** Unreadable consent values, read as withdrawn; null while there is none. */
  private List<String> notes;

  private JsonRecord(Schema schema) {
    this.schema = schema;
    int size = schema.size();
    this.kinds = new byte[size];
    this.texts = new String[size];
    this.values = new Object[size];
  }

  /**
   * Reads one line: a JSON object (with nothing after it but whitespace) into its kept fields,
   * or the reason it is not one, as the readers gave it when they read trees.
   */
  static JsonRecord read(ObjectMapper mapper, Schema schema, String json)
      throws BadRecordException {
    // The calls of ObjectMapper.readTree(String), _readTreeAndClose and JsonNodeDeserializer.
    try (JsonParser p = mapper.createParser(json)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw notOneObject();  // nothing but whitespace: a MissingNode
      }
      JsonRecord record = null;
      if (t == JsonToken.START_OBJECT) {
        record = new JsonRecord(schema);
        record.readFields(p);
      } else if (t != JsonToken.VALUE_NULL) {
        skipValue(p, t);
      }
      JsonToken trailing = p.nextToken();
      if (trailing != null) {
        throw new BadRecordException("invalid JSON: " + String.format(TRAILING_TOKEN, trailing));
      }
      if (record == null) {
        throw notOneObject();
      }
      return record;
    } catch (JsonProcessingException e) {
      throw new BadRecordException("invalid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {  // not from a String; as readTree wraps it
      throw new BadRecordException("invalid JSON: "
          + JsonMappingException.fromUnexpectedIOE(e).getOriginalMessage());
    }
  }

  private static BadRecordException notOneObject() {
    return new BadRecordException("invalid JSON: a line must be one JSON object");
  }

  String name(int slot) {
    return schema.name(slot);
  }

  /**
   * What was wrong in the record without rejecting it (unreadable consent values, read as
   * withdrawn), in the order found; the readers dead-letter each with the raw line.
   */
  List<String> notes() {
    return notes == null ? List.of() : notes;
  }

  /** Adds a note (see {@link #notes}); for the record parsers' own checks. */
  void note(String note) {
    if (notes == null) {
      notes = new ArrayList<>(2);
    }
    notes.add(note);
  }

  /** The kind of the field's value; {@link #ABSENT} when the line does not have the field. */
  byte kind(int slot) {
    return kinds[slot];
  }

  /** The value's {@code asText()}: "" for objects and arrays, "null" for null. */
  String text(int slot) {
    String text = texts[slot];
    if (text == null && values[slot] instanceof Number) {
      text = values[slot].toString();  // as the number node's asText()
    }
    return text;
  }

  /**
   * A number's value (Integer, Long, BigInteger, BigDecimal or Double); a map's
   * {@code TreeMap}, or the reason (a String) it is bad; null otherwise.
   */
  Object value(int slot) {
    return values[slot];
  }

  private void readFields(JsonParser p) throws IOException {
    for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
      JsonToken t = p.nextToken();
      int slot = schema.slot(name);
      if (slot < 0) {
        skipValue(p, t);
        continue;
      }
      byte mapKind = schema.kindArray[slot];
      if (mapKind != Schema.SCALAR && t == JsonToken.START_OBJECT) {
        kinds[slot] = OBJECT;
        texts[slot] = "";
        values[slot] = readMap(p, name, mapKind == Schema.CONSENT_MAP);
      } else {
        readScalar(p, t, slot);
      }
    }
  }

  private void readScalar(JsonParser p, JsonToken t, int slot) throws IOException {
    if (t == null) {
      throw unexpected(null);
    }
    byte kind;
    String text;
    Object value = null;
    switch (t) {
      case VALUE_STRING:
        kind = STRING;
        text = p.getText();
        break;
      case VALUE_NUMBER_INT:
        kind = INTEGER;
        value = integerValue(p);
        text = null;  // value.toString(), when asked for
        break;
      case VALUE_NUMBER_FLOAT:
        kind = DECIMAL;
        value = floatValue(p);
        text = null;
        break;
      case VALUE_TRUE:
        kind = BOOLEAN;
        text = "true";
        break;
      case VALUE_FALSE:
        kind = BOOLEAN;
        text = "false";
        break;
      case VALUE_NULL:
        kind = NULL;
        text = "null";
        break;
      case START_OBJECT:
        skipContainer(p);
        kind = OBJECT;
        text = "";
        break;
      case START_ARRAY:
        skipContainer(p);
        kind = ARRAY;
        text = "";
        break;
      default:
        throw unexpected(t);
    }
    kinds[slot] = kind;
    texts[slot] = text;
    values[slot] = value;
  }

  /**
   * Reads a map (the parser at its START_OBJECT) into a {@code TreeMap} of its good entries, or
   * the reason of its first bad entry: the first, in the order of first appearance, of the keys
   * whose last value is bad.
   */
  private Object readMap(JsonParser p, String field, boolean consent) throws IOException {
    if (mapKeys == null) {
      mapKeys = new String[8];
      mapValues = new Object[8];
    }
    String[] keys = mapKeys;
    Object[] entries = mapValues;
    int n = 0;
    Map<String, Integer> index = null;
    for (String key = p.nextFieldName(); key != null; key = p.nextFieldName()) {
      Object entry = consent ? consentEntry(p, p.nextToken()) : stringEntry(p, p.nextToken());
      int at = -1;
      if (index == null) {
        for (int i = 0; i < n; i++) {
          if (keys[i].equals(key)) {
            at = i;
            break;
          }
        }
      } else {
        Integer i = index.get(key);
        at = i == null ? -1 : i;
      }
      if (at >= 0) {
        entries[at] = entry;  // the last value, at the first one's place
        continue;
      }
      if (n == keys.length) {
        keys = mapKeys = Arrays.copyOf(keys, n * 2);
        entries = mapValues = Arrays.copyOf(entries, n * 2);
      }
      keys[n] = key;
      entries[n] = entry;
      n++;
      if (index != null) {
        index.put(key, n - 1);
      } else if (n == INDEXED_FROM) {
        index = new HashMap<>();
        for (int i = 0; i < n; i++) {
          index.put(keys[i], i);
        }
      }
    }
    if (consent) {
      TreeMap<String, Boolean> out = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        Object entry = entries[i];
        if (entry instanceof Boolean given) {
          out.put(keys[i], given);
        } else if (entry instanceof String unreadable) {
          // Fail closed: the record is kept, so that this value withdraws what came before.
          out.put(keys[i], ConsentValue.failClosed(keys[i]));
          note(ConsentValue.unreadable(field + "." + keys[i], keys[i], unreadable));
        }
      }
      return out;
    }
    for (int i = 0; i < n; i++) {
      if (entries[i] == BAD_VALUE) {
        return "wrong type: '" + field + "." + keys[i] + "' must be a string or number";
      }
    }
    TreeMap<String, String> out = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      Object entry = entries[i];
      if (entry != NULL_VALUE && !((String) entry).isBlank()) {
        out.put(keys[i], (String) entry);
      }
    }
    return out;
  }

  /** A string map's entry: its text, NULL_VALUE (dropped) or BAD_VALUE (object or array). */
  private static Object stringEntry(JsonParser p, JsonToken t) throws IOException {
    if (t == null) {
      throw unexpected(null);
    }
    switch (t) {
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return integerText(p);
      case VALUE_NUMBER_FLOAT:
        return floatValue(p).toString();
      case VALUE_TRUE:
        return "true";
      case VALUE_FALSE:
        return "false";
      case VALUE_NULL:
        return NULL_VALUE;
      case START_OBJECT:
      case START_ARRAY:
        skipContainer(p);
        return BAD_VALUE;
      default:
        throw unexpected(t);
    }
  }

  /**
   * A consent map's entry: a Boolean by {@link ConsentValue}'s table (JSON booleans, numbers
   * and strings alike), NULL_VALUE (dropped) for null or a blank string, or the value as shown
   * in a note (a String) when it is not in the table.
   */
  private static Object consentEntry(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
      skipContainer(p);
      return t == JsonToken.START_OBJECT ? "{...}" : "[...]";
    }
    Object text = stringEntry(p, t);
    if (text == NULL_VALUE || ((String) text).isBlank()) {
      return NULL_VALUE;
    }
    Boolean given = ConsentValue.parse((String) text);
    return given != null ? given : text;
  }

  /** The number of an integer token, as the tree's IntNode, LongNode or BigIntegerNode. */
  private static Number integerValue(JsonParser p) throws IOException {
    JsonParser.NumberType type = p.getNumberType();
    if (type == JsonParser.NumberType.INT) {
      return p.getIntValue();
    }
    if (type == JsonParser.NumberType.LONG) {
      return p.getLongValue();
    }
    return p.getBigIntegerValue();
  }

  /** {@link #integerValue}'s {@code asText()}, without boxing. */
  private static String integerText(JsonParser p) throws IOException {
    JsonParser.NumberType type = p.getNumberType();
    if (type == JsonParser.NumberType.INT) {
      return Integer.toString(p.getIntValue());
    }
    if (type == JsonParser.NumberType.LONG) {
      return Long.toString(p.getLongValue());
    }
    return p.getBigIntegerValue().toString();
  }

  /**
   * The number of a float token, as the tree's node: the BigDecimal as written (a DecimalNode),
   * or, when BigDecimal cannot hold it (an exponent beyond int), the double (a DoubleNode).
   */
  private static Number floatValue(JsonParser p) throws IOException {
    JsonParser.NumberType type = p.getNumberType();
    if (type == JsonParser.NumberType.BIG_DECIMAL) {
      return p.getDecimalValue();
    }
    try {
      return p.getDecimalValue();
    } catch (NumberFormatException e) {
      // JsonNodeDeserializer._fromFloat falls through to a DoubleNode.
    }
    if (type == JsonParser.NumberType.FLOAT) {
      return p.getFloatValue();
    }
    return p.getDoubleValue();
  }

  /** Reads a value that is not kept, with the accessor calls the tree build makes. */
  private static void skipValue(JsonParser p, JsonToken t) throws IOException {
    if (t == null) {
      throw unexpected(null);
    }
    switch (t) {
      case START_OBJECT:
      case START_ARRAY:
        skipContainer(p);
        break;
      case VALUE_STRING:
        p.getText();
        break;
      case VALUE_NUMBER_INT:
        integerValue(p);
        break;
      case VALUE_NUMBER_FLOAT:
        floatValue(p);
        break;
      case VALUE_TRUE:
      case VALUE_FALSE:
      case VALUE_NULL:
        break;
      default:
        throw unexpected(t);
    }
  }

  /** Reads an object or array (the parser at its start) to its end, as the tree build does. */
  private static void skipContainer(JsonParser p) throws IOException {
    int depth = 1;
    do {
      JsonToken t;
      if (p.getParsingContext().inObject()) {
        if (p.nextFieldName() == null) {
          if (!p.hasToken(JsonToken.END_OBJECT)) {
            throw unexpected(p.currentToken());
          }
          depth--;
          continue;
        }
        t = p.nextToken();
      } else {
        t = p.nextToken();
        if (t == JsonToken.END_ARRAY) {
          depth--;
          continue;
        }
      }
      if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
        depth++;
      } else {
        skipValue(p, t);
      }
    } while (depth > 0);
  }

  /** The JSON parser never gives these where a value starts. */
  private static IllegalStateException unexpected(JsonToken t) {
    return new IllegalStateException("unexpected token " + t + " where a value starts");
  }
}
