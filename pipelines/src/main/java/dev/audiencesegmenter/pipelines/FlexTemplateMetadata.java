package dev.audiencesegmenter.pipelines;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/**
 * Writes the Dataflow Flex Template metadata of {@link SegmentationPipeline} (the file given to
 * {@code gcloud dataflow flex-template build --metadata-file}) from
 * {@link SegmentationPipelineOptions}: one parameter per option (except tokens given as values,
 * which are for local runs), its help text the option's
 * {@code @Description} (with its default), required options first. The options interface is the
 * single source: {@code runner-configs/dataflow/metadata.json} is this class's output, and a test
 * fails when they differ.
 *
 * <pre>
 * java -cp audience-segmenter-pipelines-VERSION.jar \
 *     dev.audiencesegmenter.pipelines.FlexTemplateMetadata > runner-configs/dataflow/metadata.json
 * </pre>
 */
public final class FlexTemplateMetadata {
  private FlexTemplateMetadata() {}

  public static void main(String[] args) throws JsonProcessingException {
    System.out.print(json());
  }

  /** The metadata as pretty-printed JSON, ending with a newline. */
  public static String json() throws JsonProcessingException {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("name", "Audience Segmenter");
    root.put("description", "Resolves customer identities, computes features and lifetime "
        + "value as of a date, assigns the segments of a YAML file, writes identities, "
        + "features, segments, a summary and a report, and optionally syncs segments to CRM "
        + "and email platforms and PostgreSQL.");
    root.put("streaming", false);
    ArrayNode parameters = root.putArray("parameters");
    for (Option option : options()) {
      ObjectNode parameter = parameters.addObject();
      parameter.put("name", option.name());
      parameter.put("label", option.label());
      parameter.put("helpText", option.helpText());
      parameter.put("isOptional", !option.required());
    }
    return mapper.writeValueAsString(root) + "\n";
  }

  /** An option of the job, as the metadata describes it. */
  record Option(String name, String label, String helpText, boolean required) {}

  /** Every option declared by {@link SegmentationPipelineOptions}, required ones first. */
  static List<Option> options() {
    List<Option> options = new ArrayList<>();
    for (Method getter : SegmentationPipelineOptions.class.getDeclaredMethods()) {
      Description description = getter.getAnnotation(Description.class);
      String property = property(getter.getName());
      if (description == null || property == null || getter.getParameterCount() != 0
          || localOnly(getter)) {
        continue;
      }
      String help = description.value().strip();
      String defaultValue = defaultValue(getter);
      if (defaultValue != null && !help.contains("Default")) {
        help = help + (help.endsWith(".") ? " " : ". ") + "Default: " + defaultValue + ".";
      }
      options.add(new Option(property, label(property), help,
          getter.isAnnotationPresent(Validation.Required.class)));
    }
    options.sort(Comparator.comparing((Option o) -> !o.required()).thenComparing(Option::name));
    return options;
  }

  /**
   * Options kept out of serialized options (tokens given as values): they work only when the
   * workers are the launching process, which a template's job never is.
   */
  static boolean localOnly(Method getter) {
    return getter.isAnnotationPresent(JsonIgnore.class);
  }

  private static String property(String getter) {
    String rest = getter.startsWith("get") ? getter.substring(3)
        : getter.startsWith("is") ? getter.substring(2) : null;
    if (rest == null || rest.isEmpty()) {
      return null;
    }
    return Character.toLowerCase(rest.charAt(0)) + rest.substring(1);
  }

  /** "jdbcUrl" as "Jdbc url". */
  private static String label(String property) {
    String words = property.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    return Character.toUpperCase(words.charAt(0)) + words.substring(1);
  }

  private static String defaultValue(Method getter) {
    for (Annotation annotation : getter.getAnnotations()) {
      if (annotation instanceof Default.String value) {
        return value.value();
      } else if (annotation instanceof Default.Boolean value) {
        return String.valueOf(value.value());
      } else if (annotation instanceof Default.Integer value) {
        return String.valueOf(value.value());
      } else if (annotation instanceof Default.Long value) {
        return String.valueOf(value.value());
      } else if (annotation instanceof Default.Double value) {
        return String.valueOf(value.value());
      }
    }
    return null;
  }
}
