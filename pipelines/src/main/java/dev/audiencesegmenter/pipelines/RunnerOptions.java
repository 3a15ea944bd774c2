package dev.audiencesegmenter.pipelines;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.common.ReflectHelpers;

/**
 * The options a pipeline is created with: the given ones without the job's own settings.
 *
 * <p>The job reads its settings (inputs, segments, sinks, credentials) while it builds the
 * pipeline; no step reads them while it runs. Runners serialize the pipeline's options into
 * every step they translate (the Flink runner once per operator, and it publishes them as the
 * job's parameters), so leaving the job's settings out makes translation cheaper and keeps
 * credentials out of what the runner stores and shows. What the runner needs (runner, its
 * settings, temp locations, job name) is kept.
 */
final class RunnerOptions {
  private static final ObjectMapper JSON = new ObjectMapper()
      .registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()));

  private RunnerOptions() {}

  /** {@code options} without the properties declared by {@code jobOptions} and its parents. */
  static PipelineOptions of(PipelineOptions options,
      Class<? extends PipelineOptions> jobOptions) {
    ObjectNode serialized = JSON.valueToTree(options);
    ObjectNode values = (ObjectNode) serialized.get("options");
    if (values != null) {
      values.remove(jobProperties(jobOptions));
    }
    serialized.remove("display_data");
    try {
      PipelineOptions copy = JSON.treeToValue(serialized, PipelineOptions.class);
      copy.setRunner(options.getRunner());
      return copy;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Pipeline options could not be copied", e);
    }
  }

  /** Properties of the project's own option interfaces among {@code type} and its parents. */
  static Set<String> jobProperties(Class<?> type) {
    return new TreeSet<>(CommandLine.options(type).keySet());
  }
}
