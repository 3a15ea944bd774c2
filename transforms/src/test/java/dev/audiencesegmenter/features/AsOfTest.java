package dev.audiencesegmenter.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.LocalDate;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class AsOfTest {

  @Test
  void dateMeansTheEndOfThatDayInUtc() {
    assertEquals(Instant.parse("2024-07-01T00:00:00Z"), AsOf.parse("2024-06-30", "asOf"));
    assertEquals(Instant.parse("2026-11-24T00:00:00Z"),
        AsOf.endOfDay(LocalDate.parse("2026-11-23")));
  }

  @Test
  void instantIsTakenAsGiven() {
    assertEquals(Instant.parse("2024-06-30T12:30:00Z"),
        AsOf.parse("2024-06-30T12:30:00Z", "asOf"));
    assertEquals(Instant.parse("2024-06-30T10:30:00Z"),
        AsOf.parse("2024-06-30T12:30:00+02:00", "asOf"));
  }

  @Test
  void aBadValueIsNamedWithItsSetting() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AsOf.parse("30/06/2024", "--holdoutEnd"));
    assertEquals("--holdoutEnd must be a date like 2024-06-30 or an instant like "
        + "2024-06-30T12:00:00Z, got '30/06/2024'", e.getMessage());
  }
}
