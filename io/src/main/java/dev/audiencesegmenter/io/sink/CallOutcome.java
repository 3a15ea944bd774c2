package dev.audiencesegmenter.io.sink;

import java.time.Duration;
import java.util.List;
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
  private final List<VendorCall> followUps;
  private final Duration followUpDelay;
  private final boolean causedByRecords;

  private CallOutcome(Kind kind, String message, Map<Integer, String> rejected,
      @Nullable Duration retryAfter, boolean throttled) {
    this(kind, message, rejected, retryAfter, throttled, List.of(), Duration.ZERO);
  }

  private CallOutcome(Kind kind, String message, Map<Integer, String> rejected,
      @Nullable Duration retryAfter, boolean throttled, List<VendorCall> followUps,
      Duration followUpDelay) {
    this(kind, message, rejected, retryAfter, throttled, followUps, followUpDelay, false);
  }

  private CallOutcome(Kind kind, String message, Map<Integer, String> rejected,
      @Nullable Duration retryAfter, boolean throttled, List<VendorCall> followUps,
      Duration followUpDelay, boolean causedByRecords) {
    this.kind = kind;
    this.causedByRecords = causedByRecords;
    this.message = message;
    this.rejected = rejected;
    this.retryAfter = retryAfter;
    this.throttled = throttled;
    this.followUps = followUps;
    this.followUpDelay = followUpDelay;
  }

  /**
   * Accepted so far (except the records in {@code rejectedByIndex}), and the work goes on with
   * {@code next}, sent in order after {@code delay}: the steps of an asynchronous job (upload,
   * close, poll, fetch results) or calls that need ids from this answer (list membership). A
   * record is sent when every call that carries it, follow-ups included, succeeded.
   */
  public static CallOutcome then(Map<Integer, String> rejectedByIndex, List<VendorCall> next,
      Duration delay) {
    return new CallOutcome(Kind.ACCEPTED, "", Map.copyOf(rejectedByIndex), null, false,
        List.copyOf(next), delay);
  }

  /** Accepted so far; ask again with {@code poll} after {@code delay} (a job still running). */
  public static CallOutcome pollAgain(VendorCall poll, Duration delay) {
    return then(Map.of(), List.of(poll), delay);
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

  /**
   * The vendor refused the whole request because of some records in it (an invalid email in a
   * batch it validates as a whole): nothing was stored. The records at the positions of
   * {@code culpritsByIndex} (when the answer names them) are dead-lettered with their message,
   * and the others are sent again in the same run, without them; when the answer names none,
   * the sink halves the batch until the bad records stand alone. A request of one record is
   * that record's rejection.
   */
  public static CallOutcome refusedForRecords(String message,
      Map<Integer, String> culpritsByIndex) {
    return new CallOutcome(Kind.PERMANENT, message, Map.copyOf(culpritsByIndex), null, false,
        List.of(), Duration.ZERO, true);
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

  /**
   * Records rejected by position: in an accepted call, those the vendor refused on their own;
   * in a call {@link #causedByRecords() refused for records}, the ones it named.
   */
  public Map<Integer, String> rejected() {
    return rejected;
  }

  /** Whether a refusal of the whole request was caused by records in it (see {@link #refusedForRecords}). */
  public boolean causedByRecords() {
    return causedByRecords;
  }

  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  public boolean throttled() {
    return throttled;
  }

  /** Calls to send after this one, in order (see {@link #then}). */
  public List<VendorCall> followUps() {
    return followUps;
  }

  public Duration followUpDelay() {
    return followUpDelay;
  }
}
