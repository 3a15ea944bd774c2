package dev.audiencesegmenter.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.features.FeaturesAtInstant;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the batch job gives for a set of event files, in the form streaming results are
 * compared in: feature rows without the population columns, memberships as
 * {@code customer|segment|group|holdout}, and the junk identifiers it found.
 */
final class BatchReference {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String AS_OF = "2024-06-30";
  static final Path SEGMENTS = PipelineRuns.SAMPLE.resolve("segments-streaming.yaml");

  final TreeSet<String> features = new TreeSet<>();
  final TreeSet<String> members = new TreeSet<>();
  /** Identifier type to the values the batch job found to be junk. */
  final Map<String, List<String>> junk = new TreeMap<>();

  /** Runs the batch job (Flink, local) over {@code input} with the streaming segment file. */
  static BatchReference of(String input, Path out) {
    PipelineRuns.runToCompletion(List.of("--input=" + input, "--segments=" + SEGMENTS,
        "--asOf=" + AS_OF, "--valueModels=false", "--output=" + out,
        "@../runner-configs/flink-local.args"));
    BatchReference reference = new BatchReference();
    for (String line : OutputFiles.sortedLines(out.resolve("features"))) {
      reference.features.add(withoutPopulationColumns(line));
    }
    for (JsonNode row : OutputFiles.rows(out.resolve("segments"))) {
      reference.members.add(member(row.get("customer_id").asText(), row.get("segment").asText(),
          row.get("group").asText(), row.get("holdout").asBoolean()));
    }
    for (JsonNode junk : OutputFiles.rows(out.resolve("junk-identifiers"))) {
      reference.junk.computeIfAbsent(junk.get("id_type").asText(), t -> new ArrayList<>())
          .add(junk.get("id_value").asText());
    }
    return reference;
  }

  static String member(String customer, String segment, String group, boolean holdout) {
    return customer + "|" + segment + "|" + group + "|" + holdout;
  }

  /** The row as compact JSON without the columns streaming leaves null. */
  static String withoutPopulationColumns(String json) {
    try {
      ObjectNode row = (ObjectNode) JSON.readTree(json);
      row.remove(FeaturesAtInstant.POPULATION_COLUMNS);
      return row.toString();
    } catch (IOException e) {
      throw new UncheckedIOException("Not JSON: " + json, e);
    }
  }
}
