package dev.audiencesegmenter.yaml;

import dev.audiencesegmenter.segments.ClosestName;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Reads the fields of a configuration file's YAML nodes (segment files, mapping files) with
 * one wording for every mistake, placed at the node by the file's own exception.
 */
public final class YamlFields {
  /** Makes the file's exception for a problem at a node (its line and column). */
  public interface Errors {
    RuntimeException at(Node node, String problem);
  }

  private final Errors errors;

  public YamlFields(Errors errors) {
    this.errors = errors;
  }

  /**
   * The keys of a mapping node to their values; a key outside {@code allowed} (with the
   * closest known one suggested) or given twice is an error.
   */
  public Map<String, Node> mapping(Node node, String what, Set<String> allowed) {
    if (!(node instanceof MappingNode map)) {
      throw errors.at(node, what + " must be a mapping of keys to values");
    }
    Map<String, Node> out = new LinkedHashMap<>();
    for (NodeTuple tuple : map.getValue()) {
      String key = scalar(tuple.getKeyNode(), "key");
      if (!allowed.contains(key)) {
        throw errors.at(tuple.getKeyNode(), "unknown key '" + key + "' in " + what
            + " (known: " + String.join(", ", new TreeSet<>(allowed)) + ")"
            + ClosestName.suggestion(key, allowed));
      }
      if (out.put(key, tuple.getValueNode()) != null) {
        throw errors.at(tuple.getKeyNode(), "'" + key + "' is given twice in " + what);
      }
    }
    return out;
  }

  /** The value of {@code key}, which {@code owner} ({@code what}) must have. */
  public Node require(Map<String, Node> map, String key, Node owner, String what) {
    Node node = map.get(key);
    if (node == null) {
      throw errors.at(owner, what + " needs '" + key + "'");
    }
    return node;
  }

  /** A non-blank scalar, stripped. */
  public String scalar(Node node, String key) {
    if (!(node instanceof ScalarNode scalar) || scalar.getValue().isBlank()) {
      throw errors.at(node, "'" + key + "' must be a non-empty value");
    }
    return scalar.getValue().strip();
  }

  /** {@code true} or {@code false}. */
  public boolean bool(Node node, String key) {
    String value = scalar(node, key);
    if (!value.equals("true") && !value.equals("false")) {
      throw errors.at(node, "'" + key + "' must be true or false, got '" + value + "'");
    }
    return Boolean.parseBoolean(value);
  }
}
