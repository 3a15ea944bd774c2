package dev.audiencesegmenter.io.rails;

import com.google.auto.value.AutoValue;
import java.io.Serializable;

/** Whether a run may remove what it would remove at a destination, and why (for the log). */
@AutoValue
public abstract class Verdict implements Serializable {
  private static final long serialVersionUID = 1L;

  public abstract String getDestination();

  public abstract ChangeCounts getCounts();

  public abstract boolean isRefused();

  public abstract String getMessage();

  static Verdict of(String destination, ChangeCounts counts, boolean refused, String message) {
    return new AutoValue_Verdict(destination, counts, refused, message);
  }
}
