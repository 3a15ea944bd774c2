package dev.audiencesegmenter.model;

import com.google.auto.value.AutoValue;
import java.math.BigDecimal;
import java.util.Map;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldName;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldNumber;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One row per customer of {@code features/}, every value relative to the run's {@code asOf}
 * instant. Field names are the snake_case column names that segment rules, JSON output and
 * database columns use. A window of N days is {@code [asOf - N days, asOf)}.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class CustomerFeatures {

  /** Resolved customer id. */
  @SchemaFieldNumber("0")
  @SchemaFieldName("customer_id")
  public abstract String getCustomerId();

  /** Time of the customer's first event up to asOf. */
  @SchemaFieldNumber("1")
  @SchemaFieldName("first_seen")
  public abstract Instant getFirstSeen();

  /** Time of the customer's last event up to asOf. */
  @SchemaFieldNumber("2")
  @SchemaFieldName("last_seen")
  public abstract Instant getLastSeen();

  /** Whole days from first_seen to asOf. */
  @SchemaFieldNumber("3")
  @SchemaFieldName("tenure_days")
  public abstract long getTenureDays();

  /** Whole days from the last purchase to asOf; null without a purchase. */
  @SchemaFieldNumber("4")
  @SchemaFieldName("recency_days")
  public abstract @Nullable Long getRecencyDays();

  /** Number of purchases. */
  @SchemaFieldNumber("5")
  @SchemaFieldName("frequency")
  public abstract long getFrequency();

  /** Net spend: purchase revenue plus (negative) refund revenue. */
  @SchemaFieldNumber("6")
  @SchemaFieldName("monetary_total")
  public abstract BigDecimal getMonetaryTotal();

  /** monetary_total / frequency, 2 decimals half-even; null without a purchase. */
  @SchemaFieldNumber("7")
  @SchemaFieldName("monetary_avg")
  public abstract @Nullable BigDecimal getMonetaryAvg();

  /** Purchases in the 30 days before asOf. */
  @SchemaFieldNumber("8")
  @SchemaFieldName("purchases_30d")
  public abstract long getPurchases30d();

  /** Purchases in the 90 days before asOf. */
  @SchemaFieldNumber("9")
  @SchemaFieldName("purchases_90d")
  public abstract long getPurchases90d();

  /** Purchases in the 180 days before asOf. */
  @SchemaFieldNumber("10")
  @SchemaFieldName("purchases_180d")
  public abstract long getPurchases180d();

  /** Purchases in the 365 days before asOf. */
  @SchemaFieldNumber("11")
  @SchemaFieldName("purchases_365d")
  public abstract long getPurchases365d();

  /** Email opens in the 90 days before asOf. */
  @SchemaFieldNumber("12")
  @SchemaFieldName("email_opens_90d")
  public abstract long getEmailOpens90d();

  /** Email clicks in the 90 days before asOf. */
  @SchemaFieldNumber("13")
  @SchemaFieldName("email_clicks_90d")
  public abstract long getEmailClicks90d();

  /** Site visits in the 30 days before asOf. */
  @SchemaFieldNumber("14")
  @SchemaFieldName("site_visits_30d")
  public abstract long getSiteVisits30d();

  /** Site visits in the 90 days before asOf. */
  @SchemaFieldNumber("15")
  @SchemaFieldName("site_visits_90d")
  public abstract long getSiteVisits90d();

  /** A cart_add or checkout_start in the 24 hours before asOf with no purchase at or after it. */
  @SchemaFieldNumber("16")
  @SchemaFieldName("cart_abandoned_24h")
  public abstract boolean getCartAbandoned24h();

  /** Purchase days after the first one (the value models' x); null without a purchase. */
  @SchemaFieldNumber("17")
  @SchemaFieldName("repeat_purchases")
  public abstract @Nullable Long getRepeatPurchases();

  /** Weeks from the first to the last purchase day (t_x). */
  @SchemaFieldNumber("18")
  @SchemaFieldName("recency_weeks")
  public abstract @Nullable Double getRecencyWeeks();

  /** Weeks from the first purchase day to the last day before asOf (T). */
  @SchemaFieldNumber("19")
  @SchemaFieldName("age_weeks")
  public abstract @Nullable Double getAgeWeeks();

  /** Mean revenue of the repeat purchase days, 2 decimals; null without repeats. */
  @SchemaFieldNumber("20")
  @SchemaFieldName("mean_repeat_value")
  public abstract @Nullable BigDecimal getMeanRepeatValue();

  /** BG/NBD probability that the customer is still active at asOf. */
  @SchemaFieldNumber("21")
  @SchemaFieldName("p_alive")
  public abstract @Nullable Double getPAlive();

  /** 1 - p_alive. */
  @SchemaFieldNumber("22")
  @SchemaFieldName("churn_risk")
  public abstract @Nullable Double getChurnRisk();

  /** low ({@code churn_risk < 0.3}), medium ({@code < 0.7}) or high. */
  @SchemaFieldNumber("23")
  @SchemaFieldName("churn_risk_band")
  public abstract @Nullable String getChurnRiskBand();

  /** BG/NBD expected purchase days in the 90 days after asOf. */
  @SchemaFieldNumber("24")
  @SchemaFieldName("expected_purchases_90d")
  public abstract @Nullable Double getExpectedPurchases90d();

  /** BG/NBD expected purchase days in the 365 days after asOf. */
  @SchemaFieldNumber("25")
  @SchemaFieldName("expected_purchases_365d")
  public abstract @Nullable Double getExpectedPurchases365d();

  /** Gamma-Gamma expected revenue per purchase day. */
  @SchemaFieldNumber("26")
  @SchemaFieldName("expected_avg_order_value")
  public abstract @Nullable Double getExpectedAvgOrderValue();

  /** Discounted expected margin over the next 12 months (see transforms/README.md). */
  @SchemaFieldNumber("27")
  @SchemaFieldName("predicted_clv_365d")
  public abstract @Nullable Double getPredictedClv365d();

  /**
   * RFM recency score 1-5 by quintile among buyers (5: most recent); null without a purchase.
   * See transforms/README.md for how ties are scored.
   */
  @SchemaFieldNumber("28")
  @SchemaFieldName("r_score")
  public abstract @Nullable Integer getRScore();

  /** RFM frequency score 1-5 by quintile among buyers (5: most purchases). */
  @SchemaFieldNumber("29")
  @SchemaFieldName("f_score")
  public abstract @Nullable Integer getFScore();

  /** RFM monetary score 1-5 by quintile among buyers (5: highest net spend). */
  @SchemaFieldNumber("30")
  @SchemaFieldName("m_score")
  public abstract @Nullable Integer getMScore();

  /** Named RFM segment of the (r_score, f_score) cell, e.g. "Champions". */
  @SchemaFieldNumber("31")
  @SchemaFieldName("rfm_segment")
  public abstract @Nullable String getRfmSegment();

  /** "vip", "standard" or "low" by predicted_clv_365d percentile; null without a value. */
  @SchemaFieldNumber("32")
  @SchemaFieldName("value_tier")
  public abstract @Nullable String getValueTier();

  /** k-means cluster 1 to k of the clusters family (see transforms/README.md); null without one. */
  @SchemaFieldNumber("33")
  @SchemaFieldName("cluster")
  public abstract @Nullable Integer getCluster();

  /**
   * Similarity 0-1 to the lookalike family's seed segment, for customers outside the seed;
   * null for seed members and without a lookalike group.
   */
  @SchemaFieldNumber("34")
  @SchemaFieldName("lookalike_score")
  public abstract @Nullable Double getLookalikeScore();

  /** Whether the lookalike family selected this customer (top N or above the minimum score). */
  @SchemaFieldNumber("35")
  @SchemaFieldName("lookalike_selected")
  public abstract @Nullable Boolean getLookalikeSelected();

  /** The traits that weigh most in the lookalike score, with the seed's means. */
  @SchemaFieldNumber("36")
  @SchemaFieldName("lookalike_reason")
  public abstract @Nullable String getLookalikeReason();
  /** Money refunded (refund revenue as a positive amount), 2 decimals. */
  @SchemaFieldNumber("37")
  @SchemaFieldName("refunds_total")
  public abstract BigDecimal getRefundsTotal();

  /** Gross purchase revenue / purchases, 2 decimals half-even; null without a purchase. */
  @SchemaFieldNumber("38")
  @SchemaFieldName("average_order_value")
  public abstract @Nullable BigDecimal getAverageOrderValue();

  /**
   * Distinct product ids (sku) purchased; exact up to 256, estimated beyond
   * (transforms/README.md).
   */
  @SchemaFieldNumber("39")
  @SchemaFieldName("distinct_products")
  public abstract long getDistinctProducts();

  /** email_sent events in the 90 days before asOf. */
  @SchemaFieldNumber("40")
  @SchemaFieldName("email_sent_90d")
  public abstract long getEmailSent90d();

  /** email_opens_90d / email_sent_90d, 4 decimals; null when nothing was sent. */
  @SchemaFieldNumber("41")
  @SchemaFieldName("email_open_rate_90d")
  public abstract @Nullable Double getEmailOpenRate90d();

  /** email_clicks_90d / email_sent_90d, 4 decimals; null when nothing was sent. */
  @SchemaFieldNumber("42")
  @SchemaFieldName("email_click_rate_90d")
  public abstract @Nullable Double getEmailClickRate90d();

  /** page_view events in the 30 days before asOf. */
  @SchemaFieldNumber("43")
  @SchemaFieldName("page_views_30d")
  public abstract long getPageViews30d();

  /** feature_use events in the 30 days before asOf. */
  @SchemaFieldNumber("44")
  @SchemaFieldName("feature_uses_30d")
  public abstract long getFeatureUses30d();

  /** Distinct product features (prop feature of feature_use) ever used; exact up to 256. */
  @SchemaFieldNumber("45")
  @SchemaFieldName("distinct_features_used")
  public abstract long getDistinctFeaturesUsed();

  /** Share of the configured key features used, 4 decimals; null without key features. */
  @SchemaFieldNumber("46")
  @SchemaFieldName("feature_adoption_rate")
  public abstract @Nullable Double getFeatureAdoptionRate();

  /** email, sms, push, web or app: the channel with the most engagement events. */
  @SchemaFieldNumber("47")
  @SchemaFieldName("preferred_channel")
  public abstract @Nullable String getPreferredChannel();

  /** Most frequent event prop device. */
  @SchemaFieldNumber("48")
  @SchemaFieldName("preferred_device")
  public abstract @Nullable String getPreferredDevice();

  /** Most frequent event prop os. */
  @SchemaFieldNumber("49")
  @SchemaFieldName("preferred_os")
  public abstract @Nullable String getPreferredOs();

  /** Most frequent interest (event props category, theme, topic). */
  @SchemaFieldNumber("50")
  @SchemaFieldName("top_category")
  public abstract @Nullable String getTopCategory();

  /** Share of the interest signals that name top_category, 4 decimals. */
  @SchemaFieldNumber("51")
  @SchemaFieldName("top_category_share")
  public abstract @Nullable Double getTopCategoryShare();

  /** Top 5 interests with their shares: garden:0.5000,books:0.2500. */
  @SchemaFieldNumber("52")
  @SchemaFieldName("category_affinities")
  public abstract @Nullable String getCategoryAffinities();

  /** Sum of event weights decayed by age with the configured half-life, 4 decimals. */
  @SchemaFieldNumber("53")
  @SchemaFieldName("engagement_score")
  public abstract double getEngagementScore();

  /** Whole days from the last engagement event (not email_sent etc.) to asOf; null without one. */
  @SchemaFieldNumber("54")
  @SchemaFieldName("days_inactive")
  public abstract @Nullable Long getDaysInactive();

  /** Whole days between the last activity before the reactivation window and the first in it. */
  @SchemaFieldNumber("55")
  @SchemaFieldName("reactivation_gap_days")
  public abstract @Nullable Long getReactivationGapDays();

  /** new, active, at_risk, churned or reactivated; see AssignLifecycleStage. */
  @SchemaFieldNumber("56")
  @SchemaFieldName("lifecycle_stage")
  public abstract @Nullable String getLifecycleStage();

  /** Profile trait country, latest value by time. */
  @SchemaFieldNumber("57")
  @SchemaFieldName("country")
  public abstract @Nullable String getCountry();

  /** Profile trait city, latest value by time. */
  @SchemaFieldNumber("58")
  @SchemaFieldName("city")
  public abstract @Nullable String getCity();

  /** Profile trait lat (degrees), latest value; null if not a number in [-90, 90]. */
  @SchemaFieldNumber("59")
  @SchemaFieldName("lat")
  public abstract @Nullable Double getLat();

  /** Profile trait lon (degrees), latest value; null if not a number in [-180, 180]. */
  @SchemaFieldNumber("60")
  @SchemaFieldName("lon")
  public abstract @Nullable Double getLon();

  /** Profile trait company, latest value by time. */
  @SchemaFieldNumber("61")
  @SchemaFieldName("company")
  public abstract @Nullable String getCompany();

  /** Profile trait industry, latest value by time. */
  @SchemaFieldNumber("62")
  @SchemaFieldName("industry")
  public abstract @Nullable String getIndustry();

  /** Profile trait employees, latest value; null if not a whole number. */
  @SchemaFieldNumber("63")
  @SchemaFieldName("employees")
  public abstract @Nullable Long getEmployees();

  /** Every other profile trait, latest value by time; rules read it as {@code traits.plan}. */
  @SchemaFieldNumber("64")
  @SchemaFieldName("traits")
  public abstract Map<String, String> getTraits();

  /** Latest email consent from events or profiles; null if never given. */
  @SchemaFieldNumber("65")
  @SchemaFieldName("consent_email")
  public abstract @Nullable Boolean getConsentEmail();

  /** Latest sms consent from events or profiles; null if never given. */
  @SchemaFieldNumber("66")
  @SchemaFieldName("consent_sms")
  public abstract @Nullable Boolean getConsentSms();

  /** Latest push consent from events or profiles; null if never given. */
  @SchemaFieldNumber("67")
  @SchemaFieldName("consent_push")
  public abstract @Nullable Boolean getConsentPush();

  /** Latest tracking consent from events or profiles; null if never given. */
  @SchemaFieldNumber("68")
  @SchemaFieldName("consent_tracking")
  public abstract @Nullable Boolean getConsentTracking();

  /**
   * "high", "medium" or "low" by engagement_score percentile (cut-offs from the engagement
   * family, default top 20% / bottom 40%).
   */
  @SchemaFieldNumber("69")
  @SchemaFieldName("engagement_tier")
  public abstract @Nullable String getEngagementTier();

  /**
   * The model behind churn_risk: {@code sbg} for an active subscriber (the sBG model of
   * renewals), else the purchase model ({@code bg_nbd} or {@code pareto_nbd}, with
   * {@code _covariates} after it when fitted with purchase covariates) for a customer with a
   * purchase, {@code engagement} for one who never bought but was active (the share of
   * customers who looked alike 90 days earlier and then went quiet), null without churn_risk.
   */
  @SchemaFieldNumber("70")
  @SchemaFieldName("churn_model")
  public abstract @Nullable String getChurnModel();

  /**
   * For an active subscriber (churn_model {@code sbg}): the sBG model's discounted expected
   * residual lifetime (DERL, Fader and Hardie 2010), the periods still to come, each weighted
   * by the chance of still subscribing then and discounted at the run's annual discount rate
   * from the next renewal on; times the margin of one period, the subscriber's remaining
   * value. Null for everyone else, and when the discount rate is 0 (the sum need not be
   * finite).
   */
  @SchemaFieldNumber("71")
  @SchemaFieldName("discounted_remaining_periods")
  public abstract @Nullable Double getDiscountedRemainingPeriods();

  public static Builder builder() {
    // Defaults for the columns added after the first release, so that callers that build
    // rows by hand (tests, users' own feature code) keep compiling and stay valid.
    return new AutoValue_CustomerFeatures.Builder()
        .setRefundsTotal(BigDecimal.ZERO.setScale(2))
        .setDistinctProducts(0)
        .setEmailSent90d(0)
        .setPageViews30d(0)
        .setFeatureUses30d(0)
        .setDistinctFeaturesUsed(0)
        .setEngagementScore(0)
        .setTraits(Map.of());
  }

  public abstract Builder toBuilder();

  /** Builder for {@link CustomerFeatures}. */
  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder setCustomerId(String customerId);

    public abstract Builder setFirstSeen(Instant firstSeen);

    public abstract Builder setLastSeen(Instant lastSeen);

    public abstract Builder setTenureDays(long tenureDays);

    public abstract Builder setRecencyDays(@Nullable Long recencyDays);

    public abstract Builder setFrequency(long frequency);

    public abstract Builder setMonetaryTotal(BigDecimal monetaryTotal);

    public abstract Builder setMonetaryAvg(@Nullable BigDecimal monetaryAvg);

    public abstract Builder setPurchases30d(long purchases30d);

    public abstract Builder setPurchases90d(long purchases90d);

    public abstract Builder setPurchases180d(long purchases180d);

    public abstract Builder setPurchases365d(long purchases365d);

    public abstract Builder setEmailOpens90d(long emailOpens90d);

    public abstract Builder setEmailClicks90d(long emailClicks90d);

    public abstract Builder setSiteVisits30d(long siteVisits30d);

    public abstract Builder setSiteVisits90d(long siteVisits90d);

    public abstract Builder setCartAbandoned24h(boolean cartAbandoned24h);

    public abstract Builder setRepeatPurchases(@Nullable Long value);

    public abstract Builder setRecencyWeeks(@Nullable Double value);

    public abstract Builder setAgeWeeks(@Nullable Double value);

    public abstract Builder setMeanRepeatValue(@Nullable BigDecimal value);

    public abstract Builder setPAlive(@Nullable Double value);

    public abstract Builder setChurnRisk(@Nullable Double value);

    public abstract Builder setChurnRiskBand(@Nullable String value);

    public abstract Builder setExpectedPurchases90d(@Nullable Double value);

    public abstract Builder setExpectedPurchases365d(@Nullable Double value);

    public abstract Builder setExpectedAvgOrderValue(@Nullable Double value);

    public abstract Builder setPredictedClv365d(@Nullable Double value);

    public abstract Builder setRScore(@Nullable Integer value);

    public abstract Builder setFScore(@Nullable Integer value);

    public abstract Builder setMScore(@Nullable Integer value);

    public abstract Builder setRfmSegment(@Nullable String value);

    public abstract Builder setValueTier(@Nullable String value);

    public abstract Builder setCluster(@Nullable Integer value);

    public abstract Builder setLookalikeScore(@Nullable Double value);

    public abstract Builder setLookalikeSelected(@Nullable Boolean value);

    public abstract Builder setLookalikeReason(@Nullable String value);

    public abstract Builder setRefundsTotal(BigDecimal value);

    public abstract Builder setAverageOrderValue(@Nullable BigDecimal value);

    public abstract Builder setDistinctProducts(long value);

    public abstract Builder setEmailSent90d(long value);

    public abstract Builder setEmailOpenRate90d(@Nullable Double value);

    public abstract Builder setEmailClickRate90d(@Nullable Double value);

    public abstract Builder setPageViews30d(long value);

    public abstract Builder setFeatureUses30d(long value);

    public abstract Builder setDistinctFeaturesUsed(long value);

    public abstract Builder setFeatureAdoptionRate(@Nullable Double value);

    public abstract Builder setPreferredChannel(@Nullable String value);

    public abstract Builder setPreferredDevice(@Nullable String value);

    public abstract Builder setPreferredOs(@Nullable String value);

    public abstract Builder setTopCategory(@Nullable String value);

    public abstract Builder setTopCategoryShare(@Nullable Double value);

    public abstract Builder setCategoryAffinities(@Nullable String value);

    public abstract Builder setEngagementScore(double value);

    public abstract Builder setDaysInactive(@Nullable Long value);

    public abstract Builder setReactivationGapDays(@Nullable Long value);

    public abstract Builder setLifecycleStage(@Nullable String value);

    public abstract Builder setCountry(@Nullable String value);

    public abstract Builder setCity(@Nullable String value);

    public abstract Builder setLat(@Nullable Double value);

    public abstract Builder setLon(@Nullable Double value);

    public abstract Builder setCompany(@Nullable String value);

    public abstract Builder setIndustry(@Nullable String value);

    public abstract Builder setEmployees(@Nullable Long value);

    public abstract Builder setTraits(Map<String, String> value);

    public abstract Builder setConsentEmail(@Nullable Boolean value);

    public abstract Builder setConsentSms(@Nullable Boolean value);

    public abstract Builder setConsentPush(@Nullable Boolean value);

    public abstract Builder setConsentTracking(@Nullable Boolean value);

    public abstract Builder setEngagementTier(@Nullable String value);

    public abstract Builder setChurnModel(@Nullable String value);

    public abstract Builder setDiscountedRemainingPeriods(@Nullable Double value);

    public abstract CustomerFeatures build();
  }
}
