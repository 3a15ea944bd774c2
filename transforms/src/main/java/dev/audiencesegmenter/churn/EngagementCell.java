package dev.audiencesegmenter.churn;

import java.util.List;

/**
 * Where a customer stands at an instant, as the engagement churn model groups customers: days
 * since the last activity (under 7, 7 to 29, 30 to 89, 90 or more) and engagement events in the
 * 90 days before (none, 1, 2 to 4, 5 or more). Sixteen cells, numbered recency-major; the
 * combinations that cannot happen (activity in the last 90 days but no event in them) stay
 * empty.
 */
public record EngagementCell(int recency, int events) {
  static final int COUNT = 16;
  static final List<String> RECENCY = List.of("0-6d", "7-29d", "30-89d", "90d+");
  static final List<String> EVENTS = List.of("0", "1", "2-4", "5+");

  /** The cell of a customer last active {@code daysSinceLast} days ago. */
  public static EngagementCell of(long daysSinceLast, int eventsInHorizon) {
    int r = daysSinceLast < 7 ? 0 : daysSinceLast < 30 ? 1 : daysSinceLast < 90 ? 2 : 3;
    int e = eventsInHorizon == 0 ? 0 : eventsInHorizon == 1 ? 1 : eventsInHorizon < 5 ? 2 : 3;
    return new EngagementCell(r, e);
  }

  int index() {
    return recency * EVENTS.size() + events;
  }

  /** For example {@code 7-29d/2-4}. */
  public String label() {
    return RECENCY.get(recency) + "/" + EVENTS.get(events);
  }
}
