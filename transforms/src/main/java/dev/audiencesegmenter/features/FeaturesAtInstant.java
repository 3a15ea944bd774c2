package dev.audiencesegmenter.features;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One customer's features as of any instant, from that customer's events: the columns that
 * depend on the customer alone, computed by the same code as the batch transforms
 * ({@link ComputeCustomerFeatures}, the event consent of {@link AddProfileTraits}, and
 * {@link AssignLifecycleStage} without value models). Streaming re-evaluates a customer as
 * its "now" moves, so the instant is a parameter here, not configuration.
 *
 * <p>Consent here is as of the instant too (events before it), unlike the batch features,
 * which read it from every record: a streaming job evaluates again at the first grid instant
 * after each event, so a later opt-out arrives by itself, and an evaluation must not depend on
 * which later events happened to be in by then.
 *
 * <p>Columns that need the whole population (RFM scores, value and engagement tiers,
 * clusters, lookalikes, the value models) or profile records stay null; see
 * {@link #POPULATION_COLUMNS}.
 */
public final class FeaturesAtInstant implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Columns this class leaves null: they are relative to all customers, fitted over all of
   * them, or come from profile records.
   */
  public static final List<String> POPULATION_COLUMNS = List.of(
      "repeat_purchases", "recency_weeks", "age_weeks", "mean_repeat_value", "p_alive",
      "churn_risk", "churn_risk_band", "churn_model", "discounted_remaining_periods",
      "expected_purchases_90d",
      "expected_purchases_365d", "expected_avg_order_value", "predicted_clv_365d", "r_score",
      "f_score", "m_score", "rfm_segment", "value_tier", "engagement_tier", "cluster",
      "lookalike_score", "lookalike_selected", "lookalike_reason", "country", "city", "lat",
      "lon", "company", "industry", "employees");

  private final FeatureSettings settings;
  private final AssignLifecycleStage lifecycle;
  private final Counter unreadable = Metrics.counter(AddProfileTraits.class,
      "traits_unreadable");

  private FeaturesAtInstant(FeatureSettings settings, AssignLifecycleStage lifecycle) {
    this.settings = settings;
    this.lifecycle = lifecycle;
  }

  /** With the settings of {@code features} (its asOf, if any, is ignored) and stage rules. */
  public static FeaturesAtInstant of(ComputeCustomerFeatures features,
      AssignLifecycleStage lifecycle) {
    if (features == null || lifecycle == null) {
      throw new IllegalArgumentException("features and lifecycle settings must not be null");
    }
    return new FeaturesAtInstant(features.withAsOf(new Instant(0)).settings(), lifecycle);
  }

  /**
   * The features of {@code customerId} as of {@code asOf} (exclusive) from its events, in any
   * order; null when none of them is before {@code asOf}.
   */
  public @Nullable CustomerFeatures compute(String customerId, Iterable<CustomerEvent> events,
      Instant asOf) {
    FeatureSettings at = new FeatureSettings(asOf.getMillis(), settings.keyFeatures(),
        settings.weights(), settings.halfLifeMillis(), settings.cartWindowMillis(),
        settings.reactivationWindowMillis());
    CustomerFeaturesFn fn = new CustomerFeaturesFn(at);
    FeatureAccumulator accumulator = fn.createAccumulator();
    ProfileTraitsFn traitsFn = new ProfileTraitsFn();
    LatestValues consent = null;
    boolean any = false;
    for (CustomerEvent event : events) {
      if (event.getEventTime().getMillis() >= at.asOf()) {
        continue;
      }
      any = true;
      fn.addInput(accumulator, event);
      ProfileAttributes update = AddProfileTraits.consentOf(event);
      if (update != null) {
        consent = traitsFn.addInput(consent == null ? traitsFn.createAccumulator() : consent,
            update);
      }
    }
    if (!any) {
      return null;
    }
    CustomerFeatures features = ComputeCustomerFeatures.toFeatures(customerId, accumulator, at);
    if (consent != null) {
      features = AddProfileTraits.filled(features, consent, unreadable::inc);
    }
    return features.toBuilder().setLifecycleStage(lifecycle.stageOf(features.getTenureDays(),
        features.getDaysInactive(), features.getReactivationGapDays(), null)).build();
  }
}
