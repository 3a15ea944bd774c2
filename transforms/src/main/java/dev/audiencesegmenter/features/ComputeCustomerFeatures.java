package dev.audiencesegmenter.features;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.math.BigDecimal;
import java.math.RoundingMode;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * One {@link CustomerFeatures} row per customer from its events, keyed by customer id, as of
 * the instant {@code asOf} (the run's "now", exclusive: events at or after it are ignored and
 * counted in {@code events_after_as_of}).
 *
 * <ul>
 *   <li>{@code first_seen}, {@code last_seen}: first and last event of any type;
 *       {@code tenure_days}: whole days from first_seen to asOf.
 *   <li>{@code frequency}: purchases; {@code recency_days}: whole days from the last purchase
 *       to asOf (null without a purchase).
 *   <li>{@code monetary_total}: net spend, the revenue of purchases minus refunds (a refund
 *       counts as money back whether written negative or positive), 2 decimals;
 *       {@code monetary_avg}: monetary_total / frequency, 2 decimals half-even (null without a
 *       purchase). Sums are exact decimals, so every runner gives the same figures.
 *   <li>{@code purchases_30d/90d/180d/365d}, {@code email_opens_90d}, {@code email_clicks_90d},
 *       {@code site_visits_30d/90d}: counts in {@code [asOf - N days, asOf)}.
 *   <li>{@code cart_abandoned_24h}: the last cart_add or checkout_start is in the 24 hours
 *       before asOf and no purchase happened at or after it.
 * </ul>
 *
 * <p>Aggregation is a {@link Combine#perKey} with a small mergeable accumulator: a customer's
 * events are never held together in memory.
 */
@AutoValue
public abstract class ComputeCustomerFeatures
    extends PTransform<PCollection<KV<String, CustomerEvent>>, PCollection<CustomerFeatures>> {

  public abstract @Nullable Instant getAsOf();

  abstract Builder toBuilder();

  public static ComputeCustomerFeatures create() {
    return new AutoValue_ComputeCustomerFeatures.Builder().build();
  }

  /** The run's "now"; required. */
  public ComputeCustomerFeatures withAsOf(Instant asOf) {
    if (asOf == null) {
      throw new IllegalArgumentException("asOf must not be null");
    }
    return toBuilder().setAsOf(asOf).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setAsOf(Instant asOf);

    abstract ComputeCustomerFeatures build();
  }

  @Override
  public PCollection<CustomerFeatures> expand(PCollection<KV<String, CustomerEvent>> events) {
    Instant asOf = getAsOf();
    if (asOf == null) {
      throw new IllegalStateException(
          "ComputeCustomerFeatures needs withAsOf(..): the run's 'now' is never the clock");
    }
    try {
      return events
          .apply("KeepBeforeAsOf", ParDo.of(new KeepBeforeAsOf(asOf.getMillis())))
          .setCoder(events.getCoder())
          .apply("CombinePerCustomer", Combine.perKey(new CustomerFeaturesFn(asOf.getMillis())))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), new FeatureAccumulator.Coder()))
          .apply("ToFeatureRows", ParDo.of(new ToFeatures(asOf.getMillis())))
          .setCoder(events.getPipeline().getSchemaRegistry()
              .getSchemaCoder(CustomerFeatures.class));
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("CustomerFeatures has no schema", e);
    }
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

  private static final class ToFeatures
      extends DoFn<KV<String, FeatureAccumulator>, CustomerFeatures> {
    private final long asOf;
    private final Counter customers = Metrics.counter(ComputeCustomerFeatures.class,
        "customers");

    ToFeatures(long asOf) {
      this.asOf = asOf;
    }

    @ProcessElement
    public void process(@Element KV<String, FeatureAccumulator> customer,
        OutputReceiver<CustomerFeatures> out) {
      FeatureAccumulator a = customer.getValue();
      customers.inc();
      boolean bought = a.frequency > 0;
      BigDecimal total = a.monetary.setScale(2, RoundingMode.HALF_EVEN);
      long day = CustomerFeaturesFn.DAY;
      boolean abandoned = a.lastCartActivity != FeatureAccumulator.NONE
          && a.lastCartActivity >= asOf - day
          && a.lastPurchase < a.lastCartActivity;
      out.output(CustomerFeatures.builder()
          .setCustomerId(customer.getKey())
          .setFirstSeen(new Instant(a.firstSeen))
          .setLastSeen(new Instant(a.lastSeen))
          .setTenureDays(Math.floorDiv(asOf - a.firstSeen, day))
          .setRecencyDays(bought ? Math.floorDiv(asOf - a.lastPurchase, day) : null)
          .setFrequency(a.frequency)
          .setMonetaryTotal(total)
          .setMonetaryAvg(bought
              ? a.monetary.divide(BigDecimal.valueOf(a.frequency), 2, RoundingMode.HALF_EVEN)
              : null)
          .setPurchases30d(a.purchases30d)
          .setPurchases90d(a.purchases90d)
          .setPurchases180d(a.purchases180d)
          .setPurchases365d(a.purchases365d)
          .setEmailOpens90d(a.emailOpens90d)
          .setEmailClicks90d(a.emailClicks90d)
          .setSiteVisits30d(a.siteVisits30d)
          .setSiteVisits90d(a.siteVisits90d)
          .setCartAbandoned24h(abandoned)
          .build());
    }
  }
}
