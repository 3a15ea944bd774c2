package dev.audiencesegmenter.io.activation;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What one destination receives: which segments (default every one), which of them are
 * add-only (members who leave are not taken out there; default none: every segment mirrors,
 * members who leave are removed), and whether customers in none of them are sent too (default
 * no: segment members only). Consent withdrawals take a customer out of every segment whatever
 * the mode: a customer who withdrew must not stay on a list.
 */
@AutoValue
public abstract class Routing implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The segments sent there; null: every segment. */
  public abstract @Nullable Set<String> getSegments();

  /** Segments whose leavers stay at the destination. */
  public abstract Set<String> getAddOnlySegments();

  /** Whether every reachable customer is sent, in a segment or not. */
  public abstract boolean getEveryone();

  abstract Builder toBuilder();

  /** Every segment, mirrored, to segment members only: what a destination got before routing. */
  public static Routing all() {
    return new AutoValue_Routing.Builder().setAddOnlySegments(Set.of()).setEveryone(false)
        .build();
  }

  /** Only these segments go there (their members; others are not sent). */
  public Routing withSegments(Set<String> segments) {
    if (segments == null) {
      throw new IllegalArgumentException("Routing: the segments must not be null");
    }
    return toBuilder().setSegments(Set.copyOf(new TreeSet<>(segments))).build();
  }

  /** Members who leave these segments are not taken out of them there. */
  public Routing withAddOnlySegments(Set<String> segments) {
    if (segments == null) {
      throw new IllegalArgumentException("Routing: the add-only segments must not be null");
    }
    if (getSegments() != null && !getSegments().containsAll(segments)) {
      Set<String> unknown = new TreeSet<>(segments);
      unknown.removeAll(getSegments());
      throw new IllegalArgumentException("Routing: add-only segments " + unknown
          + " are not among the segments sent there " + new TreeSet<>(getSegments()));
    }
    return toBuilder().setAddOnlySegments(Set.copyOf(segments)).build();
  }

  /** Every reachable customer is sent, not only segment members. */
  public Routing withEveryone(boolean everyone) {
    return toBuilder().setEveryone(everyone).build();
  }

  /** For display data: {@code segments: a, b; add-only: b; receives: members}. */
  public String describe() {
    return "segments: " + (getSegments() == null ? "all" : String.join(", ",
        new TreeSet<>(getSegments())))
        + (getAddOnlySegments().isEmpty() ? "" : "; add-only: " + String.join(", ",
            new TreeSet<>(getAddOnlySegments())))
        + "; receives: " + (getEveryone() ? "everyone" : "members");
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSegments(@Nullable Set<String> segments);

    abstract Builder setAddOnlySegments(Set<String> segments);

    abstract Builder setEveryone(boolean everyone);

    abstract Routing build();
  }

  /** Keeps the routed segments of each update (current and entered). */
  static final class KeepRoutedSegments extends DoFn<ContactUpdate, ContactUpdate> {
    private final Set<String> segments;

    KeepRoutedSegments(Set<String> segments) {
      this.segments = segments;
    }

    @ProcessElement
    public void process(@Element ContactUpdate update, OutputReceiver<ContactUpdate> out) {
      out.output(update.toBuilder().setSegmentsCurrent(routed(update.getSegmentsCurrent()))
          .setSegmentsEntered(routed(update.getSegmentsEntered())).build());
    }

    private List<String> routed(List<String> all) {
      List<String> kept = new ArrayList<>();
      for (String segment : all) {
        if (segments.contains(segment)) {
          kept.add(segment);
        }
      }
      return kept;
    }
  }

  /**
   * Takes the add-only segments out of each change's exits; a change left with nothing to do
   * (an exit from add-only segments only) is not sent. Withdrawals keep every exit.
   */
  static final class KeepAddOnlyMembers extends DoFn<ContactUpdate, ContactUpdate> {
    private final Set<String> addOnly;
    private final Counter kept = Metrics.counter(Routing.class, "add_only_exits_kept");

    KeepAddOnlyMembers(Set<String> addOnly) {
      this.addOnly = addOnly;
    }

    @ProcessElement
    public void process(@Element ContactUpdate update, OutputReceiver<ContactUpdate> out) {
      if (update.getWithdrawn() || update.getSmsWithdrawn() || update.getPushWithdrawn()) {
        out.output(update);
        return;
      }
      List<String> exits = new ArrayList<>();
      for (String segment : update.getSegmentsExited()) {
        if (addOnly.contains(segment)) {
          kept.inc();
        } else {
          exits.add(segment);
        }
      }
      if (exits.size() == update.getSegmentsExited().size()) {
        out.output(update);
      } else if (!update.getExitOnly() || !exits.isEmpty()) {
        out.output(update.toBuilder().setSegmentsExited(exits).build());
      }
    }
  }
}
