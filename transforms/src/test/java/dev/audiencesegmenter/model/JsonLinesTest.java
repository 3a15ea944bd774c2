package dev.audiencesegmenter.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class JsonLinesTest {

  @Test
  void rendersEveryTypeAsTheContractSays() {
    Schema inner = Schema.builder().addStringField("k").build();
    Schema schema = Schema.builder()
        .addStringField("s").addInt64Field("n").addInt32Field("i").addDoubleField("d")
        .addDecimalField("money").addDecimalField("big").addBooleanField("b")
        .addDateTimeField("t").addDateTimeField("tm")
        .addNullableField("none", Schema.FieldType.STRING)
        .addMapField("m", Schema.FieldType.STRING, Schema.FieldType.STRING)
        .addArrayField("a", Schema.FieldType.INT64).addRowField("r", inner)
        .addDoubleField("nan").build();
    Row row = Row.withSchema(schema).addValues("a \"q\"", 7L, 3, 0.25, new BigDecimal("42.50"),
        new BigDecimal("1E+3"), true, Instant.parse("2024-03-01T12:00:00Z"),
        Instant.parse("2024-03-01T12:00:00.120Z"), null, Map.of("z", "1", "a", "2"),
        List.of(1L, 2L), Row.withSchema(inner).addValue("v").build(), Double.NaN).build();
    assertEquals("{\"s\":\"a \\\"q\\\"\",\"n\":7,\"i\":3,\"d\":0.25,\"money\":42.50,"
        + "\"big\":1000,\"b\":true,\"t\":\"2024-03-01T12:00:00Z\","
        + "\"tm\":\"2024-03-01T12:00:00.120Z\",\"none\":null,\"m\":{\"a\":\"2\",\"z\":\"1\"},"
        + "\"a\":[1,2],\"r\":{\"k\":\"v\"},\"nan\":null}", JsonLines.toJson(row));
  }
}
