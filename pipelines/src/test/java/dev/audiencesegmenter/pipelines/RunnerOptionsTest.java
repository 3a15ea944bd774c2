package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.common.ReflectHelpers;
import org.junit.jupiter.api.Test;

/** The runner gets its own settings and none of the job's (inputs, credentials). */
class RunnerOptionsTest {
  static final String TOKEN = "pat-na1-never-in-the-runner-7731";

  @Test
  void theJobsSettingsStayOutAndTheRunnersStay() throws Exception {
    PipelineOptionsFactory.register(StreamingSegmentationOptions.class);
    StreamingSegmentationOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--parallelism=3", "--objectReuse=true",
        "--jobName=nightly-segments", "--input=/data/events/*", "--asOf=2024-06-30",
        "--hubspotAccessToken=" + TOKEN, "--kafkaEventsTopic=events")
        .as(StreamingSegmentationOptions.class);

    PipelineOptions copy = RunnerOptions.of(options, StreamingSegmentationOptions.class);

    assertEquals(FlinkRunner.class, copy.getRunner());
    FlinkPipelineOptions flink = copy.as(FlinkPipelineOptions.class);
    assertEquals(3, flink.getParallelism());
    assertTrue(flink.getObjectReuse());
    assertEquals("nightly-segments", copy.getJobName());
    String serialized = new ObjectMapper()
        .registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()))
        .writeValueAsString(flink);
    assertFalse(serialized.contains(TOKEN), serialized);
    assertFalse(serialized.contains("/data/events"), serialized);
    assertFalse(serialized.contains("kafkaEventsTopic"), serialized);
    assertTrue(serialized.contains("\"parallelism\":3"), serialized);
  }

  @Test
  void theStreamingJobsRunnerSettingsReachTheRunner() {
    PipelineOptionsFactory.register(StreamingSegmentationOptions.class);
    StreamingSegmentationOptions options = PipelineOptionsFactory.fromArgs(
        "--runner=FlinkRunner", "--flinkMaster=[local]",
        "--input=" + PipelineRuns.SAMPLE.resolve("events") + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments-streaming.yaml"),
        "--asOf=2024-06-30", "--kafkaBootstrapServers=localhost:9", "--hubspotAccessToken="
            + TOKEN).as(StreamingSegmentationOptions.class);

    PipelineOptions runner = StreamingSegmentationPipeline.create(options).getOptions();

    // build() switches the runner to streaming and lets finished sources end: on the options
    // the pipeline was created with, not only on the job's own.
    assertTrue(runner.as(org.apache.beam.sdk.options.StreamingOptions.class).isStreaming());
    assertEquals(0L, runner.as(FlinkPipelineOptions.class).getShutdownSourcesAfterIdleMs());
    assertNull(runner.as(StreamingSegmentationOptions.class).getHubspotAccessToken(),
        "the job's settings stay out");
  }

  @Test
  void everyOwnPropertyIsFoundInheritedOnesToo() {
    assertTrue(RunnerOptions.jobProperties(StreamingSegmentationOptions.class)
        .containsAll(java.util.List.of("hubspotAccessToken", "input", "asOf",
            "kafkaEventsTopic")));
    assertFalse(RunnerOptions.jobProperties(StreamingSegmentationOptions.class)
        .contains("runner"));
  }

  @Test
  void groupsDefaultToFewOnTheDirectRunnerAndManyOnTheOthers() {
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    assertEquals(4, PipelineOptionsFactory.fromArgs("--runner=DirectRunner")
        .as(SegmentationPipelineOptions.class).getGroups());
    assertEquals(256, PipelineOptionsFactory.fromArgs("--runner=FlinkRunner")
        .as(SegmentationPipelineOptions.class).getGroups());
    assertEquals(256, PipelineOptionsFactory.fromArgs("--runner=FlinkRunner",
        "--groups=256").as(SegmentationPipelineOptions.class).getGroups());
    assertEquals(32, PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--groups=32")
        .as(SegmentationPipelineOptions.class).getGroups());
  }
}
