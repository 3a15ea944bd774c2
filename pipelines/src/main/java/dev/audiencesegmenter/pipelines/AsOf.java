package dev.audiencesegmenter.pipelines;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Reads the {@code --asOf} option. A date stands for the end of that day in UTC, so that
 * {@code --asOf=2024-06-30} includes everything that happened on June 30th; an instant is
 * taken as given. The result is an exclusive bound: events at or after it are ignored.
 */
public final class AsOf {

  private AsOf() {}

  public static Instant parse(String value) {
    String text = value.trim();
    try {
      if (text.length() == 10) {
        return new Instant(
            LocalDate.parse(text).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()
                .toEpochMilli());
      }
      return new Instant(java.time.Instant.parse(text).toEpochMilli());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "--asOf must be a date like 2024-06-30 or an instant like 2024-06-30T12:00:00Z, got '"
              + value + "'", e);
    }
  }

  /** The option's instant, or the end of {@code today} when the option is not given. */
  static Instant resolve(@Nullable String value, LocalDate today) {
    return value == null || value.isBlank() ? parse(today.toString()) : parse(value);
  }
}
