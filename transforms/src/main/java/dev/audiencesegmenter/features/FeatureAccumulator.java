package dev.audiencesegmenter.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * What is kept per customer while its events are combined: a fixed handful of numbers, never
 * the events. Every field merges by sum, min or max, so the result does not depend on how a
 * runner splits and merges the events. Times are epoch milliseconds.
 */
final class FeatureAccumulator {
  static final long NONE = Long.MIN_VALUE;

  long firstSeen = Long.MAX_VALUE;
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
    return this;
  }

  /** Fixed-layout coder: varints for counts and times, Beam's coder for the exact sum. */
  static final class Coder extends CustomCoder<FeatureAccumulator> {
    private static final long serialVersionUID = 1L;
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final BigDecimalCoder DECIMAL = BigDecimalCoder.of();

    // Runners compare coders (Flink's union does): all instances are interchangeable.
    @Override
    public boolean equals(Object other) {
      return other instanceof Coder;
    }

    @Override
    public int hashCode() {
      return Coder.class.hashCode();
    }

    @Override
    public void encode(FeatureAccumulator a, OutputStream out) throws IOException {
      for (long v : new long[] {a.firstSeen, a.lastSeen, a.lastPurchase, a.lastCartActivity,
          a.frequency, a.purchases30d, a.purchases90d, a.purchases180d, a.purchases365d,
          a.emailOpens90d, a.emailClicks90d, a.siteVisits30d, a.siteVisits90d}) {
        LONG.encode(v, out);
      }
      DECIMAL.encode(a.monetary, out);
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
      a.monetary = DECIMAL.decode(in);
      return a;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
