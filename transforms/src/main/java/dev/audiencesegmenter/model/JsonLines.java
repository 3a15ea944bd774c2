package dev.audiencesegmenter.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.joda.time.DateTimeZone;
import org.joda.time.ReadableInstant;
import org.joda.time.format.DateTimeFormatter;
import org.joda.time.format.ISODateTimeFormat;

/**
 * Renders a Beam {@link Row} as one line of JSON, the format of every output folder: keys in
 * schema order, decimals as plain numbers (never exponent notation), times as ISO-8601 UTC
 * ({@code 2024-03-01T12:00:00Z}, with milliseconds only when there are some), map keys
 * sorted, nulls as {@code null}. The rendering depends only on the row, so every runner writes
 * the same bytes.
 */
public final class JsonLines {
  private static final JsonFactory JSON = new JsonFactory();
  private static final DateTimeFormatter SECONDS =
      ISODateTimeFormat.dateTimeNoMillis().withZone(DateTimeZone.UTC);
  private static final DateTimeFormatter MILLIS =
      ISODateTimeFormat.dateTime().withZone(DateTimeZone.UTC);

  private JsonLines() {}

  public static String toJson(Row row) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      writeRow(g, row);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** ISO-8601 UTC with a {@code Z}; milliseconds only when not zero. */
  public static String formatInstant(ReadableInstant instant) {
    String text = (instant.getMillis() % 1000 == 0 ? SECONDS : MILLIS).print(instant);
    return text.endsWith("+00:00") ? text.substring(0, text.length() - 6) + "Z" : text;
  }

  private static void writeRow(JsonGenerator g, Row row) throws IOException {
    g.writeStartObject();
    Schema schema = row.getSchema();
    for (int i = 0; i < schema.getFieldCount(); i++) {
      Schema.Field field = schema.getField(i);
      g.writeFieldName(field.getName());
      writeValue(g, field.getType(), row.getValue(i));
    }
    g.writeEndObject();
  }

  private static void writeValue(JsonGenerator g, Schema.FieldType type, Object value)
      throws IOException {
    if (value == null) {
      g.writeNull();
      return;
    }
    switch (type.getTypeName()) {
      case STRING -> g.writeString((String) value);
      case BYTE, INT16, INT32 -> g.writeNumber(((Number) value).intValue());
      case INT64 -> g.writeNumber(((Number) value).longValue());
      case FLOAT, DOUBLE -> {
        double d = ((Number) value).doubleValue();
        if (Double.isFinite(d)) {
          g.writeNumber(d);
        } else {
          g.writeNull();
        }
      }
      // A plain string keeps 42.50 as 42.50 and never writes 1E+3.
      case DECIMAL -> g.writeNumber(((BigDecimal) value).toPlainString());
      case BOOLEAN -> g.writeBoolean((Boolean) value);
      case DATETIME -> g.writeString(formatInstant((ReadableInstant) value));
      case ARRAY, ITERABLE -> {
        g.writeStartArray();
        for (Object element : (Iterable<?>) value) {
          writeValue(g, type.getCollectionElementType(), element);
        }
        g.writeEndArray();
      }
      case MAP -> {
        g.writeStartObject();
        for (Map.Entry<?, ?> e : new TreeMap<>((Map<?, ?>) value).entrySet()) {
          g.writeFieldName(String.valueOf(e.getKey()));
          writeValue(g, type.getMapValueType(), e.getValue());
        }
        g.writeEndObject();
      }
      case ROW -> writeRow(g, (Row) value);
      case LOGICAL_TYPE -> {
        @SuppressWarnings({"unchecked", "rawtypes"})
        Object base = ((Schema.LogicalType) type.getLogicalType()).toBaseType(value);
        writeValue(g, type.getLogicalType().getBaseType(), base);
      }
      default -> g.writeString(value instanceof Collection ? value.toString()
          : String.valueOf(value));
    }
  }
}
