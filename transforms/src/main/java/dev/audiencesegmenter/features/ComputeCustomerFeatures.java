package dev.audiencesegmenter.features;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SchemaCoders;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * One {@link CustomerFeatures} row per customer from its events, keyed by customer id, as of
 * the instant {@code asOf} (the run's "now", exclusive: events at or after it are ignored and
 * counted in {@code events_after_as_of}). A window of N days is {@code [asOf - N days, asOf)}.
 * The columns are defined in transforms/README.md ("Feature columns") and on {@link
 * CustomerFeatures}.
 *
 * <pre>{@code
 * PCollection<CustomerFeatures> features = resolved.getEvents().apply(
 *     ComputeCustomerFeatures.create().withAsOf(Instant.parse("2024-07-01T00:00:00Z"))
 *         .withKeyFeatures(List.of("dashboard", "export"))
 *         .withEngagementHalfLife(Duration.standardDays(14)));
 * }</pre>
 *
 * <p>Configuration (immutable; every {@code with} method validates its value):
 * <ul>
 *   <li>{@link #withAsOf}: required.
 *   <li>{@link #withKeyFeatures}: the product features whose share a customer has used
 *       ({@code feature_adoption_rate}); none by default, then the rate is null.
 *   <li>{@link #withEngagementWeights}, {@link #withEngagementHalfLife}: {@code
 *       engagement_score} is the sum over events of {@code weight(type) * 0.5^(age / halfLife)};
 *       defaults {@link EngagementWeights#DEFAULT_SPEC} and 30 days.
 *   <li>{@link #withCartAbandonmentWindow}: how far back a cart may be for
 *       {@code cart_abandoned_24h} (default 24 hours).
 *   <li>{@link #withReactivationWindow}: the recent period in which a return after a long gap
 *       is looked for ({@code reactivation_gap_days}; default 30 days).
 * </ul>
 *
 * <p>Lifecycle stages and profile traits are added later by {@link AssignLifecycleStage} and
 * {@link AddProfileTraits}: they need the value models and the profiles.
 *
 * <p>Aggregation is a {@link Combine#perKey} with a small mergeable accumulator
 * ({@link FeatureAccumulator}): a customer's events are never held together in memory.
 */
@AutoValue
public abstract class ComputeCustomerFeatures
    extends PTransform<PCollection<KV<String, CustomerEvent>>, PCollection<CustomerFeatures>> {
  /** At most this many key features: their use is one bit each in a long. */
  public static final int MAX_KEY_FEATURES = 64;
  /** Interests listed in category_affinities. */
  static final int AFFINITIES_LISTED = 5;

  public abstract @Nullable Instant getAsOf();

  public abstract List<String> getKeyFeatures();

  public abstract Map<String, Double> getEngagementWeights();

  public abstract Duration getEngagementHalfLife();

  public abstract Duration getCartAbandonmentWindow();

  public abstract Duration getReactivationWindow();

  abstract Builder toBuilder();

  public static ComputeCustomerFeatures create() {
    return new AutoValue_ComputeCustomerFeatures.Builder()
        .setKeyFeatures(List.of())
        .setEngagementWeights(EngagementWeights.defaults())
        .setEngagementHalfLife(Duration.standardDays(30))
        .setCartAbandonmentWindow(Duration.standardHours(24))
        .setReactivationWindow(Duration.standardDays(30))
        .build();
  }

  /** The run's "now"; required. */
  public ComputeCustomerFeatures withAsOf(Instant asOf) {
    if (asOf == null) {
      throw new IllegalArgumentException("asOf must not be null");
    }
    return toBuilder().setAsOf(asOf).build();
  }

  /** Key product features (prop {@code feature} of feature_use events), at most 64, distinct. */
  public ComputeCustomerFeatures withKeyFeatures(List<String> keyFeatures) {
    if (keyFeatures == null) {
      throw new IllegalArgumentException("keyFeatures must not be null (use an empty list)");
    }
    if (keyFeatures.size() > MAX_KEY_FEATURES) {
      throw new IllegalArgumentException("keyFeatures has " + keyFeatures.size()
          + " entries; at most " + MAX_KEY_FEATURES + " are supported");
    }
    HashSet<String> seen = new HashSet<>();
    for (String feature : keyFeatures) {
      String label = CustomerFeaturesFn.label(feature, false);
      if (label == null || !label.equals(feature)) {
        throw new IllegalArgumentException("key feature '" + feature
            + "' is blank, has surrounding spaces or is longer than "
            + CustomerFeaturesFn.MAX_LABEL_LENGTH + " characters");
      }
      if (!seen.add(feature)) {
        throw new IllegalArgumentException("key feature '" + feature + "' is listed twice");
      }
    }
    return toBuilder().setKeyFeatures(List.copyOf(keyFeatures)).build();
  }

  /** Event type to weight in [0, 1000]; types not listed weigh 0. */
  public ComputeCustomerFeatures withEngagementWeights(Map<String, Double> weights) {
    if (weights == null) {
      throw new IllegalArgumentException("engagement weights must not be null");
    }
    weights.forEach(EngagementWeights::check);
    return toBuilder().setEngagementWeights(Map.copyOf(weights)).build();
  }

  /** Age at which an event counts half in engagement_score; positive. */
  public ComputeCustomerFeatures withEngagementHalfLife(Duration halfLife) {
    if (halfLife == null || halfLife.getMillis() <= 0) {
      throw new IllegalArgumentException("engagement half-life must be positive, was "
          + halfLife);
    }
    return toBuilder().setEngagementHalfLife(halfLife).build();
  }

  /** Oldest cart activity that can count as abandoned; positive. */
  public ComputeCustomerFeatures withCartAbandonmentWindow(Duration window) {
    if (window == null || window.getMillis() <= 0) {
      throw new IllegalArgumentException("cart abandonment window must be positive, was "
          + window);
    }
    return toBuilder().setCartAbandonmentWindow(window).build();
  }

  /** The recent period in which a return after a gap is looked for; positive. */
  public ComputeCustomerFeatures withReactivationWindow(Duration window) {
    if (window == null || window.getMillis() <= 0) {
      throw new IllegalArgumentException("reactivation window must be positive, was "
          + window);
    }
    return toBuilder().setReactivationWindow(window).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setAsOf(Instant asOf);

    abstract Builder setKeyFeatures(List<String> keyFeatures);

    abstract Builder setEngagementWeights(Map<String, Double> weights);

    abstract Builder setEngagementHalfLife(Duration halfLife);

    abstract Builder setCartAbandonmentWindow(Duration window);

    abstract Builder setReactivationWindow(Duration window);

    abstract ComputeCustomerFeatures build();
  }

  FeatureSettings settings() {
    Instant asOf = getAsOf();
    if (asOf == null) {
      throw new IllegalStateException(
          "ComputeCustomerFeatures needs withAsOf(..): the run's 'now' is never the clock");
    }
    return new FeatureSettings(asOf.getMillis(), getKeyFeatures(), getEngagementWeights(),
        getEngagementHalfLife().getMillis(), getCartAbandonmentWindow().getMillis(),
        getReactivationWindow().getMillis());
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.addIfNotNull(DisplayData.item("asOf", getAsOf() == null ? null : getAsOf().toString()))
        .add(DisplayData.item("keyFeatures", String.join(",", getKeyFeatures())))
        .add(DisplayData.item("engagementWeights", getEngagementWeights().toString()))
        .add(DisplayData.item("engagementHalfLife", getEngagementHalfLife()))
        .add(DisplayData.item("cartAbandonmentWindow", getCartAbandonmentWindow()))
        .add(DisplayData.item("reactivationWindow", getReactivationWindow()));
  }

  @Override
  public PCollection<CustomerFeatures> expand(PCollection<KV<String, CustomerEvent>> events) {
    FeatureSettings settings = settings();
    SchemaCoder<CustomerFeatures> coder =
        SchemaCoders.of(events.getPipeline(), CustomerFeatures.class);
    PCollection<CustomerFeatures> features = events
        .apply("KeepBeforeAsOf", ParDo.of(new KeepBeforeAsOf(settings.asOf())))
        .setCoder(events.getCoder())
        .apply("CombinePerCustomer", Combine.perKey(new CustomerFeaturesFn(settings)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), new FeatureAccumulator.Coder()))
        .apply("ToFeatureRows", ParDo.of(new ToFeatures(settings)))
        .setCoder(coder);
    // every column the later stages do not fill comes from the events
    List<String> base = coder.getSchema().getFieldNames().stream()
        .filter(column -> !FilledColumns.FILLERS.containsKey(column)).toList();
    return FilledColumns.mark(features, "ComputeCustomerFeatures", base);
  }

  private static final class KeepBeforeAsOf
      extends DoFn<KV<String, CustomerEvent>, KV<String, CustomerEvent>> {
    private final long asOf;
    private final Counter counted = Metrics.counter(ComputeCustomerFeatures.class,
        "events_counted");
    private final Counter after = Metrics.counter(ComputeCustomerFeatures.class,
        "events_after_as_of");

    KeepBeforeAsOf(long asOf) {
      this.asOf = asOf;
    }

    @ProcessElement
    public void process(@Element KV<String, CustomerEvent> event,
        OutputReceiver<KV<String, CustomerEvent>> out) {
      if (event.getValue().getEventTime().getMillis() < asOf) {
        counted.inc();
        out.output(event);
      } else {
        after.inc();
      }
    }
  }

  /** Turns an accumulator into the feature row. */
  static final class ToFeatures extends DoFn<KV<String, FeatureAccumulator>, CustomerFeatures> {
    private final FeatureSettings settings;
    private final Counter customers = Metrics.counter(ComputeCustomerFeatures.class,
        "customers");
    // Past a cap a figure is estimated or approximate (see BoundedDistinct, TopCounts).
    private final Counter distinctCapped = Metrics.counter(ComputeCustomerFeatures.class,
        "customers_distinct_estimated");
    private final Counter interestsCapped = Metrics.counter(ComputeCustomerFeatures.class,
        "customers_interests_folded");

    ToFeatures(FeatureSettings settings) {
      this.settings = settings;
    }

    @ProcessElement
    public void process(@Element KV<String, FeatureAccumulator> customer,
        OutputReceiver<CustomerFeatures> out) {
      customers.inc();
      FeatureAccumulator a = customer.getValue();
      if (a.products.overflowed() || a.features.overflowed()) {
        distinctCapped.inc();
      }
      if (a.interests.other() > 0 || a.devices.other() > 0 || a.oses.other() > 0) {
        interestsCapped.inc();
      }
      out.output(toFeatures(customer.getKey(), a, settings));
    }
  }

  static CustomerFeatures toFeatures(String customerId, FeatureAccumulator a,
      FeatureSettings settings) {
    long asOf = settings.asOf();
    long day = CustomerFeaturesFn.DAY;
    boolean bought = a.frequency > 0;
    BigDecimal purchases = BigDecimal.valueOf(a.frequency);
    // Only the last cart activity and the last purchase are kept: a purchase at any time
    // after the last cart activity converts it (transforms/README.md, cart_abandoned_24h).
    boolean abandoned = a.lastCartActivity != FeatureAccumulator.NONE
        && a.lastCartActivity >= asOf - settings.cartWindowMillis()
        && a.lastPurchase < a.lastCartActivity;
    List<Map.Entry<String, Long>> interests = a.interests.ranked();
    long interestTotal = a.interests.total();
    return CustomerFeatures.builder()
        .setCustomerId(customerId)
        .setFirstSeen(new Instant(a.firstSeen))
        .setLastSeen(new Instant(a.lastSeen))
        .setTenureDays(Math.floorDiv(asOf - a.firstSeen, day))
        .setRecencyDays(bought ? Math.floorDiv(asOf - a.lastPurchase, day) : null)
        .setFrequency(a.frequency)
        .setMonetaryTotal(a.monetary.setScale(2, RoundingMode.HALF_EVEN))
        .setMonetaryAvg(bought ? a.monetary.divide(purchases, 2, RoundingMode.HALF_EVEN) : null)
        .setPurchases30d(a.purchases30d)
        .setPurchases90d(a.purchases90d)
        .setPurchases180d(a.purchases180d)
        .setPurchases365d(a.purchases365d)
        .setEmailOpens90d(a.emailOpens90d)
        .setEmailClicks90d(a.emailClicks90d)
        .setSiteVisits30d(a.siteVisits30d)
        .setSiteVisits90d(a.siteVisits90d)
        .setCartAbandoned24h(abandoned)
        .setRefundsTotal(a.refunds.setScale(2, RoundingMode.HALF_EVEN))
        .setAverageOrderValue(bought
            ? a.purchaseRevenue.divide(purchases, 2, RoundingMode.HALF_EVEN) : null)
        .setDistinctProducts(a.products.count())
        .setEmailSent90d(a.emailSent90d)
        .setEmailOpenRate90d(ratio(a.emailOpens90d, a.emailSent90d))
        .setEmailClickRate90d(ratio(a.emailClicks90d, a.emailSent90d))
        .setPageViews30d(a.pageViews30d)
        .setFeatureUses30d(a.featureUses30d)
        .setDistinctFeaturesUsed(a.features.count())
        .setFeatureAdoptionRate(ratio(Long.bitCount(a.keyFeaturesUsed),
            settings.keyFeatures().size()))
        .setPreferredChannel(preferredChannel(a.channelEvents))
        .setPreferredDevice(a.devices.top())
        .setPreferredOs(a.oses.top())
        .setTopCategory(interests.isEmpty() ? null : interests.get(0).getKey())
        .setTopCategoryShare(interests.isEmpty() ? null
            : ratio(interests.get(0).getValue(), interestTotal))
        .setCategoryAffinities(affinities(interests, interestTotal))
        .setEngagementScore(BigDecimal.valueOf(a.engagementMicros, 6)
            .setScale(4, RoundingMode.HALF_EVEN).doubleValue())
        .setDaysInactive(a.lastActive == FeatureAccumulator.NONE ? null
            : Math.floorDiv(asOf - a.lastActive, day))
        .setReactivationGapDays(a.firstActiveInWindow == FeatureAccumulator.NEVER
            || a.lastActiveBeforeWindow == FeatureAccumulator.NONE ? null
            : Math.floorDiv(a.firstActiveInWindow - a.lastActiveBeforeWindow, day))
        .build();
  }

  /** numerator / denominator to 4 decimals (half-even); null when the denominator is 0. */
  static @Nullable Double ratio(long numerator, long denominator) {
    if (denominator == 0) {
      return null;
    }
    return BigDecimal.valueOf(numerator)
        .divide(BigDecimal.valueOf(denominator), 4, RoundingMode.HALF_EVEN).doubleValue();
  }

  private static @Nullable String preferredChannel(long[] events) {
    int best = -1;
    for (int i = 0; i < events.length; i++) {
      if (events[i] > 0 && (best < 0 || events[i] > events[best])) {
        best = i; // strict '>': ties go to the earlier (alphabetical) channel
      }
    }
    return best < 0 ? null : EngagementChannel.NAMES.get(best);
  }

  private static @Nullable String affinities(List<Map.Entry<String, Long>> ranked, long total) {
    if (ranked.isEmpty()) {
      return null;
    }
    StringJoiner joined = new StringJoiner(",");
    for (Map.Entry<String, Long> e : ranked.subList(0, Math.min(AFFINITIES_LISTED,
        ranked.size()))) {
      // ',' and ':' separate the list: a label holding them would be ambiguous.
      String name = e.getKey().replace(',', '_').replace(':', '_');
      joined.add(name + ":" + BigDecimal.valueOf(e.getValue())
          .divide(BigDecimal.valueOf(total), 4, RoundingMode.HALF_EVEN).toPlainString());
    }
    return joined.toString();
  }
}
