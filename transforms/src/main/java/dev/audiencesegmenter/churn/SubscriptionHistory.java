package dev.audiencesegmenter.churn;

import dev.audiencesegmenter.model.EventTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * One customer's subscription as the sBG model reads it: the latest {@code subscription_start}
 * before asOf and the first {@code subscription_cancel} after it (and before asOf). A renewal
 * falls every period after the start: a customer who cancels in the first period left at
 * renewal 1; one still subscribed at asOf has renewed at every period completed by then.
 */
public final class SubscriptionHistory {
  private static final long NONE = Long.MIN_VALUE;

  private final long asOf;
  private long start = NONE;
  private long cancel = NONE;

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
      if (cancel != NONE && cancel < start) {
        cancel = NONE; // a cancellation of an earlier subscription
      }
    } else if (EventTypes.SUBSCRIPTION_CANCEL.equals(eventType) && millis >= start
        && (cancel == NONE || millis < cancel)) {
      cancel = millis;
    }
    return this;
  }

  /** Whether the customer ever subscribed before asOf. */
  public boolean subscribed() {
    return start != NONE;
  }

  /** Subscribed and not cancelled by asOf. */
  public boolean active() {
    return start != NONE && cancel == NONE;
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
        : Math.toIntExact((cancel - start) / periodMillis) + 1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SubscriptionHistory h && h.asOf == asOf && h.start == start
        && h.cancel == cancel;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(start) * 31 + Long.hashCode(cancel);
  }

  public static Coder<SubscriptionHistory> coder() {
    return HistoryCoder.INSTANCE;
  }

  private static final class HistoryCoder extends AtomicCoder<SubscriptionHistory> {
    static final HistoryCoder INSTANCE = new HistoryCoder();
    private static final VarLongCoder LONG = VarLongCoder.of();

    // Most customers never subscribe: one byte says which times follow.
    @Override
    public void encode(SubscriptionHistory h, OutputStream out) throws IOException {
      LONG.encode(h.asOf, out);
      out.write(h.start == NONE ? 0 : h.cancel == NONE ? 1 : 2);
      if (h.start != NONE) {
        LONG.encode(h.start, out);
      }
      if (h.cancel != NONE) {
        LONG.encode(h.cancel, out);
      }
    }

    @Override
    public SubscriptionHistory decode(InputStream in) throws IOException {
      SubscriptionHistory h = new SubscriptionHistory(LONG.decode(in));
      int times = in.read();
      if (times < 0 || times > 2) {
        throw new IOException("SubscriptionHistory: bad marker " + times);
      }
      if (times >= 1) {
        h.start = LONG.decode(in);
      }
      if (times == 2) {
        h.cancel = LONG.decode(in);
      }
      return h;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
