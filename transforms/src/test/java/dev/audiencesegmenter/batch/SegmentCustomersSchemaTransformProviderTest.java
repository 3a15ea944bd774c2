package dev.audiencesegmenter.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.SchemaCoders;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.transforms.SchemaTransformProvider;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionRowTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The composite built the way Beam YAML builds it: found by its URN, configured by a Row. */
@ExtendWith(TestPipelineExtension.class)
class SegmentCustomersSchemaTransformProviderTest {
  private static final String YAML = "groups:\n"
      + "  - name: campaigns\n"
      + "    segments:\n"
      + "      - name: buyers\n"
      + "        when: frequency >= 1\n"
      + "      - template: repeat_buyers\n";

  private static SchemaTransformProvider provider() {
    for (SchemaTransformProvider p : ServiceLoader.load(SchemaTransformProvider.class)) {
      if (p.identifier().equals(SegmentCustomersSchemaTransformProvider.IDENTIFIER)) {
        return p;
      }
    }
    throw new AssertionError("not registered with ServiceLoader");
  }

  private static Row config(Schema schema, String yaml, String asOf) {
    return Row.withSchema(schema).withFieldValue("segments_yaml", yaml)
        .withFieldValue("as_of", asOf).withFieldValue("value_models", false).build();
  }

  private static CustomerEvent purchase(String id, String email, String time) {
    return CustomerEvent.builder().setSource("shop").setSourceRecordId(id)
        .setEventType("purchase").setEventTime(Instant.parse(time))
        .setIdentifiers(Map.of("email", email)).setRevenue(new BigDecimal("10.00")).build();
  }

  @Test
  void segmentsRowsOfEventsConfiguredByARow(TestPipeline p) throws Exception {
    SchemaTransformProvider provider = provider();
    assertEquals(List.of("as_of", "segments_yaml", "value_models"),
        provider.configurationSchema().getFieldNames().stream().sorted().toList());
    Schema eventSchema = p.getSchemaRegistry().getSchema(CustomerEvent.class);
    SerializableFunction<CustomerEvent, Row> toRow =
        p.getSchemaRegistry().getToRowFunction(CustomerEvent.class);
    // a@ buys twice (once under another case of the address), b@ once; one event after asOf
    List<Row> rows = List.of(
        toRow.apply(purchase("1", "a@example.com", "2024-05-01T10:00:00Z")),
        toRow.apply(purchase("2", "A@Example.com", "2024-06-01T10:00:00Z")),
        toRow.apply(purchase("3", "b@example.com", "2024-06-15T10:00:00Z")),
        toRow.apply(purchase("4", "b@example.com", "2024-08-01T10:00:00Z")));
    PCollection<Row> events = p.apply(Create.of(rows).withRowSchema(eventSchema));

    PCollectionRowTuple out = PCollectionRowTuple.of("events", events)
        .apply(provider.from(config(provider.configurationSchema(), YAML, "2024-06-30")));

    assertEquals(SegmentCustomersSchemaTransformProvider.OUTPUTS.stream().sorted().toList(),
        out.getAll().keySet().stream().sorted().toList());
    PAssert.that(out.get("memberships").apply("Segments", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("segment"))))
        .containsInAnyOrder("buyers", "buyers", "repeat_buyers");
    PAssert.that(out.get("features").apply("Frequencies", MapElements.into(TypeDescriptors.longs())
            .via(r -> r.getInt64("frequency"))))
        .containsInAnyOrder(2L, 1L);
    PAssert.that(out.get("identities").apply("Identifiers", MapElements.into(TypeDescriptors.strings())
            .via(r -> r.getString("id_type") + ":" + r.getString("id_value"))))
        .containsInAnyOrder("email:a@example.com", "email:b@example.com");
    p.run().waitUntilFinish();
  }

  @Test
  void aBadConfigurationIsNamedWhenTheTransformIsBuilt() {
    SchemaTransformProvider provider = provider();
    Schema schema = provider.configurationSchema();
    IllegalArgumentException date = assertThrows(IllegalArgumentException.class,
        () -> provider.from(config(schema, YAML, "June 30th")));
    assertEquals("as_of must be a date like 2024-06-30 or an instant like "
        + "2024-06-30T12:00:00Z, got 'June 30th'", date.getMessage());
    IllegalArgumentException rules = assertThrows(IllegalArgumentException.class,
        () -> provider.from(config(schema, YAML.replace("frequency", "frequncy"), "2024-06-30")));
    assertTrue(rules.getMessage().startsWith(SegmentCustomersSchemaTransformProvider.IDENTIFIER
        + ": segments_yaml:5:15: segment 'buyers': unknown column 'frequncy'"), rules.getMessage());
  }
}
