package dev.audiencesegmenter.features;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;

/**
 * Folds one customer's events (all before asOf) into a {@link FeatureAccumulator}. The
 * windows of N days are {@code [asOf - N days, asOf)}.
 */
final class CustomerFeaturesFn
    extends Combine.CombineFn<CustomerEvent, FeatureAccumulator, FeatureAccumulator> {
  static final long DAY = 86_400_000L;

  private final long asOf;

  CustomerFeaturesFn(long asOfMillis) {
    this.asOf = asOfMillis;
  }

  @Override
  public FeatureAccumulator createAccumulator() {
    return new FeatureAccumulator();
  }

  @Override
  public FeatureAccumulator addInput(FeatureAccumulator a, CustomerEvent event) {
    long t = event.getEventTime().getMillis();
    a.firstSeen = Math.min(a.firstSeen, t);
    a.lastSeen = Math.max(a.lastSeen, t);
    switch (event.getEventType()) {
      case EventTypes.PURCHASE -> {
        a.frequency++;
        a.lastPurchase = Math.max(a.lastPurchase, t);
        if (event.getRevenue() != null) {
          a.monetary = a.monetary.add(event.getRevenue());
        }
        a.purchases30d += within(t, 30);
        a.purchases90d += within(t, 90);
        a.purchases180d += within(t, 180);
        a.purchases365d += within(t, 365);
      }
      // Refunds reduce net spend whether the source wrote them negative or positive.
      case EventTypes.REFUND -> {
        if (event.getRevenue() != null) {
          a.monetary = a.monetary.subtract(event.getRevenue().abs());
        }
      }
      case EventTypes.EMAIL_OPEN -> a.emailOpens90d += within(t, 90);
      case EventTypes.EMAIL_CLICK -> a.emailClicks90d += within(t, 90);
      case EventTypes.SITE_VISIT -> {
        a.siteVisits30d += within(t, 30);
        a.siteVisits90d += within(t, 90);
      }
      case EventTypes.CART_ADD, EventTypes.CHECKOUT_START ->
          a.lastCartActivity = Math.max(a.lastCartActivity, t);
      default -> { }
    }
    return a;
  }

  private int within(long t, int days) {
    return t >= asOf - days * DAY ? 1 : 0;
  }

  @Override
  public FeatureAccumulator mergeAccumulators(Iterable<FeatureAccumulator> accumulators) {
    FeatureAccumulator merged = new FeatureAccumulator();
    for (FeatureAccumulator a : accumulators) {
      merged.mergeFrom(a);
    }
    return merged;
  }

  @Override
  public FeatureAccumulator extractOutput(FeatureAccumulator a) {
    return a;
  }

  @Override
  public Coder<FeatureAccumulator> getAccumulatorCoder(
      CoderRegistry registry, Coder<CustomerEvent> inputCoder) {
    return new FeatureAccumulator.Coder();
  }

  @Override
  public Coder<FeatureAccumulator> getDefaultOutputCoder(
      CoderRegistry registry, Coder<CustomerEvent> inputCoder)
      throws CannotProvideCoderException {
    return new FeatureAccumulator.Coder();
  }
}
