package dev.audiencesegmenter.grouping;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

/** Values written in batches per key come back, in order, exactly once. */
class EncodedBatchesTest {
  @Test
  void fullBatchesLeaveAtOnceAndTheRestOnFlush() {
    EncodedBatches<String> writer = EncodedBatches.writer(StringUtf8Coder.of(), 3);
    List<KV<Integer, byte[]>> out = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      writer.add(i % 3, "value-" + i, out::add);
    }
    // key 0 holds 334 values, keys 1 and 2 hold 333: each fills one batch of 256 while adding
    assertEquals(List.of(0, 1, 2), out.stream().map(KV::getKey).toList());
    writer.flush(out::add);
    assertTrue(writer.isEmpty());
    assertEquals(List.of(0, 1, 2, 0, 1, 2), out.stream().map(KV::getKey).toList());

    List<Integer> sizes = new ArrayList<>();
    Map<Integer, List<String>> decoded = new TreeMap<>();
    for (KV<Integer, byte[]> batch : out) {
      List<String> values = new ArrayList<>();
      EncodedBatches.decodeAll(StringUtf8Coder.of(), batch.getValue()).forEach(values::add);
      sizes.add(values.size());
      decoded.computeIfAbsent(batch.getKey(), k -> new ArrayList<>()).addAll(values);
    }
    assertEquals(List.of(256, 256, 256, 78, 77, 77), sizes);
    for (int key = 0; key < 3; key++) {
      List<String> expected = new ArrayList<>();
      for (int i = key; i < 1000; i += 3) {
        expected.add("value-" + i);
      }
      assertEquals(expected, decoded.get(key), "key " + key);
    }
  }

  @Test
  void aWriterHoldsAtMostHeldValuesWhateverTheKeys() {
    EncodedBatches<Integer> writer = EncodedBatches.writer(VarIntCoder.of(), 1000);
    List<KV<Integer, byte[]>> out = new ArrayList<>();
    for (int i = 0; i < EncodedBatches.HELD - 1; i++) {
      writer.add(i % 1000, i, out::add);
    }
    // 65 or 66 values per key: no batch full yet, nothing handed on
    assertEquals(0, out.size());
    writer.add(535, -1, out::add);
    // the 65,536th value hands every key's batch on
    assertTrue(writer.isEmpty());
    assertEquals(1000, out.size());
    int values = 0;
    for (KV<Integer, byte[]> batch : out) {
      for (Integer ignored : EncodedBatches.decodeAll(VarIntCoder.of(), batch.getValue())) {
        values++;
      }
    }
    assertEquals(EncodedBatches.HELD, values);
  }

  @Test
  void buffersKeptForTheNextBatchesStayBoundedWhateverTheKeys() {
    // a reading step with --groups=1000000 touches hundreds of thousands of keys per range
    EncodedBatches<String> writer = EncodedBatches.writer(StringUtf8Coder.of(), 300_000);
    List<KV<Integer, byte[]>> out = new ArrayList<>();
    String value = "x".repeat(100);
    for (int key = 0; key < 300_000; key++) {
      writer.add(key, value, out::add);
    }
    writer.flush(out::add);
    assertEquals(300_000, out.size());
    assertTrue(writer.keptBufferBytes() <= EncodedBatches.KEPT_BYTES,
        writer.keptBufferBytes() + " bytes kept");
    // and the keys whose buffers were kept still batch right
    writer.add(0, "again", out::add);
    writer.flush(out::add);
    List<String> last = new ArrayList<>();
    EncodedBatches.decodeAll(StringUtf8Coder.of(), out.get(out.size() - 1).getValue())
        .forEach(last::add);
    assertEquals(List.of("again"), last);
  }

  @Test
  void aValueWhoseEncodingFailsLeavesNoBytesInItsBatch() {
    org.apache.beam.sdk.coders.Coder<String> failsOnBad =
        new org.apache.beam.sdk.coders.AtomicCoder<>() {
          @Override
          public void encode(String value, java.io.OutputStream out) throws java.io.IOException {
            StringUtf8Coder.of().encode(value, out);
            if (value.startsWith("bad")) {
              throw new IllegalArgumentException("refused: " + value);
            }
          }

          @Override
          public String decode(java.io.InputStream in) throws java.io.IOException {
            return StringUtf8Coder.of().decode(in);
          }
        };
    EncodedBatches<String> writer = EncodedBatches.writer(failsOnBad, 1);
    List<KV<Integer, byte[]>> out = new ArrayList<>();
    writer.add(0, "first", out::add);
    assertThrows(IllegalArgumentException.class, () -> writer.add(0, "bad one", out::add));
    writer.add(0, "second", out::add);
    writer.flush(out::add);
    List<String> values = new ArrayList<>();
    EncodedBatches.decodeAll(StringUtf8Coder.of(), out.get(0).getValue()).forEach(values::add);
    assertEquals(List.of("first", "second"), values);
  }

  @Test
  void longValuesLeaveInSmallBatchesAndBoundTheBytesHeld() {
    // values of 300,000 chars: a batch passes 1 MiB with its fourth value
    String big = "x".repeat(300_000);
    EncodedBatches<String> writer = EncodedBatches.writer(StringUtf8Coder.of(), 2);
    List<KV<Integer, byte[]>> out = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      writer.add(0, big, out::add);
    }
    assertEquals(2, out.size());
    for (KV<Integer, byte[]> batch : out) {
      // four values of 300,000 chars and a 3-byte length each
      assertEquals(4 * 300_003, batch.getValue().length);
    }
    // many keys, each under 1 MiB: the writer hands all on once it holds 32 MiB
    EncodedBatches<String> many = EncodedBatches.writer(StringUtf8Coder.of(), 1000);
    List<KV<Integer, byte[]>> spread = new ArrayList<>();
    int added = 0;
    while (spread.isEmpty()) {
      many.add(added % 1000, big, spread::add);
      added++;
    }
    // 112 values of 300,003 bytes reach 32 MiB (33,554,432 bytes); each was alone in its batch
    assertEquals(112, added);
    assertEquals(112, spread.size());
    assertTrue(many.isEmpty());
  }

  @Test
  void aSingleEncodedValueIsABatchOfOne() {
    byte[] single = EncodedValues.encode(StringUtf8Coder.of(), "alone");
    EncodedBatches<String> writer = EncodedBatches.writer(StringUtf8Coder.of(), 1);
    List<KV<Integer, byte[]>> out = new ArrayList<>();
    writer.add(0, "first", out::add);
    writer.add(0, "", out::add);
    writer.flush(out::add);
    List<String> values = new ArrayList<>();
    EncodedBatches.decodeAll(StringUtf8Coder.of(),
        List.of(single, new byte[0], out.get(0).getValue())).forEach(values::add);
    assertEquals(List.of("alone", "first", ""), values);
  }

  @Test
  void aGroupOfSingleValuesIsDecodedOneValueAtATime() {
    List<byte[]> group = new ArrayList<>();
    for (long v : new long[] {5, 300, -1}) {
      group.add(EncodedValues.encode(VarLongCoder.of(), v));
    }
    group.add(new byte[] {(byte) 0x80}); // a varint cut short: fails only when reached
    var values = EncodedBatches.decodeAll(VarLongCoder.of(), group).iterator();
    assertEquals(5L, values.next());
    assertEquals(300L, values.next());
    assertEquals(-1L, values.next());
    IllegalStateException e = assertThrows(IllegalStateException.class, values::next);
    assertTrue(e.getMessage().startsWith("cannot decode a batch of 1 bytes with VarLongCoder"),
        e.getMessage());
  }

  @Test
  void aTruncatedBatchFailsNamingItsSize() {
    EncodedBatches<String> writer = EncodedBatches.writer(StringUtf8Coder.of(), 1);
    List<KV<Integer, byte[]>> out = new ArrayList<>();
    writer.add(0, "a value of some length", out::add);
    writer.flush(out::add);
    byte[] truncated = Arrays.copyOf(out.get(0).getValue(), 5);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> EncodedBatches.decodeAll(StringUtf8Coder.of(), truncated).forEach(v -> { }));
    assertTrue(e.getMessage().contains("a batch of 5 bytes"), e.getMessage());
  }

  @Test
  void aWriterNeedsAKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EncodedBatches.writer(StringUtf8Coder.of(), 0));
    assertEquals("EncodedBatches needs at least one key, got 0", e.getMessage());
  }
}
