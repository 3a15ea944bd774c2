package dev.audiencesegmenter.churn;

import dev.audiencesegmenter.model.EventTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * One customer's subscription as the sBG model reads it: the latest {@code subscription_start}
 * before asOf and the first {@code subscription_cancel} after it (and before asOf). A renewal
 * falls every period after the start: a customer who cancels in the first period left at
 * renewal 1; one still subscribed at asOf has renewed at every period completed by then.
 *
 * <p>Events may come in any order (a grouping's order is the runner's): every cancellation
 * not before the latest start seen so far is kept, since a later start may arrive and make a
 * later cancellation the one that counts. Earlier cancellations can never count again.
 */
public final class SubscriptionHistory {
  private static final long NONE = Long.MIN_VALUE;

  private final long asOf;
  private long start = NONE;
  /** Cancellations before asOf and not before {@link #start} (all of them while none). */
  private final TreeSet<Long> cancels = new TreeSet<>();

  public SubscriptionHistory(long asOfMillis) {
    this.asOf = asOfMillis;
  }

  /** Adds one event; only subscription starts and cancellations before asOf count. */
  public SubscriptionHistory add(String eventType, long millis) {
    if (millis >= asOf) {
      return this;
    }
    if (EventTypes.SUBSCRIPTION_START.equals(eventType) && millis > start) {
      start = millis;
      cancels.headSet(start).clear(); // cancellations of earlier subscriptions
    } else if (EventTypes.SUBSCRIPTION_CANCEL.equals(eventType) && millis >= start) {
      cancels.add(millis);
    }
    return this;
  }

  /** The cancellation of the latest subscription, or {@link #NONE}. */
  private long cancel() {
    return start == NONE || cancels.isEmpty() ? NONE : cancels.first();
  }

  /** Whether the customer ever subscribed before asOf. */
  public boolean subscribed() {
    return start != NONE;
  }

  /** Subscribed and not cancelled by asOf. */
  public boolean active() {
    return start != NONE && cancels.isEmpty();
  }

  /**
   * For a cancelled subscription, the renewal it ended at (1 for a cancellation in the first
   * period); for an active one, the periods completed by asOf (it renewed at each).
   */
  public int periods(long periodMillis) {
    if (start == NONE) {
      throw new IllegalStateException("no subscription");
    }
    return active() ? Math.toIntExact((asOf - start) / periodMillis)
        : Math.toIntExact((cancel() - start) / periodMillis) + 1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SubscriptionHistory h && h.asOf == asOf && h.start == start
        && h.cancels.equals(cancels);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(start) * 31 + cancels.hashCode();
  }

  public static Coder<SubscriptionHistory> coder() {
    return HistoryCoder.INSTANCE;
  }

  private static final class HistoryCoder extends AtomicCoder<SubscriptionHistory> {
    static final HistoryCoder INSTANCE = new HistoryCoder();
    private static final VarLongCoder LONG = VarLongCoder.of();

    // Most customers never subscribe: a byte says whether a start follows, then the number of
    // cancellations kept and their times.
    @Override
    public void encode(SubscriptionHistory h, OutputStream out) throws IOException {
      LONG.encode(h.asOf, out);
      out.write(h.start == NONE ? 0 : 1);
      if (h.start != NONE) {
        LONG.encode(h.start, out);
      }
      VarIntCoder.of().encode(h.cancels.size(), out);
      for (long cancel : h.cancels) {
        LONG.encode(cancel, out);
      }
    }

    @Override
    public SubscriptionHistory decode(InputStream in) throws IOException {
      SubscriptionHistory h = new SubscriptionHistory(LONG.decode(in));
      int started = in.read();
      if (started < 0 || started > 1) {
        throw new IOException("SubscriptionHistory: bad marker " + started);
      }
      if (started == 1) {
        h.start = LONG.decode(in);
      }
      int cancels = VarIntCoder.of().decode(in);
      for (int i = 0; i < cancels; i++) {
        h.cancels.add(LONG.decode(in));
      }
      return h;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
