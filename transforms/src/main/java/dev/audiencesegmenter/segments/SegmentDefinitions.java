package dev.audiencesegmenter.segments;

import dev.audiencesegmenter.model.CustomerFeatures;
import dev.cel.bundle.Cel;
import dev.cel.common.CelIssue;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.SimpleType;
import java.io.Serializable;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Segment definitions read from YAML, checked completely before any data is read.
 *
 * <pre>
 * salt: "2024"                 # optional: changes which customers fall in holdouts
 * groups:
 *   - name: lifecycle
 *     exclusive: true          # first matching segment, in file order, wins; false: overlap
 *     segments:
 *       - name: loyal_customers
 *         description: Three or more purchases in six months
 *         when: purchases_180d >= 3      # Google CEL over the feature columns
 *         holdout_percent: 10            # optional, 0 to 100, default 0
 *         min_size: 500                  # optional: smaller is flagged as not substantial
 *         min_revenue: 10000             # optional: less revenue is flagged likewise
 *         fit: 7                         # optional prioritization inputs, 1 to 10
 *         strategic_value: 8
 *         activation:                    # optional: the plan (see SegmentPlan)
 *           channels: [email, sms]
 *           message_theme: Thank you, early access
 *           offer: Free shipping
 *           kpi: Repeat purchase rate
 *           owner: CRM team
 * </pre>
 *
 * <p>Every {@code when} is parsed and type-checked against the feature columns; an unknown key,
 * a missing field, a duplicate segment name, a bad holdout, a syntax error, an unknown column
 * (with the closest known name) or a condition that is not a boolean fails here, with the file,
 * line and column in the message.
 */
public final class SegmentDefinitions implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One segment: a named condition within a group, and what the file says about acting on it. */
  public record Segment(String name, String group, String description, String when,
      double holdoutPercent, SegmentPlan plan) implements Serializable {
    public Segment {
      plan = plan == null ? SegmentPlan.NONE : plan;
    }

    /** A segment without thresholds, activation plan or prioritization inputs. */
    public Segment(String name, String group, String description, String when,
        double holdoutPercent) {
      this(name, group, description, when, holdoutPercent, SegmentPlan.NONE);
    }
  }

  /** A group of segments, exclusive (first match wins) or overlapping. */
  public record Group(String name, boolean exclusive, List<Segment> segments)
      implements Serializable {}

  private final String salt;
  private final List<Group> groups;

  private SegmentDefinitions(String salt, List<Group> groups) {
    this.salt = salt;
    this.groups = List.copyOf(groups);
  }

  public String getSalt() {
    return salt;
  }

  public List<Group> getGroups() {
    return groups;
  }

  /** All segments, in file order. */
  public List<Segment> getSegments() {
    List<Segment> all = new ArrayList<>();
    groups.forEach(g -> all.addAll(g.segments()));
    return all;
  }

  /** Parses and checks {@code yamlText}; {@code sourceName} (the file) goes in messages. */
  public static SegmentDefinitions parse(String yamlText, String sourceName) {
    return new Parser(sourceName, featureSchema()).parse(yamlText);
  }

  static Schema featureSchema() {
    try {
      return SchemaRegistry.createDefault().getSchema(CustomerFeatures.class);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("CustomerFeatures has no schema", e);
    }
  }

  private static final class Parser {
    private static final Pattern UNDECLARED =
        Pattern.compile("undeclared reference to '([^']+)'");

    private final String source;
    private final Schema schema;
    private final Cel cel;

    Parser(String source, Schema schema) {
      this.source = source;
      this.schema = schema;
      this.cel = FeatureVariables.environment(schema);
    }

    SegmentDefinitions parse(String text) {
      Node root;
      try {
        root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
      } catch (MarkedYAMLException e) {
        Mark mark = e.getProblemMark();
        throw new InvalidSegmentDefinitionException(source, mark.getLine() + 1,
            mark.getColumn() + 1, "not valid YAML: " + e.getProblem());
      }
      if (root == null) {
        throw new InvalidSegmentDefinitionException(source, 1, 1, "the file is empty");
      }
      Map<String, Node> top = mapping(root, "the top level", Set.of("salt", "groups"));
      String salt = top.containsKey("salt") ? scalar(top.get("salt"), "salt") : "";
      Node groupsNode = require(top, "groups", root, "the top level");
      if (!(groupsNode instanceof SequenceNode groupList) || groupList.getValue().isEmpty()) {
        throw error(groupsNode, "'groups' must be a non-empty list of groups");
      }
      List<Group> groups = new ArrayList<>();
      Set<String> names = new HashSet<>();
      for (Node groupNode : groupList.getValue()) {
        Map<String, Node> g = mapping(groupNode, "a group",
            Set.of("name", "exclusive", "segments"));
        String groupName = scalar(require(g, "name", groupNode, "a group"), "name");
        boolean exclusive = g.containsKey("exclusive")
            && bool(g.get("exclusive"), "exclusive");
        Node segmentsNode = require(g, "segments", groupNode, "group '" + groupName + "'");
        if (!(segmentsNode instanceof SequenceNode segmentList)
            || segmentList.getValue().isEmpty()) {
          throw error(segmentsNode, "group '" + groupName
              + "': 'segments' must be a non-empty list");
        }
        List<Segment> segments = new ArrayList<>();
        for (Node segmentNode : segmentList.getValue()) {
          segments.add(segment(segmentNode, groupName, names));
        }
        groups.add(new Group(groupName, exclusive, segments));
      }
      return new SegmentDefinitions(salt, groups);
    }

    private Segment segment(Node node, String group, Set<String> names) {
      Map<String, Node> s = mapping(node, "a segment", Set.of("name", "description", "when",
          "holdout_percent", "min_size", "min_revenue", "activation", "fit", "strategic_value",
          "accessibility"));
      Node nameNode = require(s, "name", node, "a segment of group '" + group + "'");
      String name = scalar(nameNode, "name");
      if (!names.add(name)) {
        throw error(nameNode, "segment name '" + name + "' is used twice");
      }
      Node whenNode = require(s, "when", node, "segment '" + name + "'");
      String when = scalar(whenNode, "when");
      check(when, whenNode, name);
      double holdout = 0;
      if (s.containsKey("holdout_percent")) {
        String text = scalar(s.get("holdout_percent"), "holdout_percent");
        try {
          holdout = Double.parseDouble(text);
        } catch (NumberFormatException e) {
          holdout = Double.NaN;
        }
        if (!(holdout >= 0 && holdout <= 100)) {
          throw error(s.get("holdout_percent"), "segment '" + name
              + "': holdout_percent must be a number from 0 to 100, got '" + text + "'");
        }
      }
      String description = s.containsKey("description")
          ? scalar(s.get("description"), "description") : "";
      return new Segment(name, group, description, when, holdout, plan(s, name));
    }

    /** The optional thresholds, activation plan and prioritization inputs of a segment. */
    private SegmentPlan plan(Map<String, Node> s, String segment) {
      long minSize = 0;
      if (s.containsKey("min_size")) {
        String text = scalar(s.get("min_size"), "min_size");
        try {
          minSize = Long.parseLong(text);
        } catch (NumberFormatException e) {
          minSize = -1;
        }
        if (minSize < 0) {
          throw error(s.get("min_size"), "segment '" + segment
              + "': min_size must be a whole number of customers, 0 or more, got '" + text + "'");
        }
      }
      java.math.BigDecimal minRevenue = null;
      if (s.containsKey("min_revenue")) {
        String text = scalar(s.get("min_revenue"), "min_revenue");
        try {
          minRevenue = new java.math.BigDecimal(text);
        } catch (NumberFormatException e) {
          throw error(s.get("min_revenue"), "segment '" + segment
              + "': min_revenue must be a number, got '" + text + "'");
        }
      }
      SegmentPlan.Activation activation = null;
      if (s.containsKey("activation")) {
        Node planNode = s.get("activation");
        Map<String, Node> a = mapping(planNode, "the activation plan of segment '" + segment
            + "'", Set.of("channels", "message_theme", "offer", "kpi", "owner"));
        List<String> channels = new ArrayList<>();
        if (a.containsKey("channels")) {
          Node channelsNode = a.get("channels");
          if (!(channelsNode instanceof SequenceNode list) || list.getValue().isEmpty()) {
            throw error(channelsNode, "segment '" + segment
                + "': activation channels must be a non-empty list, e.g. [email, sms]");
          }
          for (Node channel : list.getValue()) {
            String name = scalar(channel, "channels");
            if (!name.matches("[a-z][a-z0-9_]*")) {
              throw error(channel, "segment '" + segment + "': channel '" + name
                  + "' must be a lower-case name such as email, sms, push or paid_social");
            }
            channels.add(name);
          }
        }
        activation = new SegmentPlan.Activation(channels, text(a, "message_theme"),
            text(a, "offer"), text(a, "kpi"), text(a, "owner"));
      }
      return new SegmentPlan(minSize, minRevenue, activation, score(s, "fit", segment),
          score(s, "strategic_value", segment), score(s, "accessibility", segment));
    }

    private String text(Map<String, Node> map, String key) {
      return map.containsKey(key) ? scalar(map.get(key), key) : "";
    }

    /** A prioritization input: a whole number from 1 to 10, or null when not given. */
    private Integer score(Map<String, Node> s, String key, String segment) {
      if (!s.containsKey(key)) {
        return null;
      }
      String text = scalar(s.get(key), key);
      int value;
      try {
        value = Integer.parseInt(text);
      } catch (NumberFormatException e) {
        value = 0;
      }
      if (value < 1 || value > 10) {
        throw error(s.get(key), "segment '" + segment + "': " + key
            + " must be a whole number from 1 to 10, got '" + text + "'");
      }
      return value;
    }

    /** Type-checks a condition; issues are placed at the YAML position of the expression. */
    private void check(String when, Node whenNode, String segment) {
      CelValidationResult result = cel.compile(when);
      if (result.hasError()) {
        CelIssue issue = result.getErrors().get(0);
        String message = issue.getMessage();
        Matcher undeclared = UNDECLARED.matcher(message);
        if (undeclared.find()) {
          message = "unknown column '" + undeclared.group(1) + "'"
              + ClosestName.suggestion(undeclared.group(1), columnNames());
        }
        Mark mark = whenNode.getStartMark();
        int line = mark.getLine() + 1 + Math.max(0, issue.getSourceLocation().getLine() - 1);
        int column = issue.getSourceLocation().getLine() <= 1
            ? mark.getColumn() + 1 + Math.max(0, issue.getSourceLocation().getColumn())
            : Math.max(0, issue.getSourceLocation().getColumn()) + 1;
        throw new InvalidSegmentDefinitionException(source, line, column,
            "segment '" + segment + "': " + message + " in `" + when + "`");
      }
      try {
        if (!result.getAst().getResultType().equals(SimpleType.BOOL)) {
          throw error(whenNode, "segment '" + segment + "': `" + when
              + "` must be true or false, but is of type "
              + result.getAst().getResultType().name());
        }
      } catch (dev.cel.common.CelValidationException e) {
        throw error(whenNode, "segment '" + segment + "': " + e.getMessage());
      }
    }

    private List<String> columnNames() {
      return schema.getFieldNames();
    }

    private Map<String, Node> mapping(Node node, String what, Set<String> allowed) {
      if (!(node instanceof MappingNode map)) {
        throw error(node, what + " must be a mapping of keys to values");
      }
      Map<String, Node> out = new LinkedHashMap<>();
      for (NodeTuple tuple : map.getValue()) {
        String key = scalar(tuple.getKeyNode(), "key");
        if (!allowed.contains(key)) {
          throw error(tuple.getKeyNode(), "unknown key '" + key + "' in " + what
              + " (known: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")"
              + ClosestName.suggestion(key, allowed));
        }
        out.put(key, tuple.getValueNode());
      }
      return out;
    }

    private Node require(Map<String, Node> map, String key, Node owner, String what) {
      Node node = map.get(key);
      if (node == null) {
        throw error(owner, what + " needs '" + key + "'");
      }
      return node;
    }

    private String scalar(Node node, String key) {
      if (!(node instanceof ScalarNode scalar) || scalar.getValue().isBlank()) {
        throw error(node, "'" + key + "' must be a non-empty value");
      }
      return scalar.getValue().strip();
    }

    private boolean bool(Node node, String key) {
      String value = scalar(node, key);
      if (!value.equals("true") && !value.equals("false")) {
        throw error(node, "'" + key + "' must be true or false, got '" + value + "'");
      }
      return Boolean.parseBoolean(value);
    }

    private InvalidSegmentDefinitionException error(Node node, String problem) {
      Mark mark = node.getStartMark();
      return new InvalidSegmentDefinitionException(source, mark.getLine() + 1,
          mark.getColumn() + 1, problem);
    }
  }
}
