package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17, item 13: line length is enforced while reading. A gzip bomb of one line (2.3 GB
 * once decompressed, 2.3 MB on disk) used to be read into one string (TextIO, and
 * BufferedReader in LocalRecords) and ran the worker out of memory; now it is one dead letter
 * with its start and its length, and the other lines are read. Lines of ordinary files are the
 * same as TextIO's, whole or in ranges.
 */
@ExtendWith(TestPipelineExtension.class)
class BoundedLineReadingTest {
  private static final String GOOD = ReadCustomerEventsTest.GOOD_2;
  private static final int MEMBER_BYTES = 16 << 20;
  private static final int MEMBERS = 140;
  private static final long BOMB_BYTES = (long) MEMBER_BYTES * MEMBERS;

  /** One line of 'x' without a newline: the same gzip member, many times (still one stream). */
  private static void writeBomb(Path file) throws IOException {
    ByteArrayOutputStream member = new ByteArrayOutputStream();
    try (OutputStream gzip = new GZIPOutputStream(member)) {
      byte[] xs = new byte[1 << 20];
      Arrays.fill(xs, (byte) 'x');
      for (int i = 0; i < MEMBER_BYTES / xs.length; i++) {
        gzip.write(xs);
      }
    }
    byte[] bytes = member.toByteArray();
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int i = 0; i < MEMBERS; i++) {
        out.write(bytes);
      }
    }
  }

  private static final String BOMB_RECORD = "x".repeat(1024) + "... [" + BOMB_BYTES + " bytes]";

  @Test
  void aGzipBombIsOneDeadLetterAndTheRestIsRead(TestPipeline p, @TempDir Path dir)
      throws IOException {
    Files.writeString(dir.resolve("good.jsonl"), GOOD + "\n");
    writeBomb(dir.resolve("bomb.jsonl.gz"));
    ReadResult<CustomerEvent> read = p.apply(
        ReadCustomerEvents.from(dir + "/*").withMaxLineBytes(1024));
    PAssert.that(read.getRecords()).containsInAnyOrder(CustomerEvent.builder()
        .setSource("web").setSourceRecordId("v-1").setEventType("site_visit")
        .setEventTime(Instant.parse("2024-03-02T06:30:00Z"))
        .setIdentifiers(Map.of("anonymous_id", "a1")).build());
    PAssert.that(read.getDeadLetters().apply(MapElements.into(TypeDescriptors.strings())
            .via(d -> d.getStep() + "|" + d.getReason() + "|" + d.getRecord())))
        .containsInAnyOrder("ReadEvents/Parse|line longer than 1024 bytes|" + BOMB_RECORD);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    assertEquals(2, ReadCustomerEventsTest.counter(result, "lines_read"));
    assertEquals(1, ReadCustomerEventsTest.counter(result, "records_parsed"));
    assertEquals(1, ReadCustomerEventsTest.counter(result, "dead_lettered"));
  }

  /** A CSV file whose third row opens a quote that the 2.3 GB after it never closes. */
  private static void writeCsvBomb(Path file) throws IOException {
    writeBomb(file);
    byte[] bomb = Files.readAllBytes(file);
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    try (OutputStream gzip = new GZIPOutputStream(head)) {
      gzip.write(("source,id,type,time,ids.anonymous_id\n"
          + "web,c-1,site_visit,2024-03-02T08:30:00Z,a1\n"
          + "web,c-2,site_visit,2024-03-02T08:30:00Z,\"").getBytes(StandardCharsets.UTF_8));
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(head.toByteArray());
      out.write(bomb);
    }
  }

  private static String csvBombDeadLetter(Path file) {
    return "ReadEvents/Parse|malformed CSV: a record runs past 1024 characters (an unclosed "
        + "quote, or no line ends); the rest of the file is skipped|(rest of " + file + ")";
  }

  @Test
  void aCsvRecordThatNeverEndsIsOneDeadLetter(TestPipeline p, @TempDir Path dir)
      throws IOException {
    Path bomb = dir.resolve("bomb.csv.gz");
    writeCsvBomb(bomb);
    ReadResult<CustomerEvent> read = p.apply(
        ReadCustomerEvents.from(dir + "/*").withMaxLineBytes(1024));
    PAssert.that(read.getRecords()).containsInAnyOrder(CustomerEvent.builder()
        .setSource("web").setSourceRecordId("c-1").setEventType("site_visit")
        .setEventTime(Instant.parse("2024-03-02T08:30:00Z"))
        .setIdentifiers(Map.of("anonymous_id", "a1")).build());
    PAssert.that(read.getDeadLetters().apply(MapElements.into(TypeDescriptors.strings())
            .via(d -> d.getStep() + "|" + d.getReason() + "|" + d.getRecord())))
        .containsInAnyOrder(csvBombDeadLetter(bomb));
    p.run().waitUntilFinish();
    LocalRecords<CustomerEvent> local = LocalRecords.events(dir + "/*", 1024);
    assertEquals(1, local.records().size());
    assertEquals(List.of(csvBombDeadLetter(bomb)), local.deadLetters().stream()
        .map(d -> d.getStep() + "|" + d.getReason() + "|" + d.getRecord()).toList());
  }

  @Test
  void localReadsBoundTheLineToo(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("good.jsonl"), GOOD + "\n");
    writeBomb(dir.resolve("bomb.jsonl.gz"));
    LocalRecords<CustomerEvent> read = LocalRecords.events(dir + "/*", 1024);
    assertEquals(1, read.records().size());
    List<DeadLetter> dead = read.deadLetters();
    assertEquals(List.of("ReadEvents/Parse|line longer than 1024 bytes|" + BOMB_RECORD),
        dead.stream().map(d -> d.getStep() + "|" + d.getReason() + "|" + d.getRecord())
            .toList());
  }

  /** Separators of every kind, a byte order mark, bad UTF-8, multi-byte characters. */
  private static final byte[] TRICKY = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
      "first\r\nsecond\rthird\n\rfifth\n\n\u00e9t\u00e9 \u4e2d\ud83d\ude00\r\r\n"
          .getBytes(StandardCharsets.UTF_8),
      new byte[] {'b', 'a', 'd', (byte) 0xC3, '(', '\n'},
      "x".repeat(300).getBytes(StandardCharsets.UTF_8),
      "\nlast without newline\r".getBytes(StandardCharsets.UTF_8));

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** The lines of {@code [from, to)}, long ones as their record. */
  private static List<String> lines(byte[] file, long from, long to, int capBytes,
      int keepChars) throws IOException {
    List<String> lines = new ArrayList<>();
    ByteArrayInputStream in = new ByteArrayInputStream(file);
    in.skip(from == 0 ? 0 : from - 1);
    BoundedLineReader.read(in, from, to, capBytes, keepChars, new BoundedLineReader.Sink() {
      @Override
      public void line(String line) {
        lines.add(line);
      }

      @Override
      public void oversized(String start, long bytes) {
        lines.add(LineParser.oversizedRecord(start, bytes));
      }
    });
    return lines;
  }

  @Test
  void splitsAnywhereGiveTheLinesOfTheWholeFile() throws IOException {
    List<String> whole = lines(TRICKY, 0, Long.MAX_VALUE, 1 << 20, 16);
    assertEquals(List.of("first", "second", "third", "", "fifth", "", "\u00e9t\u00e9 \u4e2d"
        + "\ud83d\ude00", "", "bad\uFFFD(", "x".repeat(300), "last without newline"), whole);
    for (int a = 0; a <= TRICKY.length; a++) {
      for (int b = a; b <= TRICKY.length; b += 7) {
        List<String> pieces = new ArrayList<>(lines(TRICKY, 0, a, 1 << 20, 16));
        pieces.addAll(lines(TRICKY, a, b, 1 << 20, 16));
        pieces.addAll(lines(TRICKY, b, TRICKY.length, 1 << 20, 16));
        assertEquals(whole, pieces, "split at " + a + " and " + b);
      }
    }
    // Past the cap only the start is held; a split inside the long line changes nothing.
    List<String> capped = lines(TRICKY, 0, Long.MAX_VALUE, 64, 16);
    assertEquals("x".repeat(16) + "... [300 bytes]", capped.get(9));
    for (int a = 0; a <= TRICKY.length; a++) {
      List<String> pieces = new ArrayList<>(lines(TRICKY, 0, a, 64, 16));
      pieces.addAll(lines(TRICKY, a, TRICKY.length, 64, 16));
      assertEquals(capped, pieces, "split at " + a);
    }
  }

  @Test
  void theWordScanFindsTheFirstSeparatorAsAByteScanDoes() {
    // Separators next to the bytes the word trick could confuse them with: 0x00, 0x80, 0x8a,
    // 0x8d, 0x0b, 0x0c, 0x09, 0x0e, 0xff, at every offset of every word.
    byte[] alphabet = {'\n', '\r', 0, (byte) 0x80, (byte) 0x8a, (byte) 0x8d, 0x0b, 0x0c, 0x09,
        0x0e, (byte) 0xff, 'a'};
    java.util.Random random = new java.util.Random(16);
    for (int round = 0; round < 20_000; round++) {
      byte[] bytes = new byte[1 + random.nextInt(40)];
      for (int i = 0; i < bytes.length; i++) {
        // mostly bytes other than the separators, so that many words hold none
        int k = random.nextInt(8) == 0 ? random.nextInt(2) : 2 + random.nextInt(10);
        bytes[i] = alphabet[k];
      }
      int from = random.nextInt(bytes.length + 1);
      int to = from + random.nextInt(bytes.length - from + 1);
      int expected = from;
      while (expected < to && bytes[expected] != '\n' && bytes[expected] != '\r') {
        expected++;
      }
      assertEquals(expected, BoundedLineReader.lineEnd(bytes, from, to),
          () -> Arrays.toString(bytes) + " from " + from + " to " + to);
    }
  }

  @Test
  void linesAreTextIosLines(TestPipeline p, @TempDir Path dir) throws IOException {
    Files.write(dir.resolve("tricky.jsonl"), TRICKY);
    Files.write(dir.resolve("empty.jsonl"), new byte[0]);
    Files.write(dir.resolve("bom-only.jsonl"), new byte[] {(byte) 0xEF, (byte) 0xBB,
        (byte) 0xBF});
    Files.write(dir.resolve("newline.jsonl"), new byte[] {'\n'});
    List<String> expected = new ArrayList<>(lines(TRICKY, 0, Long.MAX_VALUE, 1 << 20, 16));
    expected.add("");  // newline.jsonl: one empty line
    assertEquals(List.of(), lines(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, 0,
        Long.MAX_VALUE, 1 << 20, 16));
    PAssert.that(p.apply(FileIO.match().filepattern(dir + "/*"))
            .apply(FileIO.readMatches())
            .apply(TextIO.readFiles()))
        .containsInAnyOrder(expected);
    p.run().waitUntilFinish();
  }
}
