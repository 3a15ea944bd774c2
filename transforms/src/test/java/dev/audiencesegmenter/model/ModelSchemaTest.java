package dev.audiencesegmenter.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.junit.jupiter.api.Test;

/** The output schemas carry the snake_case column names of the public contract. */
class ModelSchemaTest {

  private static List<String> fieldNames(Class<?> type) throws NoSuchSchemaException {
    Schema schema = SchemaRegistry.createDefault().getSchema(type);
    return schema.getFields().stream().map(Schema.Field::getName).collect(Collectors.toList());
  }

  @Test
  void outputRowsUseContractColumnNames() throws NoSuchSchemaException {
    assertEquals(List.of("customer_id", "id_type", "id_value"), fieldNames(CustomerIdentity.class));
    assertEquals(
        List.of("customer_id", "segment", "group", "holdout"), fieldNames(SegmentMembership.class));
    assertEquals(List.of("step", "reason", "record"), fieldNames(DeadLetter.class));
    List<String> features = fieldNames(CustomerFeatures.class);
    assertEquals("customer_id", features.get(0));
    assertEquals(72, features.size());
    assertEquals("cart_abandoned_24h", features.get(16));
    assertEquals(List.of("repeat_purchases", "recency_weeks", "age_weeks", "mean_repeat_value",
        "p_alive", "churn_risk", "churn_risk_band", "expected_purchases_90d",
        "expected_purchases_365d", "expected_avg_order_value", "predicted_clv_365d"),
        features.subList(17, 28));
    // Columns added later come after, so earlier readers of the contract keep working.
    assertEquals(List.of("r_score", "f_score", "m_score", "rfm_segment", "value_tier", "cluster",
        "lookalike_score", "lookalike_selected", "lookalike_reason"), features.subList(28, 37));
    assertEquals(List.of("refunds_total", "average_order_value", "distinct_products",
        "email_sent_90d", "email_open_rate_90d", "email_click_rate_90d", "page_views_30d",
        "feature_uses_30d", "distinct_features_used", "feature_adoption_rate",
        "preferred_channel", "preferred_device", "preferred_os", "top_category",
        "top_category_share", "category_affinities", "engagement_score", "days_inactive",
        "reactivation_gap_days", "lifecycle_stage", "country", "city", "lat", "lon", "company",
        "industry", "employees", "traits", "consent_email", "consent_sms", "consent_push",
        "consent_tracking"), features.subList(37, 69));
    assertEquals(List.of("engagement_tier", "churn_model", "discounted_remaining_periods"),
        features.subList(69, 72));
    assertEquals(List.of("id_type", "id_value", "reason", "fan_out", "fan_out_type", "detail"),
        fieldNames(JunkIdentifier.class));
    assertEquals(List.of("change", "kept_id", "other_id", "linking_identifier", "linked_to",
        "reason"), fieldNames(IdentityChange.class));
  }
}
