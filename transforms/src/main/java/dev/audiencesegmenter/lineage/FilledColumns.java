package dev.audiencesegmenter.lineage;

import dev.audiencesegmenter.model.CustomerFeatures;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.values.PCollection;

/**
 * Which transform filled which {@link CustomerFeatures} column, carried by the features'
 * schema as a field option ({@value #OPTION}) from one stage to the next, so that a step
 * reading a column can fail when the pipeline is built if nothing before it fills that column
 * (a rule on {@code r_score} without {@code AddSegmentScores} is otherwise false for everyone,
 * with only a metric to say so).
 *
 * <p>Each stage marks the columns it fills on its output ({@link #mark}); the marks of its
 * input come along because the stages keep their input's coder. Features that did not come
 * through the stages from {@code ComputeCustomerFeatures} (built by hand, read from files, or
 * with another coder) have an unknown lineage, and {@link #missing} says nothing is missing.
 */
public final class FilledColumns {
  /** The schema field option naming the transform that filled the column. */
  public static final String OPTION = "audience_segmenter_filled_by";

  /** Marked by ComputeCustomerFeatures, where the lineage starts. */
  private static final String ORIGIN_COLUMN = "customer_id";

  private FilledColumns() {}

  /** The transform that fills each column after the base features, by column. */
  public static final Map<String, String> FILLERS = fillers();

  private static Map<String, String> fillers() {
    Map<String, String> out = new TreeMap<>();
    put(out, "AddProfileTraits", "country", "city", "lat", "lon", "company", "industry",
        "employees", "traits", "consent_email", "consent_sms", "consent_push",
        "consent_tracking");
    put(out, "PredictCustomerValue", "repeat_purchases", "recency_weeks", "age_weeks",
        "mean_repeat_value", "p_alive", "churn_risk", "churn_risk_band", "churn_model",
        "discounted_remaining_periods", "expected_purchases_90d", "expected_purchases_365d", "expected_avg_order_value",
        "predicted_clv_365d");
    put(out, "AssignLifecycleStage", "lifecycle_stage");
    put(out, "AddSegmentScores", "r_score", "f_score", "m_score", "rfm_segment", "value_tier",
        "engagement_tier");
    put(out, "AssignClusters", "cluster");
    put(out, "ScoreLookalikes", "lookalike_score", "lookalike_selected", "lookalike_reason");
    return Map.copyOf(out);
  }

  private static void put(Map<String, String> out, String filler, String... columns) {
    for (String column : columns) {
      out.put(column, filler);
    }
  }

  /** The columns {@link #FILLERS} lists for {@code filler}. */
  public static List<String> filledBy(String filler) {
    return FILLERS.entrySet().stream().filter(e -> e.getValue().equals(filler))
        .map(Map.Entry::getKey).sorted().toList();
  }

  /**
   * Marks {@code columns} of {@code features} as filled by {@code filler}: its schema coder
   * is replaced by the same coder whose schema carries the marks. Features without a schema
   * coder are left as they are (their lineage is unknown).
   */
  public static PCollection<CustomerFeatures> mark(PCollection<CustomerFeatures> features,
      String filler, Collection<String> columns) {
    Coder<CustomerFeatures> coder = features.getCoder();
    if (!(coder instanceof SchemaCoder<CustomerFeatures> schemaCoder)) {
      return features;
    }
    Schema schema = schemaCoder.getSchema();
    Schema.Builder marked = Schema.builder();
    for (Schema.Field field : schema.getFields()) {
      if (columns.contains(field.getName())) {
        field = field.withOptions(Schema.Options.builder().addOptions(field.getOptions())
            .setOption(OPTION, Schema.FieldType.STRING, filler));
      }
      marked.addField(field);
    }
    Schema out = marked.build().withOptions(schema.getOptions());
    // a stable id per set of marks: the same pipeline gets the same coders on every launch
    out.setUUID(UUID.nameUUIDFromBytes(out.toString().getBytes(StandardCharsets.UTF_8)));
    features.setCoder(SchemaCoder.of(out, schemaCoder.getEncodedTypeDescriptor(),
        schemaCoder.getToRowFunction(), schemaCoder.getFromRowFunction()));
    return features;
  }

  /**
   * Of {@code columnsRead}, those that {@code features} is known not to have filled, each with
   * the transform that would fill it; empty when the features' lineage is unknown (no marks).
   */
  public static Map<String, String> missing(PCollection<CustomerFeatures> features,
      Collection<String> columnsRead) {
    if (!(features.getCoder() instanceof SchemaCoder<CustomerFeatures> coder)) {
      return Map.of();
    }
    Schema schema = coder.getSchema();
    Map<String, String> missing = new TreeMap<>();
    // known only for features that started at ComputeCustomerFeatures (it marks customer_id):
    // rows built by hand and then scored carry the later stages' marks, not the whole story
    if (!schema.hasField(ORIGIN_COLUMN)
        || !schema.getField(ORIGIN_COLUMN).getOptions().hasOption(OPTION)) {
      return missing;
    }
    for (String column : columnsRead) {
      if (schema.hasField(column) && !schema.getField(column).getOptions().hasOption(OPTION)) {
        missing.put(column, FILLERS.getOrDefault(column, "ComputeCustomerFeatures"));
      }
    }
    return missing;
  }
}
