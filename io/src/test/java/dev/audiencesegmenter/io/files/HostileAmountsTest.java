package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, item 10: amounts whose exponent or scale is out of range are dead letters. Before,
 * {@code 1e999999999} was formatted in full (a billion digits) for its rejection message,
 * {@code 1e-999999999} was accepted and broke the sums later, and {@code 1e9999999999} (beyond
 * BigDecimal) threw out of the reader.
 */
class HostileAmountsTest {
  private static final LineParser<CustomerEvent> EVENTS = LineParser.customerEvents(1 << 20);

  private static String event(String revenue) {
    return "{\"source\":\"shop\",\"id\":\"o-1\",\"type\":\"purchase\","
        + "\"time\":\"2024-03-01T12:00:00Z\",\"ids\":{\"email\":\"a@b.c\"},\"revenue\":"
        + revenue + "}";
  }

  private static String reason(String line) {
    // Preemptive: on the old code the first case formats a billion digits.
    return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(
        BadRecordException.class, () -> EVENTS.parse(line, null)).getMessage());
  }

  @Test
  void hugeExponentIsRejectedWithoutFormattingTheNumber() {
    assertEquals("absurd value: revenue 1E+999999999 is beyond +/-1,000,000,000",
        reason(event("1e999999999")));
  }

  @Test
  void exponentBeyondBigDecimalIsRejectedNotThrown() {
    assertEquals("absurd value: revenue has an exponent out of range",
        reason(event("1e9999999999")));
  }

  @Test
  void tinyExponentsAreRejected() {
    assertEquals("absurd value: revenue 1E-999999999 has more than 18 decimal places",
        reason(event("1e-999999999")));
    assertEquals("absurd value: revenue 0E-999999999 has more than 18 decimal places",
        reason(event("0e-999999999")));
    assertEquals("absurd value: revenue 0E+999999999 has an exponent beyond 9",
        reason(event("0e999999999")));
  }

  @Test
  void ordinaryAmountsKeepTheirTextAndLimits() throws BadRecordException {
    assertEquals(new BigDecimal("42.50"), EVENTS.parse(event("42.50"), null).getRevenue());
    assertEquals(new BigDecimal("1E+9"), EVENTS.parse(event("1e9"), null).getRevenue());
    assertEquals(new BigDecimal("0.000000000000000001"),
        EVENTS.parse(event("0.000000000000000001"), null).getRevenue());
    assertEquals("absurd value: revenue 5000000000000 is beyond +/-1,000,000,000",
        reason(event("5e12")));
    assertEquals("absurd value: revenue 1000000000.5 is beyond +/-1,000,000,000",
        reason(event("1000000000.5")));
  }

  @Test
  void csvCellsGetTheSameChecks(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("e.csv"), "source,id,type,time,ids.email,revenue\n"
        + "shop,1,purchase,2024-03-01T12:00:00Z,a@b.c,1e999999999\n"
        + "shop,2,purchase,2024-03-01T12:00:00Z,a@b.c,1e-999999999\n"
        + "shop,3,purchase,2024-03-01T12:00:00Z,a@b.c,19.99\n");
    LocalRecords<CustomerEvent> read = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> LocalRecords.events(dir + "/*.csv", 1 << 20));
    assertEquals(List.of(new BigDecimal("19.99")),
        read.records().stream().map(CustomerEvent::getRevenue).collect(Collectors.toList()));
    assertEquals(List.of(
            "absurd value: revenue 1E+999999999 is beyond +/-1,000,000,000",
            "absurd value: revenue 1E-999999999 has more than 18 decimal places"),
        read.deadLetters().stream().map(DeadLetter::getReason).collect(Collectors.toList()));
  }
}
