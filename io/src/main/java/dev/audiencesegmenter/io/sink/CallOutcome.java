package dev.audiencesegmenter.io.sink;

import java.time.Duration;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How a vendor answered a {@link VendorCall}: accepted (possibly with some records rejected),
 * a transient failure worth retrying (with the delay the vendor asked for, if any), or a
 * permanent failure of the whole request.
 */
public final class CallOutcome {
  public enum Kind { ACCEPTED, TRANSIENT, PERMANENT }

  private final Kind kind;
  private final String message;
  private final Map<Integer, String> rejected;
  private final @Nullable Duration retryAfter;
  private final boolean throttled;

  private CallOutcome(Kind kind, String message, Map<Integer, String> rejected,
      @Nullable Duration retryAfter, boolean throttled) {
    this.kind = kind;
    this.message = message;
    this.rejected = rejected;
    this.retryAfter = retryAfter;
    this.throttled = throttled;
  }

  /** Every record accepted. */
  public static CallOutcome accepted() {
    return new CallOutcome(Kind.ACCEPTED, "", Map.of(), null, false);
  }

  /**
   * Accepted, except the records at the given positions of {@link VendorCall#records()}, each
   * with the vendor's message.
   */
  public static CallOutcome partial(Map<Integer, String> rejectedByIndex) {
    return new CallOutcome(Kind.ACCEPTED, "", Map.copyOf(rejectedByIndex), null, false);
  }

  /** Retry later; {@code throttled} when the vendor said we went too fast (429 and kin). */
  public static CallOutcome retry(String message, @Nullable Duration retryAfter,
      boolean throttled) {
    return new CallOutcome(Kind.TRANSIENT, message, Map.of(), retryAfter, throttled);
  }

  public static CallOutcome fail(String message) {
    return new CallOutcome(Kind.PERMANENT, message, Map.of(), null, false);
  }

  public Kind kind() {
    return kind;
  }

  public String message() {
    return message;
  }

  public Map<Integer, String> rejected() {
    return rejected;
  }

  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  public boolean throttled() {
    return throttled;
  }
}
