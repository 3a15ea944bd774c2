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
  void anEventTargetStopsAtTheCustomerThatReachesIt(@TempDir Path dir) throws IOException {
    SampleDataGenerator generator = new SampleDataGenerator(42, LocalDate.parse("2024-06-30"));
    SampleDataGenerator.Counts byEvents = generator.writeEvents(dir.resolve("events"), 10_000);
    // Seed 42 (the benchmark's): customer 446 takes the count from under 10,000 to 10,034.
    assertEquals(446, byEvents.customers());
    assertEquals(10_034, byEvents.events());
    SampleDataGenerator.Counts byCustomers = generator.write(dir.resolve("customers"), 446);
    assertEquals(byCustomers, byEvents);
    for (String file : FILES) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("customers").resolve(file)),
          Files.readAllBytes(dir.resolve("events").resolve(file)), file);
    }
  }
}
