package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job (every segment family, the database and every sink) translates to Beam's
 * portable pipeline representation. Translation serializes every DoFn, CombineFn, coder and
 * window function, as Dataflow's and the portable runners' translations do, so a step that
 * cannot be serialized or a construct without a portable form fails here, offline, rather than
 * at submission. (The Dataflow runner itself cannot translate without a Cloud Storage bucket to
 * stage to.)
 */
class PortableTranslationTest {
  @Test
  void theWholeJobTranslates(@TempDir Path dir) {
    List<String> args = new ArrayList<>(PipelineRuns.sampleArgs(dir.resolve("out")));
    args.set(args.indexOf("--segments=" + PipelineRuns.SAMPLE.resolve("segments.yaml")),
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments-advanced.yaml"));
    args.addAll(List.of("--jdbcUrl=jdbc:postgresql://127.0.0.1:1/none",
        "--sinks=hubspot,mailchimp,klaviyo,braze,salesforce", "--dryRun=true",
        "--syncState=" + dir.resolve("sync-state"),
        "--mailchimpListId=a1b2c3", "--salesforceBaseUrl=https://example.my.salesforce.com",
        "--previousSegments=" + dir.resolve("previous") + "/*", "--previousAsOf=2024-03-31"));
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    SegmentationPipelineOptions options = PipelineOptionsFactory
        .fromArgs(args.toArray(new String[0])).withValidation()
        .as(SegmentationPipelineOptions.class);
    Pipeline pipeline = Pipeline.create(options);
    SegmentationPipeline.build(pipeline, options);

    RunnerApi.Pipeline proto = PipelineTranslation.toProto(pipeline);
    long pardos = proto.getComponents().getTransformsMap().values().stream()
        .filter(t -> t.getSpec().getUrn().equals("beam:transform:pardo:v1")).count();
    long shuffles = proto.getComponents().getTransformsMap().values().stream()
        .filter(t -> t.getSpec().getUrn().equals("beam:transform:group_by_key:v1")).count();
    assertTrue(pardos > 100 && shuffles > 20, pardos + " ParDos, " + shuffles + " GroupByKeys");
  }
}
