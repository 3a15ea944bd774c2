package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.model.jobmanagement.v1.JobApi.PipelineOptionDescriptor;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/**
 * The Dataflow Flex Template metadata in runner-configs/ describes every option of the job but
 * the tokens given as values (local runs only).
 */
class FlexTemplateMetadataTest {
  static final Path METADATA = Path.of("..", "runner-configs", "dataflow", "metadata.json");

  @Test
  void theCommittedFileIsTheGeneratedOne() throws Exception {
    assertEquals(FlexTemplateMetadata.json(), Files.readString(METADATA),
        "regenerate: java -cp <jar> dev.audiencesegmenter.pipelines.FlexTemplateMetadata > "
            + METADATA);
  }

  @Test
  void everyOptionOfTheJobIsAParameterWithHelp() throws Exception {
    // Beam's own view of the options, grouped by the interface that declares them
    Set<String> declared = new TreeSet<>();
    for (PipelineOptionDescriptor option : PipelineOptionsFactory.describe(
        Set.of(SegmentationPipelineOptions.class))) {
      if (option.getGroup().equals(SegmentationPipelineOptions.class.getName())) {
        declared.add(option.getName());
      }
    }
    Set<String> parameters = new TreeSet<>();
    for (JsonNode parameter : new ObjectMapper().readTree(METADATA.toFile()).path("parameters")) {
      // Beam describes options in snake_case; the command line and the template use camelCase
      parameters.add(parameter.path("name").asText().replaceAll("([a-z0-9])([A-Z])", "$1_$2")
          .replaceAll("([A-Z])([A-Z][a-z])", "$1_$2").toLowerCase(java.util.Locale.ROOT));
      assertFalse(parameter.path("helpText").asText().isBlank(), parameter.toString());
      assertFalse(parameter.path("label").asText().isBlank(), parameter.toString());
    }
    Set<String> localOnly = Set.of("hubspot_access_token", "mailchimp_api_key",
        "klaviyo_api_key", "braze_api_key", "salesforce_access_token", "zoho_access_token",
        "kit_access_token", "jdbc_password",
        "profiles_jdbc_password", "events_jdbc_password");
    assertTrue(declared.containsAll(localOnly));
    declared.removeAll(localOnly); // values of secrets: for local runs, never a template's
    assertEquals(declared, parameters);
    assertTrue(parameters.contains("hubspot_access_token_file"), parameters.toString());
    assertEquals(Set.of("input", "output", "segments"), required());
  }

  static Set<String> required() throws Exception {
    Set<String> required = new TreeSet<>();
    for (JsonNode parameter : new ObjectMapper().readTree(METADATA.toFile()).path("parameters")) {
      if (!parameter.path("isOptional").asBoolean()) {
        required.add(parameter.path("name").asText());
      }
    }
    return required;
  }
}
