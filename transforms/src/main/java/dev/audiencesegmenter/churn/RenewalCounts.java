package dev.audiencesegmenter.churn;

import dev.audiencesegmenter.clv.ClvFitException;
import dev.audiencesegmenter.clv.ShiftedBetaGeometricModel;
import dev.audiencesegmenter.grouping.TallyFn;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The sufficient statistics of the sBG model over subscribers who started at different times:
 * per renewal t, how many cancelled at it and how many are still subscribed after t periods.
 * Counts merge by addition, in any order.
 */
public final class RenewalCounts implements Serializable {
  private static final long serialVersionUID = 1L;

  private long[] cancelledAt = new long[0];
  private long[] activeAfter = new long[0];

  /** Counts one subscriber (one who never subscribed is left out). */
  public RenewalCounts add(SubscriptionHistory history, long periodMillis) {
    if (history.subscribed()) {
      int t = history.periods(periodMillis);
      if (history.active()) {
        activeAfter = increment(activeAfter, t, 1);
      } else {
        cancelledAt = increment(cancelledAt, t, 1);
      }
    }
    return this;
  }

  public RenewalCounts merge(RenewalCounts other) {
    for (int t = 0; t < other.cancelledAt.length; t++) {
      cancelledAt = increment(cancelledAt, t, other.cancelledAt[t]);
    }
    for (int t = 0; t < other.activeAfter.length; t++) {
      activeAfter = increment(activeAfter, t, other.activeAfter[t]);
    }
    return this;
  }

  private static long[] increment(long[] counts, int t, long by) {
    long[] out = t < counts.length ? counts : Arrays.copyOf(counts, t + 1);
    out[t] += by;
    return out;
  }

  /** The sBG fit, or null when the counts cannot support one (nobody cancelled). */
  public @Nullable ShiftedBetaGeometricModel fit() {
    try {
      return ShiftedBetaGeometricModel.fitCensored(cancelledAt, activeAfter);
    } catch (ClvFitException e) {
      return null;
    }
  }

  public long[] cancelledAt() {
    return cancelledAt.clone();
  }

  public long[] activeAfter() {
    return activeAfter.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RenewalCounts r && Arrays.equals(trim(cancelledAt), trim(r.cancelledAt))
        && Arrays.equals(trim(activeAfter), trim(r.activeAfter));
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(trim(cancelledAt)) * 31 + Arrays.hashCode(trim(activeAfter));
  }

  private static long[] trim(long[] counts) {
    int n = counts.length;
    while (n > 0 && counts[n - 1] == 0) {
      n--;
    }
    return Arrays.copyOf(counts, n);
  }

  /** Adds subscribers up, with renewals every {@code periodMillis}. */
  public static Combine.CombineFn<SubscriptionHistory, RenewalCounts, RenewalCounts> count(
      long periodMillis) {
    return TallyFn.of(RenewalCounts::new, (counts, history) -> counts.add(history, periodMillis),
        RenewalCounts::merge, CountsCoder.INSTANCE);
  }

  public static Coder<RenewalCounts> coder() {
    return CountsCoder.INSTANCE;
  }

  private static final class CountsCoder extends AtomicCoder<RenewalCounts> {
    static final CountsCoder INSTANCE = new CountsCoder();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(RenewalCounts c, OutputStream out) throws IOException {
      for (long[] counts : new long[][] {c.cancelledAt, c.activeAfter}) {
        INT.encode(counts.length, out);
        for (long n : counts) {
          LONG.encode(n, out);
        }
      }
    }

    @Override
    public RenewalCounts decode(InputStream in) throws IOException {
      RenewalCounts c = new RenewalCounts();
      c.cancelledAt = read(in);
      c.activeAfter = read(in);
      return c;
    }

    private static long[] read(InputStream in) throws IOException {
      long[] counts = new long[INT.decode(in)];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = LONG.decode(in);
      }
      return counts;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
