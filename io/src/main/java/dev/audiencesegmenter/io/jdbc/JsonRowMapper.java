package dev.audiencesegmenter.io.jdbc;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Types;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import org.apache.beam.sdk.io.jdbc.JdbcIO;

/**
 * One result-set row as a JSON object, column label to value, so that a source mapping reads a
 * table's rows as it reads a tool's JSON export: numbers as numbers (decimals exact), booleans
 * as booleans, times as ISO-8601 instants ({@code timestamp} without a zone read as UTC), dates
 * as {@code yyyy-MM-dd}, everything else as its text; SQL NULL is left out.
 */
final class JsonRowMapper implements JdbcIO.RowMapper<String> {
  private static final long serialVersionUID = 1L;
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  @Override
  public String mapRow(ResultSet rows) throws Exception {
    ResultSetMetaData meta = rows.getMetaData();
    ObjectNode json = NODES.objectNode();
    for (int i = 1; i <= meta.getColumnCount(); i++) {
      String name = meta.getColumnLabel(i);
      String typeName = meta.getColumnTypeName(i).toLowerCase(Locale.ROOT);
      switch (meta.getColumnType(i)) {
        case Types.SMALLINT, Types.INTEGER, Types.BIGINT, Types.TINYINT -> {
          long value = rows.getLong(i);
          if (!rows.wasNull()) {
            json.put(name, value);
          }
        }
        case Types.NUMERIC, Types.DECIMAL, Types.REAL, Types.FLOAT, Types.DOUBLE -> {
          java.math.BigDecimal value = rows.getBigDecimal(i);
          if (value != null) {
            json.put(name, value);
          }
        }
        case Types.BOOLEAN, Types.BIT -> {
          boolean value = rows.getBoolean(i);
          if (!rows.wasNull()) {
            json.put(name, value);
          }
        }
        case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE -> {
          String value = typeName.equals("timestamptz")
              || meta.getColumnType(i) == Types.TIMESTAMP_WITH_TIMEZONE
              ? instant(rows.getObject(i, OffsetDateTime.class))
              : utc(rows.getObject(i, LocalDateTime.class));
          if (value != null) {
            json.put(name, value);
          }
        }
        default -> {
          String value = rows.getString(i);
          if (value != null) {
            json.put(name, value);
          }
        }
      }
    }
    return json.toString();
  }

  private static String instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant().toString();
  }

  private static String utc(LocalDateTime time) {
    return time == null ? null : time.toInstant(ZoneOffset.UTC).toString();
  }
}
