package dev.audiencesegmenter.streaming;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.identity.IncrementalIdentityGraph.Component;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;

class ComponentCoderTest {
  private static final Component COMPONENT =
      new Component("email:ann@example.org", List.of("shop|o-1", "web|w-7"));

  @Test
  void roundTripsAndIsDeterministic() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(ComponentCoder.of(), COMPONENT);
    CoderProperties.coderDecodeEncodeEqual(ComponentCoder.of(),
        new Component("user_id:u1", List.of()));
    CoderProperties.coderDeterministic(ComponentCoder.of(), COMPONENT, COMPONENT);
    CoderProperties.coderSerializable(ComponentCoder.of());
  }

  @Test
  void writesBeamsStringAndListFormatsNotJavaSerialization() throws Exception {
    // the state survives a change of the class: its bytes are those of a KV of Beam coders
    byte[] expected = CoderUtils.encodeToByteArray(
        KvCoder.of(StringUtf8Coder.of(), ListCoder.of(StringUtf8Coder.of())),
        KV.of("email:ann@example.org", List.of("shop|o-1", "web|w-7")));
    assertArrayEquals(expected, CoderUtils.encodeToByteArray(ComponentCoder.of(), COMPONENT));
    assertEquals(COMPONENT, CoderUtils.decodeFromByteArray(ComponentCoder.of(), expected));
  }
}
