package dev.audiencesegmenter.grouping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Values sent on as their coder's bytes come back as they were. */
@ExtendWith(TestPipelineExtension.class)
class EncodedValuesTest {

  @Test
  void bytesAreTheCodersOwnAndDecodeToTheValue() {
    // StringUtf8Coder writes the length, then the UTF-8 bytes.
    byte[] bytes = EncodedValues.encode(StringUtf8Coder.of(), "é1");
    assertArrayEquals(new byte[] {3, (byte) 0xC3, (byte) 0xA9, '1'}, bytes);
    assertEquals("é1", EncodedValues.decode(StringUtf8Coder.of(), bytes));
    byte[] longer = {3, (byte) 0xC3, (byte) 0xA9, '1', '!'};
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> EncodedValues.decode(StringUtf8Coder.of(), longer));
    assertEquals("cannot decode 5 bytes with StringUtf8Coder: java.io.IOException: 1 bytes "
        + "left over", e.getMessage());
  }

  @Test
  void theDecodingStepGivesTheValuesBack(TestPipeline pipeline) {
    PCollection<Long> decoded = pipeline
        .apply(Create.of(EncodedValues.encode(VarLongCoder.of(), 7L),
            EncodedValues.encode(VarLongCoder.of(), Long.MIN_VALUE)).withCoder(ByteArrayCoder.of()))
        .apply(EncodedValues.decoded(VarLongCoder.of()));
    assertEquals(VarLongCoder.of(), decoded.getCoder());
    PAssert.that(decoded).containsInAnyOrder(7L, Long.MIN_VALUE);
    pipeline.run().waitUntilFinish();
  }
}
