package dev.audiencesegmenter.features;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.joda.time.Instant;

/**
 * Reads a run's "now" (and the other dates of a run: the previous run's, a holdout's end) the
 * one way every entry point takes it: a date stands for the end of that day in UTC, so that
 * {@code 2024-06-30} includes everything that happened on June 30th; an instant is taken as
 * given. The result is an exclusive bound: events at or after it are ignored.
 *
 * <pre>{@code
 * ComputeCustomerFeatures.create().withAsOf(AsOf.parse("2024-06-30", "asOf"));
 * }</pre>
 */
public final class AsOf {

  private AsOf() {}

  /** {@code value} as an instant; a mistake names {@code setting}, e.g. {@code --asOf}. */
  public static Instant parse(String value, String setting) {
    String text = value == null ? "" : value.trim();
    try {
      if (text.length() == 10) {
        return endOfDay(LocalDate.parse(text));
      }
      return new Instant(java.time.Instant.parse(text).toEpochMilli());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(setting + " must be a date like 2024-06-30 or an "
          + "instant like 2024-06-30T12:00:00Z, got '" + value + "'", e);
    }
  }

  /** The end of {@code day} in UTC: the first instant of the next day. */
  public static Instant endOfDay(LocalDate day) {
    return new Instant(day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli());
  }
}
