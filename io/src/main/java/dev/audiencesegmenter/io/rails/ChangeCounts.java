package dev.audiencesegmenter.io.rails;

import com.google.auto.value.AutoValue;
import java.io.Serializable;

/**
 * What a run would change at one destination, measured before anything is removed: customers
 * the previous run left there and this run has, and memberships held there and ending.
 */
@AutoValue
public abstract class ChangeCounts implements Serializable {
  private static final long serialVersionUID = 1L;

  public abstract long getPreviousCustomers();

  public abstract long getCurrentCustomers();

  public abstract long getPreviousMemberships();

  public abstract long getEndingMemberships();

  public static ChangeCounts create(long previousCustomers, long currentCustomers,
      long previousMemberships, long endingMemberships) {
    return new AutoValue_ChangeCounts(previousCustomers, currentCustomers, previousMemberships,
        endingMemberships);
  }
}
