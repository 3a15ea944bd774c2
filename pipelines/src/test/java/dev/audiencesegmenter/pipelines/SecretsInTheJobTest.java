package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.common.ReflectHelpers;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No credential is written into the job a runner gets: not into a step's serialized DoFn (what
 * Flink stores and ships as the job graph, and Dataflow as its steps), not into display data,
 * not into the serialized options. Credentials are references (an environment variable, a file)
 * resolved on the workers; a value given as an option is for local runs only.
 */
class SecretsInTheJobTest {
  static final Map<String, String> SENTINELS = Map.of(
      "hubspotAccessToken", "pat-na1-sentinel-hubspot-5e1f0c",
      "mailchimpApiKey", "sentinel0mailchimp0key0a7d3-us1",
      "klaviyoApiKey", "pk_sentinel_klaviyo_91b2c4",
      "brazeApiKey", "sentinel-braze-key-3c8e71",
      "salesforceAccessToken", "00Dsentinel!salesforce.token.64d2",
      "zohoAccessToken", "1000.sentinel0zoho0token.9a1b",
      "kitAccessToken", "sentinel-kit-oauth-token-5d7e");

  static SegmentationPipelineOptions options(List<String> args) {
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    return PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).withValidation()
        .as(SegmentationPipelineOptions.class);
  }

  static List<String> allSinks(Path dir) {
    List<String> args = new ArrayList<>(PipelineRuns.sampleArgs(dir.resolve("out")));
    args.addAll(List.of("--sinks=hubspot,mailchimp,klaviyo,braze,salesforce,zoho,kit",
        "--syncState=" + dir.resolve("sync-state"), "--mailchimpListId=a1b2c3", "--salesforceBaseUrl=https://example.my.salesforce.com"));
    return args;
  }

  static Pipeline build(SegmentationPipelineOptions options) {
    Pipeline pipeline = Pipeline.create(
        RunnerOptions.of(options, SegmentationPipelineOptions.class));
    SegmentationPipeline.build(pipeline, options);
    return pipeline;
  }

  static byte[] javaSerialized(Object object) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(object);
    }
    return bytes.toByteArray();
  }

  /**
   * Everything of the job a runner serializes or shows, as text: each DoFn Java-serialized
   * (runners compress it, so the portable form alone would hide a token), each transform's
   * display data, the portable pipeline and the options.
   */
  static String whatTheRunnerGets(Pipeline pipeline) throws Exception {
    StringBuilder text = new StringBuilder();
    List<Object> fns = new ArrayList<>();
    pipeline.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
        if (node.getTransform() != null) {
          text.append(DisplayData.from(node.getTransform())).append('\n');
        }
        return CompositeBehavior.ENTER_TRANSFORM;
      }

      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        text.append(DisplayData.from(node.getTransform())).append('\n');
        if (node.getTransform() instanceof ParDo.MultiOutput<?, ?> parDo) {
          fns.add(parDo.getFn());
        } else if (node.getTransform() instanceof ParDo.SingleOutput<?, ?> parDo) {
          fns.add(parDo.getFn());
        }
      }
    });
    assertTrue(fns.stream().anyMatch(fn -> fn.getClass().getName().endsWith("SendBatches")),
        "the sinks' send steps are in the job");
    for (Object fn : fns) {
      text.append(new String(javaSerialized((DoFn<?, ?>) fn), StandardCharsets.ISO_8859_1));
    }
    text.append(new String(PipelineTranslation.toProto(pipeline).toByteArray(),
        StandardCharsets.ISO_8859_1));
    text.append(new ObjectMapper()
        .registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()))
        .writeValueAsString(pipeline.getOptions()));
    return text.toString();
  }

  @Test
  void tokensGivenAsOptionsOfALocalRunAreNotInTheJob(@TempDir Path dir) throws Exception {
    List<String> args = allSinks(dir);
    SENTINELS.forEach((option, token) -> args.add("--" + option + "=" + token));
    SegmentationPipelineOptions options = options(args);

    String job = whatTheRunnerGets(build(options));

    SENTINELS.forEach((option, token) -> assertFalse(job.contains(token), option));
    assertTrue(job.contains("value given to the launching process"), "display data says where");
  }

  @Test
  void tokenOptionsAreNeitherSerializedNorDisplayed() throws Exception {
    List<String> args = new ArrayList<>(List.of("--input=x", "--segments=y", "--output=z"));
    SENTINELS.forEach((option, token) -> args.add("--" + option + "=" + token));
    SegmentationPipelineOptions options = options(args);

    String json = new ObjectMapper()
        .registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()))
        .writeValueAsString(options);
    String display = DisplayData.from(options).toString();

    SENTINELS.forEach((option, token) -> {
      assertFalse(json.contains(token), option + " in " + json);
      assertFalse(display.contains(token), option + " in " + display);
    });
    assertEquals(SENTINELS.get("hubspotAccessToken"), options.getHubspotAccessToken(),
        "the launching process still reads it");
  }

  @Test
  void filesAndVariablesAreResolvedOnTheWorkersAndOnlyNamedInTheJob(@TempDir Path dir)
      throws Exception {
    List<String> args = allSinks(dir);
    for (Map.Entry<String, String> sentinel : SENTINELS.entrySet()) {
      Path file = dir.resolve(sentinel.getKey());
      Files.writeString(file, sentinel.getValue() + "\n");
      args.add("--" + sentinel.getKey() + "File=" + file);
    }
    String job = whatTheRunnerGets(build(options(args)));

    SENTINELS.forEach((option, token) -> assertFalse(job.contains(token), option));
    assertTrue(job.contains("file " + dir.resolve("hubspotAccessToken")), "display data");
  }

  @Test
  void launchErrorsNameTheOptionAndTheReferenceNeverAValue(@TempDir Path dir) throws Exception {
    String token = SENTINELS.get("hubspotAccessToken");
    List<String> base = new ArrayList<>(PipelineRuns.sampleArgs(dir.resolve("out")));
    base.add("--sinks=hubspot");
    base.add("--syncState=" + dir.resolve("sync-state"));

    List<String> two = new ArrayList<>(base);
    two.addAll(List.of("--hubspotAccessToken=" + token, "--hubspotAccessTokenEnv=HUBSPOT_X"));
    assertEquals("--sinks=hubspot: give one of --hubspotAccessToken, --hubspotAccessTokenEnv, "
        + "--hubspotAccessTokenFile, --hubspotAccessTokenSecret, not 2", launchError(two));

    List<String> unset = new ArrayList<>(base);
    unset.add("--hubspotAccessTokenEnv=AUDIENCE_SEGMENTER_UNSET_4411");
    assertEquals("--hubspotAccessTokenEnv: The credential's environment variable "
        + "AUDIENCE_SEGMENTER_UNSET_4411 is not set", launchError(unset));

    Path missing = dir.resolve("no-such-token");
    List<String> file = new ArrayList<>(base);
    file.add("--hubspotAccessTokenFile=" + missing);
    assertEquals("--hubspotAccessTokenFile: The credential file " + missing
        + " does not exist", launchError(file));

    Path empty = dir.resolve("empty-token");
    Files.writeString(empty, "\n");
    List<String> blank = new ArrayList<>(base);
    blank.add("--hubspotAccessTokenFile=" + empty);
    assertEquals("--hubspotAccessTokenFile: The credential file " + empty + " is empty",
        launchError(blank));

    List<String> badName = new ArrayList<>(base);
    badName.add("--hubspotAccessTokenEnv=" + token);
    String message = launchError(badName);
    assertFalse(message.contains(token), message);
    assertEquals("--hubspotAccessTokenEnv: not a valid environment variable name", message);
  }

  @Test
  void aTokenOptionIsRefusedWhenTheWorkersAreElsewhere(@TempDir Path dir) throws Exception {
    String token = SENTINELS.get("hubspotAccessToken");
    List<String> args = new ArrayList<>(PipelineRuns.sampleArgs(dir.resolve("out")));
    args.addAll(List.of("--sinks=hubspot", "--syncState=" + dir.resolve("sync-state"),
        "--runner=FlinkRunner", "--flinkMaster=127.0.0.1:8081"));

    List<String> literal = new ArrayList<>(args);
    literal.add("--hubspotAccessToken=" + token);
    assertEquals("--hubspotAccessToken is for runs whose workers are this process (the Direct "
        + "runner, Flink [local]): its value is kept out of the job, so the workers of "
        + "FlinkRunner would not have it; give --hubspotAccessTokenEnv=NAME or "
        + "--hubspotAccessTokenFile=PATH, read on the workers", launchError(literal));

    assertEquals("--sinks=hubspot: the workers of FlinkRunner read the token where "
        + "--hubspotAccessTokenEnv=NAME or --hubspotAccessTokenFile=PATH says "
        + "(--hubspotAccessToken is for local runs only)", launchError(args));

    // a reference the launching machine cannot check is left to the workers
    List<String> remote = new ArrayList<>(args);
    remote.add("--hubspotAccessTokenFile=/run/secrets/on-the-workers-only");
    String job = whatTheRunnerGets(build(options(remote)));
    assertTrue(job.contains("file /run/secrets/on-the-workers-only"));
  }

  @Test
  void theDatabasePasswordIsNeitherInTheOptionsNorInTheJob(@TempDir Path dir) throws Exception {
    String password = "sentinel-database-password-7f3a";
    List<String> args = allSinks(dir);
    SENTINELS.keySet().forEach(option -> args.add("--" + option + "Env=UNSET_" + option));
    args.removeIf(arg -> arg.startsWith("--syncState="));
    args.addAll(List.of("--jdbcUrl=jdbc:postgresql://db.example:5432/crm",
        "--syncState=jdbc:postgresql://db.example:5432/state", "--dryRun=true",
        "--jdbcPassword=" + password));
    SegmentationPipelineOptions options = options(args);

    String job = whatTheRunnerGets(build(options));
    assertFalse(job.contains(password), "the password is in what the runner gets");
    assertEquals(password, options.getJdbcPassword(), "the launching process still reads it");
  }

  @Test
  void aDatabasePasswordFileIsReadWhereItIsUsedAndOnlyNamedInTheJob(@TempDir Path dir)
      throws Exception {
    String password = "sentinel-database-password-file-2b9c";
    Path file = dir.resolve("db-password");
    Files.writeString(file, password + "\n");
    List<String> args = allSinks(dir);
    SENTINELS.keySet().forEach(option -> args.add("--" + option + "Env=UNSET_" + option));
    args.removeIf(arg -> arg.startsWith("--syncState="));
    args.addAll(List.of("--jdbcUrl=jdbc:postgresql://db.example:5432/crm",
        "--syncState=jdbc:postgresql://db.example:5432/state", "--dryRun=true",
        "--runner=FlinkRunner", "--flinkMaster=127.0.0.1:8081",
        "--jdbcPasswordFile=" + file));

    String job = whatTheRunnerGets(build(options(args)));
    assertFalse(job.contains(password), "the password is in what the runner gets");
    assertTrue(job.contains(file.toString()), "the job names the file the workers read");

    List<String> literal = new ArrayList<>(args);
    literal.removeIf(arg -> arg.startsWith("--jdbcPasswordFile="));
    literal.add("--jdbcPassword=" + password);
    String message = launchError(literal);
    assertFalse(message.contains(password), message);
    assertEquals("--jdbcPassword is for runs whose workers are this process (the Direct "
        + "runner, Flink [local]): its value is kept out of the job, so the workers of "
        + "FlinkRunner would not have it; give --jdbcPasswordEnv=NAME or "
        + "--jdbcPasswordFile=PATH, read on the workers", message);
  }

  @Test
  void aSecretManagerSecretIsOnlyNamedInTheJobAndReadWhereItIsUsed(@TempDir Path dir)
      throws Exception {
    List<String> args = new ArrayList<>(PipelineRuns.sampleArgs(dir.resolve("out")));
    args.addAll(List.of("--sinks=hubspot", "--syncState=" + dir.resolve("sync-state")));
    String name = "projects/my-project/secrets/hubspot-token/versions/3";

    List<String> remote = new ArrayList<>(args);
    remote.addAll(List.of("--runner=FlinkRunner", "--flinkMaster=127.0.0.1:8081",
        "--hubspotAccessTokenSecret=" + name));
    String job = whatTheRunnerGets(build(options(remote)));
    assertTrue(job.contains("Secret Manager secret " + name), "display data names the secret");

    // on a local run it is read at launch: this build has no Secret Manager client
    List<String> local = new ArrayList<>(args);
    local.add("--hubspotAccessTokenSecret=" + name);
    assertEquals("--hubspotAccessTokenSecret: The credential Secret Manager secret " + name
        + " needs the Secret Manager client on the classpath (build the job jar with "
        + "-Pdataflow)", launchError(local));

    String token = SENTINELS.get("hubspotAccessToken");
    List<String> mistaken = new ArrayList<>(args);
    mistaken.add("--hubspotAccessTokenSecret=" + token);
    String message = launchError(mistaken);
    assertFalse(message.contains(token), message);
    assertEquals("--hubspotAccessTokenSecret: A Secret Manager secret version is named "
        + "projects/PROJECT/secrets/NAME/versions/VERSION", message);
  }

  static String launchError(List<String> args) {
    return assertThrows(IllegalArgumentException.class, () -> build(options(args)))
        .getMessage();
  }
}
