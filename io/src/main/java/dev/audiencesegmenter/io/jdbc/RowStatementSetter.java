package dev.audiencesegmenter.io.jdbc;

import dev.audiencesegmenter.model.JsonLines;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.ReadableInstant;

/**
 * Binds a row's values in schema order, then the run id when there is one, to the statement
 * of {@link JdbcUpsert#upsertStatement}. A named class: JdbcIO infers nothing from a lambda.
 */
final class RowStatementSetter implements JdbcIO.PreparedStatementSetter<Row> {
  private final @Nullable String runId;

  RowStatementSetter(@Nullable String runId) {
    this.runId = runId;
  }

  @Override
  public void setParameters(Row row, PreparedStatement statement) throws SQLException {
    Schema schema = row.getSchema();
    for (int i = 0; i < schema.getFieldCount(); i++) {
      bind(statement, i + 1, schema.getField(i).getType(), row.getValue(i));
    }
    if (runId != null) {
      statement.setString(schema.getFieldCount() + 1, runId);
    }
  }

  /** Maps, arrays and rows are stored as jsonb. */
  static boolean isJson(Schema.FieldType type) {
    return switch (type.getTypeName()) {
      case MAP, ARRAY, ITERABLE, ROW -> true;
      case LOGICAL_TYPE -> isJson(type.getLogicalType().getBaseType());
      default -> false;
    };
  }

  private static void bind(PreparedStatement s, int index, Schema.FieldType type,
      @Nullable Object value) throws SQLException {
    if (type.getTypeName() == Schema.TypeName.LOGICAL_TYPE) {
      @SuppressWarnings({"unchecked", "rawtypes"})
      Schema.LogicalType<Object, Object> logical = (Schema.LogicalType) type.getLogicalType();
      bind(s, index, logical.getBaseType(), value == null ? null : logical.toBaseType(value));
      return;
    }
    if (value == null) {
      s.setNull(index, sqlTypeCode(type));
      return;
    }
    switch (type.getTypeName()) {
      case STRING -> s.setString(index, (String) value);
      case BYTE, INT16, INT32 -> s.setInt(index, ((Number) value).intValue());
      case INT64 -> s.setLong(index, ((Number) value).longValue());
      case FLOAT, DOUBLE -> s.setDouble(index, ((Number) value).doubleValue());
      case DECIMAL -> s.setBigDecimal(index, (BigDecimal) value);
      case BOOLEAN -> s.setBoolean(index, (Boolean) value);
      case DATETIME -> s.setObject(index, OffsetDateTime.ofInstant(
          java.time.Instant.ofEpochMilli(((ReadableInstant) value).getMillis()),
          ZoneOffset.UTC));
      case BYTES -> s.setBytes(index, (byte[]) value);
      case MAP, ARRAY, ITERABLE, ROW -> s.setString(index, json(type, value));
      default -> throw new IllegalArgumentException("Cannot bind a value of type " + type);
    }
  }

  private static int sqlTypeCode(Schema.FieldType type) {
    return switch (type.getTypeName()) {
      case STRING, MAP, ARRAY, ITERABLE, ROW -> Types.VARCHAR;
      case BYTE, INT16, INT32 -> Types.INTEGER;
      case INT64 -> Types.BIGINT;
      case FLOAT, DOUBLE -> Types.DOUBLE;
      case DECIMAL -> Types.NUMERIC;
      case BOOLEAN -> Types.BOOLEAN;
      case DATETIME -> Types.TIMESTAMP_WITH_TIMEZONE;
      case BYTES -> Types.BINARY;
      default -> Types.OTHER;
    };
  }

  /** The value as the JSON Lines files render it: one rendering for files and database. */
  private static String json(Schema.FieldType type, Object value) {
    Row wrapper = Row.withSchema(Schema.builder().addField("v", type).build())
        .addValue(value).build();
    String object = JsonLines.toJson(wrapper);
    return object.substring("{\"v\":".length(), object.length() - 1);
  }
}
