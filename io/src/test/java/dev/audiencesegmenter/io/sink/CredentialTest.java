package dev.audiencesegmenter.io.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.io.hubspot.HubSpotConnector;
import dev.audiencesegmenter.io.secrets.Credential;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials are references resolved where they are used: what a runner serializes into the
 * job (the sink's DoFn) never holds the secret, and every failure names the reference only.
 */
@ExtendWith(TestPipelineExtension.class)
class CredentialTest {
  static final String SENTINEL = "pat-na1-sentinel-0d5c7e21-never-serialized";

  static byte[] javaSerialized(Object object) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(object);
    }
    return bytes.toByteArray();
  }

  static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
  }

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T object) throws Exception {
    try (ObjectInputStream in = new ObjectInputStream(
        new ByteArrayInputStream(javaSerialized(object)))) {
      return (T) in.readObject();
    }
  }

  @Test
  void aValueGivenToTheLaunchingProcessIsNotInTheSerializedSinkStep() throws Exception {
    SendContactUpdates sink = HubSpotConnector.create(Credential.of(SENTINEL)).sink();
    SendBatches step = new SendBatches(sink, "Send to hubspot");

    assertFalse(contains(javaSerialized(step), SENTINEL), "the DoFn carries the token");
    assertFalse(contains(javaSerialized(sink), SENTINEL), "the transform carries the token");
    assertFalse(DisplayData.from(sink).toString().contains(SENTINEL));
    // in this process (Direct runner, Flink [local]) the copy still finds it
    assertEquals(SENTINEL, roundTrip(Credential.of(SENTINEL)).reveal());
  }

  @Test
  void aFileIsReadWhereItIsUsedWithoutItsTrailingNewline(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("hubspot-token");
    Files.writeString(file, SENTINEL + "\n");
    Credential credential = Credential.fromFile(file.toString());

    assertFalse(contains(javaSerialized(credential), SENTINEL));
    assertEquals(SENTINEL, roundTrip(credential).reveal());
    assertEquals("file " + file, credential.describe());
    assertEquals(Credential.MASK, credential.toString());
  }

  @Test
  void aMissingOrEmptyFileIsNamedAndNoValueShown(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("absent-token");
    IllegalStateException absent = assertThrows(IllegalStateException.class,
        () -> Credential.fromFile(missing.toString()).reveal());
    assertEquals("The credential file " + missing + " does not exist",
        absent.getMessage());

    Path empty = dir.resolve("empty-token");
    Files.writeString(empty, "\n");
    IllegalStateException blank = assertThrows(IllegalStateException.class,
        () -> Credential.fromFile(empty.toString()).reveal());
    assertEquals("The credential file " + empty + " is empty", blank.getMessage());

    IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
        () -> Credential.fromFile(" "));
    assertEquals("A credential file must be given as a path, not ' '", relative.getMessage());
  }

  @Test
  void aMissingEnvironmentVariableIsNamed() {
    String name = "AUDIENCE_SEGMENTER_TEST_UNSET_7731";
    IllegalStateException unset = assertThrows(IllegalStateException.class,
        () -> Credential.fromEnvironment(name).reveal());
    assertEquals("The credential's environment variable " + name + " is not set",
        unset.getMessage());
    assertEquals("environment variable " + name, Credential.fromEnvironment(name).describe());
  }

  @Test
  void onlyAValueGivenDirectlyIsBoundToTheLaunchingProcess(@TempDir Path dir) {
    assertTrue(Credential.of(SENTINEL).isBoundToThisProcess());
    assertFalse(Credential.fromEnvironment("PATH").isBoundToThisProcess());
    assertFalse(Credential.fromFile(dir.resolve("t").toString()).isBoundToThisProcess());
  }

  @Test
  void aWorkerWithoutTheFileFailsInSetupNamingStepAndFile(TestPipeline pipeline,
      @TempDir Path dir) {
    Path missing = dir.resolve("absent-token");
    pipeline.apply(Create.of(SinkTesting.contacts(3)))
        .apply(HubSpotConnector.create(Credential.fromFile(missing.toString()))
            .withBaseUrl("http://127.0.0.1:9").sink());
    Throwable failed = assertThrows(RuntimeException.class,
        () -> pipeline.run().waitUntilFinish());
    while (failed.getCause() != null) {
      failed = failed.getCause();
    }
    assertEquals("Send to hubspot: The credential file " + missing + " does not exist",
        failed.getMessage());
  }
}
