package dev.audiencesegmenter.features;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * What is kept per customer while its events are combined: counts, min/max times, exact
 * decimal sums and a few bounded summaries ({@link BoundedDistinct}, {@link TopCounts}), never
 * the events. Every field merges by sum, min, max, bitwise or, or a bounded summary whose merge
 * does not depend on order (see those classes for what happens past their caps), so the result
 * does not depend on how a runner splits and merges the events. Times are epoch milliseconds.
 */
final class FeatureAccumulator {
  static final long NONE = Long.MIN_VALUE;
  static final long NEVER = Long.MAX_VALUE;
  /** Distinct devices, operating systems and interests kept per customer (see TopCounts). */
  static final int DEVICE_CAP = 16;
  static final int INTEREST_CAP = 32;

  long firstSeen = NEVER;
  long lastSeen = NONE;
  long lastPurchase = NONE;
  long lastCartActivity = NONE;
  long frequency;
  BigDecimal monetary = BigDecimal.ZERO;
  long purchases30d;
  long purchases90d;
  long purchases180d;
  long purchases365d;
  long emailOpens90d;
  long emailClicks90d;
  long siteVisits30d;
  long siteVisits90d;

  BigDecimal purchaseRevenue = BigDecimal.ZERO;
  BigDecimal refunds = BigDecimal.ZERO;
  long emailSent90d;
  long pageViews30d;
  long featureUses30d;
  /** Bit i set: key feature i (in the configured order) was used. At most 64 key features. */
  long keyFeaturesUsed;
  /** Engagement events per channel, indexed like {@link EngagementChannel#NAMES}. */
  long[] channelEvents = new long[EngagementChannel.NAMES.size()];
  /** Sum of decayed event weights in millionths: integer sums are exact in any order. */
  long engagementMicros;
  /** Last engagement event (anything but outbound messages). */
  long lastActive = NONE;
  /** Last engagement event before the reactivation window, and first one inside it. */
  long lastActiveBeforeWindow = NONE;
  long firstActiveInWindow = NEVER;
  BoundedDistinct products = new BoundedDistinct();
  BoundedDistinct features = new BoundedDistinct();
  TopCounts devices = new TopCounts(DEVICE_CAP);
  TopCounts oses = new TopCounts(DEVICE_CAP);
  TopCounts interests = new TopCounts(INTEREST_CAP);

  FeatureAccumulator mergeFrom(FeatureAccumulator o) {
    firstSeen = Math.min(firstSeen, o.firstSeen);
    lastSeen = Math.max(lastSeen, o.lastSeen);
    lastPurchase = Math.max(lastPurchase, o.lastPurchase);
    lastCartActivity = Math.max(lastCartActivity, o.lastCartActivity);
    frequency += o.frequency;
    monetary = monetary.add(o.monetary);
    purchases30d += o.purchases30d;
    purchases90d += o.purchases90d;
    purchases180d += o.purchases180d;
    purchases365d += o.purchases365d;
    emailOpens90d += o.emailOpens90d;
    emailClicks90d += o.emailClicks90d;
    siteVisits30d += o.siteVisits30d;
    siteVisits90d += o.siteVisits90d;
    purchaseRevenue = purchaseRevenue.add(o.purchaseRevenue);
    refunds = refunds.add(o.refunds);
    emailSent90d += o.emailSent90d;
    pageViews30d += o.pageViews30d;
    featureUses30d += o.featureUses30d;
    keyFeaturesUsed |= o.keyFeaturesUsed;
    for (int i = 0; i < channelEvents.length; i++) {
      channelEvents[i] += o.channelEvents[i];
    }
    engagementMicros += o.engagementMicros;
    lastActive = Math.max(lastActive, o.lastActive);
    lastActiveBeforeWindow = Math.max(lastActiveBeforeWindow, o.lastActiveBeforeWindow);
    firstActiveInWindow = Math.min(firstActiveInWindow, o.firstActiveInWindow);
    products.mergeFrom(o.products);
    features.mergeFrom(o.features);
    devices.mergeFrom(o.devices);
    oses.mergeFrom(o.oses);
    interests.mergeFrom(o.interests);
    return this;
  }

  /** Varints for counts and times, Beam's coder for exact sums, then the summaries. */
  static final class Coder extends AtomicCoder<FeatureAccumulator> {
    private static final long serialVersionUID = 2L;
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final BigDecimalCoder DECIMAL = BigDecimalCoder.of();

    @Override
    public void encode(FeatureAccumulator a, OutputStream out) throws IOException {
      for (long v : new long[] {a.firstSeen, a.lastSeen, a.lastPurchase, a.lastCartActivity,
          a.frequency, a.purchases30d, a.purchases90d, a.purchases180d, a.purchases365d,
          a.emailOpens90d, a.emailClicks90d, a.siteVisits30d, a.siteVisits90d,
          a.emailSent90d, a.pageViews30d, a.featureUses30d, a.keyFeaturesUsed,
          a.engagementMicros, a.lastActive, a.lastActiveBeforeWindow, a.firstActiveInWindow}) {
        LONG.encode(v, out);
      }
      for (long v : a.channelEvents) {
        LONG.encode(v, out);
      }
      DECIMAL.encode(a.monetary, out);
      DECIMAL.encode(a.purchaseRevenue, out);
      DECIMAL.encode(a.refunds, out);
      DataOutputStream data = new DataOutputStream(out);
      a.products.encode(data);
      a.features.encode(data);
      a.devices.encode(data);
      a.oses.encode(data);
      a.interests.encode(data);
      data.flush();
    }

    @Override
    public FeatureAccumulator decode(InputStream in) throws IOException {
      FeatureAccumulator a = new FeatureAccumulator();
      a.firstSeen = LONG.decode(in);
      a.lastSeen = LONG.decode(in);
      a.lastPurchase = LONG.decode(in);
      a.lastCartActivity = LONG.decode(in);
      a.frequency = LONG.decode(in);
      a.purchases30d = LONG.decode(in);
      a.purchases90d = LONG.decode(in);
      a.purchases180d = LONG.decode(in);
      a.purchases365d = LONG.decode(in);
      a.emailOpens90d = LONG.decode(in);
      a.emailClicks90d = LONG.decode(in);
      a.siteVisits30d = LONG.decode(in);
      a.siteVisits90d = LONG.decode(in);
      a.emailSent90d = LONG.decode(in);
      a.pageViews30d = LONG.decode(in);
      a.featureUses30d = LONG.decode(in);
      a.keyFeaturesUsed = LONG.decode(in);
      a.engagementMicros = LONG.decode(in);
      a.lastActive = LONG.decode(in);
      a.lastActiveBeforeWindow = LONG.decode(in);
      a.firstActiveInWindow = LONG.decode(in);
      for (int i = 0; i < a.channelEvents.length; i++) {
        a.channelEvents[i] = LONG.decode(in);
      }
      a.monetary = DECIMAL.decode(in);
      a.purchaseRevenue = DECIMAL.decode(in);
      a.refunds = DECIMAL.decode(in);
      DataInputStream data = new DataInputStream(in);
      a.products = BoundedDistinct.decode(data);
      a.features = BoundedDistinct.decode(data);
      a.devices = TopCounts.decode(data, DEVICE_CAP);
      a.oses = TopCounts.decode(data, DEVICE_CAP);
      a.interests = TopCounts.decode(data, INTEREST_CAP);
      return a;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
