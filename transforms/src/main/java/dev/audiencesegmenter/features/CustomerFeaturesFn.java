package dev.audiencesegmenter.features;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
  /** Longer prop values are cut: they are labels, and accumulators must stay small. */
  static final int MAX_LABEL_LENGTH = 200;
  /** Props read as product id (purchases), in this order. */
  static final List<String> PRODUCT_PROPS = List.of("sku", "product_id", "product");
  /** Props read as interests (any engagement event); each names one interest. */
  static final List<String> INTEREST_PROPS = List.of("category", "theme", "topic");

  private final long asOf;
  private final FeatureSettings settings;

  CustomerFeaturesFn(FeatureSettings settings) {
    this.settings = settings;
    this.asOf = settings.asOf();
  }

  @Override
  public FeatureAccumulator createAccumulator() {
    return new FeatureAccumulator();
  }

  @Override
  public FeatureAccumulator addInput(FeatureAccumulator a, CustomerEvent event) {
    long t = event.getEventTime().getMillis();
    String type = event.getEventType();
    Map<String, String> props = event.getProperties();
    a.firstSeen = Math.min(a.firstSeen, t);
    a.lastSeen = Math.max(a.lastSeen, t);
    switch (type) {
      case EventTypes.PURCHASE -> {
        a.frequency++;
        a.lastPurchase = Math.max(a.lastPurchase, t);
        if (event.getRevenue() != null) {
          a.monetary = a.monetary.add(event.getRevenue());
          a.purchaseRevenue = a.purchaseRevenue.add(event.getRevenue());
        }
        a.purchases30d += within(t, 30);
        a.purchases90d += within(t, 90);
        a.purchases180d += within(t, 180);
        a.purchases365d += within(t, 365);
        String product = first(props, PRODUCT_PROPS, false);
        if (product != null) {
          a.products.add(product);
        }
      }
      // Refunds reduce net spend whether the source wrote them negative or positive.
      case EventTypes.REFUND -> {
        if (event.getRevenue() != null) {
          a.monetary = a.monetary.subtract(event.getRevenue().abs());
          a.refunds = a.refunds.add(event.getRevenue().abs());
        }
      }
      case EventTypes.EMAIL_SENT -> a.emailSent90d += within(t, 90);
      case EventTypes.EMAIL_OPEN -> a.emailOpens90d += within(t, 90);
      case EventTypes.EMAIL_CLICK -> a.emailClicks90d += within(t, 90);
      case EventTypes.SITE_VISIT -> {
        a.siteVisits30d += within(t, 30);
        a.siteVisits90d += within(t, 90);
      }
      case EventTypes.PAGE_VIEW -> a.pageViews30d += within(t, 30);
      case EventTypes.FEATURE_USE -> {
        a.featureUses30d += within(t, 30);
        String feature = label(props.get("feature"), false);
        if (feature != null) {
          a.features.add(feature);
          int key = settings.keyFeatures().indexOf(feature);
          if (key >= 0) {
            a.keyFeaturesUsed |= 1L << key;
          }
        }
      }
      case EventTypes.CART_ADD, EventTypes.CHECKOUT_START ->
          a.lastCartActivity = Math.max(a.lastCartActivity, t);
      default -> { }
    }
    Double weight = settings.weights().get(type);
    if (weight != null && weight > 0) {
      // Integer millionths: a sum of longs is the same in any order, a sum of doubles is not;
      // StrictMath gives the same bits on every JVM.
      double decay = StrictMath.pow(0.5, (double) (asOf - t) / settings.halfLifeMillis());
      a.engagementMicros += Math.round(weight * decay * 1e6);
    }
    if (!EventTypes.isOutbound(type)) {
      addEngagement(a, event, t, props);
    }
    return a;
  }

  /** What only the customer's own actions say: channel, activity times, devices, interests. */
  private void addEngagement(FeatureAccumulator a, CustomerEvent event, long t,
      Map<String, String> props) {
    int channel = EngagementChannel.of(event);
    if (channel >= 0) {
      a.channelEvents[channel]++;
    }
    a.lastActive = Math.max(a.lastActive, t);
    if (t >= asOf - settings.reactivationWindowMillis()) {
      a.firstActiveInWindow = Math.min(a.firstActiveInWindow, t);
    } else {
      a.lastActiveBeforeWindow = Math.max(a.lastActiveBeforeWindow, t);
    }
    String device = label(props.get("device"), true);
    if (device != null) {
      a.devices.add(device);
    }
    String os = label(props.get("os"), true);
    if (os != null) {
      a.oses.add(os);
    }
    for (String prop : INTEREST_PROPS) {
      String interest = label(props.get(prop), true);
      if (interest != null) {
        a.interests.add(interest);
      }
    }
  }

  private static String first(Map<String, String> props, List<String> names, boolean lower) {
    for (String name : names) {
      String v = label(props.get(name), lower);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  /** Trimmed, cut to {@link #MAX_LABEL_LENGTH}, optionally lower-cased; null when blank. */
  static String label(String raw, boolean lower) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    String v = raw.trim();
    if (v.length() > MAX_LABEL_LENGTH) {
      v = v.substring(0, MAX_LABEL_LENGTH);
    }
    return lower ? v.toLowerCase(Locale.ROOT) : v;
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
