package dev.audiencesegmenter.pipelines.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleDataGeneratorTest {
  static final String[] FILES = {"events/shop.jsonl", "events/email.jsonl.gz",
      "events/web.jsonl.gz", "events/app.csv", "profiles/crm.jsonl", "truth/identities.csv"};

  @Test
  void sameSeedWritesTheSameBytes(@TempDir Path dir) throws IOException {
    SampleDataGenerator generator = new SampleDataGenerator(5, LocalDate.parse("2024-06-30"));
    SampleDataGenerator.Counts a = generator.write(dir.resolve("a"), 40);
    SampleDataGenerator.Counts b = generator.write(dir.resolve("b"), 40);
    assertEquals(a, b);
    for (String file : FILES) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(file)),
          Files.readAllBytes(dir.resolve("b").resolve(file)), file);
    }
  }

  @Test
  void aCustomerDoesNotDependOnHowManyAreGenerated(@TempDir Path dir) throws IOException {
    SampleDataGenerator generator = new SampleDataGenerator(5, LocalDate.parse("2024-06-30"));
    generator.write(dir.resolve("small"), 10);
    generator.write(dir.resolve("large"), 30);
    List<String> small = Files.readAllLines(dir.resolve("small/truth/identities.csv"));
    List<String> large = Files.readAllLines(dir.resolve("large/truth/identities.csv"));
    assertEquals(small, large.subList(0, small.size()));
    assertTrue(large.size() > small.size());
  }

  @Test
  void everyCustomerHasAnEmailAndAUserIdInTheTruth(@TempDir Path dir) throws IOException {
    SampleDataGenerator.Counts counts =
        new SampleDataGenerator(9, LocalDate.parse("2024-06-30")).write(dir, 25);
    List<String> truth = Files.readAllLines(dir.resolve("truth/identities.csv"));
    assertEquals(counts.identifiers() + 1, truth.size());
    for (int n = 1; n <= 25; n++) {
      String customer = "t" + n + ",";
      assertTrue(truth.contains(customer + "user_id,u-" + n), "user id of " + n);
      assertEquals(1, truth.stream().filter(l -> l.startsWith(customer + "email,")).count());
    }
  }

  @Test
  void anEventTargetWritesATenthAsManyCustomersWithTheSamePurchasesAndIdentities(
      @TempDir Path dir) throws IOException {
    SampleDataGenerator generator = new SampleDataGenerator(42, LocalDate.parse("2024-06-30"));
    SampleDataGenerator.Counts scaled = generator.writeEvents(dir.resolve("scaled"), 20_000);
    SampleDataGenerator.Counts full = generator.write(dir.resolve("full"), 2_000);
    assertEquals(2_000, scaled.customers());
    // The share is calibrated on 5,000 customers; 2,000 customers of about 10 events each
    // land within 2% of the target.
    assertTrue(Math.abs(scaled.events() - 20_000) < 400, "events: " + scaled.events());
    assertTrue(full.events() > 40_000, "unscaled events: " + full.events());
    // Only engagement is thinned: the people, their purchases and identities are unchanged.
    assertEquals(full.profiles(), scaled.profiles());
    assertEquals(full.identifiers(), scaled.identifiers());
    for (String file : List.of("events/shop.jsonl", "profiles/crm.jsonl",
        "truth/identities.csv")) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("full").resolve(file)),
          Files.readAllBytes(dir.resolve("scaled").resolve(file)), file);
    }
    // Every customer keeps the signup that links its email, user id and first browser.
    long signups;
    try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(
        new java.util.zip.GZIPInputStream(
            Files.newInputStream(dir.resolve("scaled/events/web.jsonl.gz")))))) {
      signups = lines.lines().filter(l -> l.contains("\"type\":\"signup\"")).count();
    }
    assertEquals(2_000, signups);
  }

  @Test
  void aRatioThePersonasCannotGiveIsRefusedWithTheRange(@TempDir Path dir) {
    SampleDataGenerator generator = new SampleDataGenerator(42, LocalDate.parse("2024-06-30"));
    IllegalArgumentException tooMany = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> generator.writeEvents(dir, 100_000, 1_000));
    assertTrue(tooMany.getMessage().startsWith("100.00 events per customer asked; this generator"
        + " writes between "), tooMany.getMessage());
    IllegalArgumentException tooFew = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> generator.writeEvents(dir, 1_000, 1_000));
    assertTrue(tooFew.getMessage().startsWith("1.00 events per customer asked"),
        tooFew.getMessage());
  }

  @Test
  void jsonLinesOnlyWritesTheAppEventsAsTheSameRecordsInJson(@TempDir Path dir)
      throws IOException {
    LocalDate asOf = LocalDate.parse("2024-06-30");
    SampleDataGenerator.Counts csv = new SampleDataGenerator(5, asOf).write(dir.resolve("csv"),
        60);
    SampleDataGenerator.Counts json = new SampleDataGenerator(5, asOf, true)
        .write(dir.resolve("json"), 60);
    assertEquals(csv, json);
    assertTrue(Files.notExists(dir.resolve("json/events/app.csv")));
    for (String file : new String[] {"events/shop.jsonl", "events/email.jsonl.gz",
        "events/web.jsonl.gz", "profiles/crm.jsonl", "truth/identities.csv"}) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("csv").resolve(file)),
          Files.readAllBytes(dir.resolve("json").resolve(file)), file);
    }
    // The readers' records of both files are the same events.
    java.util.Set<dev.audiencesegmenter.model.CustomerEvent> fromCsv = new java.util.HashSet<>(
        dev.audiencesegmenter.io.files.LocalRecords.events(
            dir.resolve("csv/events") + "/app.csv", 1 << 20).records());
    java.util.Set<dev.audiencesegmenter.model.CustomerEvent> fromJson =
        new java.util.HashSet<>(dev.audiencesegmenter.io.files.LocalRecords.events(
            dir.resolve("json/events") + "/app.jsonl", 1 << 20).records());
    assertTrue(fromCsv.size() > 20, "app events: " + fromCsv.size());
    assertEquals(fromCsv, fromJson);
  }
}
