package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class AsOfTest {

  @Test
  void dateMeansTheEndOfThatDayInUtc() {
    assertEquals(Instant.parse("2024-07-01T00:00:00Z"), AsOf.parse("2024-06-30"));
  }

  @Test
  void instantIsTakenAsGiven() {
    assertEquals(Instant.parse("2024-06-30T12:30:00Z"), AsOf.parse("2024-06-30T12:30:00Z"));
    assertEquals(Instant.parse("2024-06-30T10:30:00Z"), AsOf.parse("2024-06-30T12:30:00+02:00"));
  }

  @Test
  void missingOptionFallsBackToTheEndOfToday() {
    assertEquals(Instant.parse("2026-11-24T00:00:00Z"),
        AsOf.resolve(null, LocalDate.parse("2026-11-23")));
  }

  @Test
  void badValueIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AsOf.parse("30/06/2024"));
    assertTrue(e.getMessage().contains("'30/06/2024'"), e.getMessage());
  }
}
