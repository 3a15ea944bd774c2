package dev.audiencesegmenter.churn;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What the engagement churn model reads of one customer: the customer's own engagement events
 * (anything but outbound messages) before asOf, reduced to where the customer stood at asOf and
 * {@link #HORIZON_DAYS} days earlier (the reference instant), and whether there was any
 * activity in between. Where a customer stands is a {@link EngagementCell}: days since the
 * last activity and events in the {@link #HORIZON_DAYS} days before.
 */
public final class ActivityHistory {
  /** How long without activity counts as gone quiet, and how far back the model looks. */
  public static final int HORIZON_DAYS = 90;
  static final long DAY_MILLIS = 86_400_000L;
  static final long HORIZON_MILLIS = HORIZON_DAYS * DAY_MILLIS;
  private static final long NONE = Long.MIN_VALUE;

  private final long asOf;
  private long lastActive = NONE;
  private int recentEvents;
  private long lastBeforeReference = NONE;
  private int eventsBeforeReference;

  public ActivityHistory(long asOfMillis) {
    this.asOf = asOfMillis;
  }

  /** As a coder reads it back (see the getters). */
  private static ActivityHistory of(long asOfMillis, long lastActive, int recentEvents,
      long lastBeforeReference, int eventsBeforeReference) {
    ActivityHistory h = new ActivityHistory(asOfMillis);
    h.lastActive = lastActive;
    h.recentEvents = recentEvents;
    h.lastBeforeReference = lastBeforeReference;
    h.eventsBeforeReference = eventsBeforeReference;
    return h;
  }

  /** Adds one engagement event at {@code millis}; events at or after asOf are ignored. */
  public ActivityHistory add(long millis) {
    if (millis >= asOf) {
      return this;
    }
    long reference = asOf - HORIZON_MILLIS;
    lastActive = Math.max(lastActive, millis);
    if (millis >= reference) {
      recentEvents++;
    } else {
      lastBeforeReference = Math.max(lastBeforeReference, millis);
      if (millis >= reference - HORIZON_MILLIS) {
        eventsBeforeReference++;
      }
    }
    return this;
  }

  /** Where the customer stands at asOf; null without any activity before it. */
  public @Nullable EngagementCell atAsOf() {
    return lastActive == NONE ? null
        : EngagementCell.of(Math.floorDiv(asOf - lastActive, DAY_MILLIS), recentEvents);
  }

  /** Where the customer stood at the reference instant; null if not active before it. */
  public @Nullable EngagementCell atReference() {
    return lastBeforeReference == NONE ? null
        : EngagementCell.of(Math.floorDiv(asOf - HORIZON_MILLIS - lastBeforeReference,
            DAY_MILLIS), eventsBeforeReference);
  }

  /** Whether there was activity in [reference, asOf): the customer did not go quiet. */
  public boolean activeSinceReference() {
    return recentEvents > 0;
  }

  public long lastActive() {
    return lastActive;
  }

  public int recentEvents() {
    return recentEvents;
  }

  public long lastBeforeReference() {
    return lastBeforeReference;
  }

  public int eventsBeforeReference() {
    return eventsBeforeReference;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ActivityHistory h && h.asOf == asOf && h.lastActive == lastActive
        && h.recentEvents == recentEvents && h.lastBeforeReference == lastBeforeReference
        && h.eventsBeforeReference == eventsBeforeReference;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(asOf) * 31 + Long.hashCode(lastActive) * 17 + recentEvents;
  }

  public static Coder<ActivityHistory> coder() {
    return HistoryCoder.INSTANCE;
  }

  private static final class HistoryCoder extends AtomicCoder<ActivityHistory> {
    static final HistoryCoder INSTANCE = new HistoryCoder();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    // Times as their distance before asOf (small varints), 0 for none.
    @Override
    public void encode(ActivityHistory h, OutputStream out) throws IOException {
      LONG.encode(h.asOf, out);
      LONG.encode(before(h.asOf, h.lastActive), out);
      INT.encode(h.recentEvents, out);
      LONG.encode(before(h.asOf, h.lastBeforeReference), out);
      INT.encode(h.eventsBeforeReference, out);
    }

    @Override
    public ActivityHistory decode(InputStream in) throws IOException {
      long asOf = LONG.decode(in);
      long lastActive = at(asOf, LONG.decode(in));
      int recent = INT.decode(in);
      return of(asOf, lastActive, recent, at(asOf, LONG.decode(in)), INT.decode(in));
    }

    private static long before(long asOf, long time) {
      return time == NONE ? 0 : asOf - time; // positive: only times before asOf are kept
    }

    private static long at(long asOf, long before) {
      return before == 0 ? NONE : asOf - before;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
