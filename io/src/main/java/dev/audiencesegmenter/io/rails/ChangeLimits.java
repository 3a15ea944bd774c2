package dev.audiencesegmenter.io.rails;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import java.util.Locale;

/**
 * The rails on destructive steps: how much a run may remove from a destination (PostgreSQL
 * tables, a CRM or email platform) compared with what the previous run left there. A glob that
 * matches only some files, or input whose every line is dead-lettered, otherwise "succeeds" and
 * removes every customer. A run is refused its deletes and exits when
 * <ul>
 *   <li>it has no customers at all while the last one had some (never allowed), or
 *   <li>customers fall by more than {@link #getMaxCustomerDrop()} (a share of the previous
 *       count), or
 *   <li>more than {@link #getMaxExitShare()} of the memberships the destination holds would
 *       end,
 * </ul>
 * unless {@link #getAllowLargeChanges()}. A refused run still adds and updates; only removals
 * wait until a run is within the limits or is allowed.
 */
@AutoValue
public abstract class ChangeLimits implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final double DEFAULT_MAX_CUSTOMER_DROP = 0.20;
  public static final double DEFAULT_MAX_EXIT_SHARE = 0.20;

  public abstract double getMaxCustomerDrop();

  public abstract double getMaxExitShare();

  public abstract boolean getAllowLargeChanges();

  abstract Builder toBuilder();

  /** 20 % fewer customers and 20 % of memberships ending at most. */
  public static ChangeLimits defaults() {
    return new AutoValue_ChangeLimits.Builder().setMaxCustomerDrop(DEFAULT_MAX_CUSTOMER_DROP)
        .setMaxExitShare(DEFAULT_MAX_EXIT_SHARE).setAllowLargeChanges(false).build();
  }

  public ChangeLimits withMaxCustomerDrop(double share) {
    return toBuilder().setMaxCustomerDrop(checkShare(share, "--maxCustomerDrop")).build();
  }

  public ChangeLimits withMaxExitShare(double share) {
    return toBuilder().setMaxExitShare(checkShare(share, "--maxExitShare")).build();
  }

  /** Lets a run remove more than the limits (never everything for an empty input). */
  public ChangeLimits withAllowLargeChanges(boolean allow) {
    return toBuilder().setAllowLargeChanges(allow).build();
  }

  private static double checkShare(double share, String name) {
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException(name + " must be a share in [0, 1], got " + share);
    }
    return share;
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setMaxCustomerDrop(double share);

    abstract Builder setMaxExitShare(double share);

    abstract Builder setAllowLargeChanges(boolean allow);

    abstract ChangeLimits build();
  }

  /** Decides for {@code destination}; the message says why, with the counts. */
  public Verdict check(String destination, ChangeCounts counts) {
    long before = counts.getPreviousCustomers();
    long now = counts.getCurrentCustomers();
    long held = counts.getPreviousMemberships();
    long ending = counts.getEndingMemberships();
    if (now == 0 && (before > 0 || ending > 0)) {
      return Verdict.of(destination, counts, true, destination + ": this run has no customers "
          + "(the last one had " + before + "): an empty input never removes anything, not "
          + "even with --allowLargeChanges");
    }
    String summary = destination + ": customers " + before + " -> " + now + ", " + ending
        + " of " + held + " memberships ending";
    if (getAllowLargeChanges()) {
      return Verdict.of(destination, counts, false, summary + ": allowed (--allowLargeChanges)");
    }
    if (before > 0 && (before - now) > getMaxCustomerDrop() * before) {
      return Verdict.of(destination, counts, true, destination + ": customers fell from "
          + before + " to " + now + " (" + percent(now - before, before) + "), more than "
          + "--maxCustomerDrop=" + getMaxCustomerDrop() + " allows");
    }
    if (held > 0 && ending > getMaxExitShare() * held) {
      return Verdict.of(destination, counts, true, destination + ": " + ending + " of the "
          + held + " memberships it holds would end (" + percent(ending, held) + "), more "
          + "than --maxExitShare=" + getMaxExitShare() + " allows");
    }
    return Verdict.of(destination, counts, false, summary + ": within the limits");
  }

  private static String percent(long part, long whole) {
    return String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
  }
}
