package dev.audiencesegmenter.io.sources;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where a record's time is and how it is written: ISO-8601 ({@code iso}, read as the native
 * format reads it), a count since the epoch ({@code epoch_seconds}, {@code epoch_millis},
 * {@code epoch_micros}; a number or its text, as BigQuery writes INT64), or a date-time
 * pattern in a zone ({@code pattern: "yyyy-MM-dd HH:mm"}, {@code zone: UTC}).
 */
public final class TimeField implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How the time is written. */
  public enum Unit {
    ISO, EPOCH_SECONDS, EPOCH_MILLIS, EPOCH_MICROS, PATTERN
  }

  private final FieldPath path;
  private final Unit unit;
  private final @Nullable String pattern;
  private final String zone;
  private transient @Nullable DateTimeFormatter formatter;

  private TimeField(FieldPath path, Unit unit, @Nullable String pattern, String zone) {
    this.path = path;
    this.unit = unit;
    this.pattern = pattern;
    this.zone = zone;
  }

  public static TimeField of(FieldPath path, Unit unit) {
    if (unit == Unit.PATTERN) {
      throw new IllegalArgumentException("a pattern time needs its pattern: use pattern(..)");
    }
    return new TimeField(path, unit, null, "UTC");
  }

  /** A time written by {@code pattern} ({@link DateTimeFormatter}) in {@code zone}. */
  public static TimeField pattern(FieldPath path, String pattern, String zone) {
    try {
      formatter(pattern);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("time pattern '" + pattern + "' is not valid: "
          + e.getMessage());
    }
    try {
      ZoneId.of(zone);
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("time zone '" + zone + "' is not known");
    }
    return new TimeField(path, Unit.PATTERN, pattern, zone);
  }

  /**
   * Strict, so that 2024-02-30 is an error rather than the 29th; strict reading wants the
   * proleptic year ({@code u}), which is what people mean by {@code y}.
   */
  private static DateTimeFormatter formatter(String pattern) {
    return DateTimeFormatter.ofPattern(pattern.indexOf('\'') < 0 ? pattern.replace('y', 'u')
        : pattern, Locale.ROOT).withResolverStyle(ResolverStyle.STRICT);
  }

  public FieldPath path() {
    return path;
  }

  public Unit unit() {
    return unit;
  }

  /**
   * The instant of {@code text}, written in this field's unit; throws with a reason for text
   * it cannot read. Not called for {@link Unit#ISO}, which the readers parse themselves.
   */
  public Instant parse(String text) {
    String t = text.strip();
    switch (unit) {
      case PATTERN:
        if (formatter == null) {
          formatter = formatter(pattern);
        }
        try {
          return LocalDateTime.parse(t, formatter).atZone(ZoneId.of(zone)).toInstant();
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException("unparseable time '" + t + "' (expected pattern "
              + pattern + ")");
        }
      case ISO:
        throw new IllegalStateException("ISO times are read by the record readers");
      default:
        BigDecimal count;
        try {
          count = new BigDecimal(t);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("unparseable time '" + t + "' (expected "
              + unit.name().toLowerCase(Locale.ROOT) + ", a number)");
        }
        int scale = unit == Unit.EPOCH_SECONDS ? 0 : unit == Unit.EPOCH_MILLIS ? 3 : 6;
        // Milliseconds are what the project's times hold; finer digits are dropped.
        BigDecimal millis = count.movePointLeft(scale).movePointRight(3)
            .setScale(0, RoundingMode.FLOOR);
        if (millis.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 2)) > 0) {
          throw new IllegalArgumentException("absurd value: time " + t);
        }
        return Instant.ofEpochMilli(millis.longValueExact());
    }
  }

  @Override
  public String toString() {
    return path + " (" + (unit == Unit.PATTERN ? pattern + " " + zone
        : unit.name().toLowerCase(Locale.ROOT)) + ")";
  }
}
