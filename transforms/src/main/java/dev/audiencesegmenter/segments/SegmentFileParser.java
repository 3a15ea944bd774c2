package dev.audiencesegmenter.segments;

import static dev.audiencesegmenter.segments.SegmentFamilies.CLUSTERS;
import static dev.audiencesegmenter.segments.SegmentFamilies.ENGAGEMENT;
import static dev.audiencesegmenter.segments.SegmentFamilies.FAMILIES;
import static dev.audiencesegmenter.segments.SegmentFamilies.FAMILY_KEYS;
import static dev.audiencesegmenter.segments.SegmentFamilies.FAMILY_KEY_OWNERS;
import static dev.audiencesegmenter.segments.SegmentFamilies.GENERATED;
import static dev.audiencesegmenter.segments.SegmentFamilies.GEO_RADIUS;
import static dev.audiencesegmenter.segments.SegmentFamilies.LOOKALIKE;
import static dev.audiencesegmenter.segments.SegmentFamilies.VALUE_TIERS;

import dev.audiencesegmenter.clusters.ClusterSpec;
import dev.audiencesegmenter.features.AddProfileTraits;
import dev.audiencesegmenter.segments.SegmentDefinitions.EngagementCuts;
import dev.audiencesegmenter.segments.SegmentDefinitions.Group;
import dev.audiencesegmenter.segments.SegmentDefinitions.Segment;
import dev.audiencesegmenter.segments.SegmentDefinitions.ValueTierCuts;
import dev.audiencesegmenter.yaml.YamlFields;
import dev.cel.bundle.Cel;
import dev.cel.common.CelIssue;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelReference;
import dev.cel.common.types.SimpleType;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.schemas.Schema;
import org.checkerframework.checker.nullness.qual.Nullable;
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
 * Reads a segment file: checks its structure key by key, expands families ({@link
 * SegmentFamilies}) and templates ({@link SegmentTemplates}), type-checks every rule against
 * the feature columns, and reports each mistake with the file, line and column.
 */
final class SegmentFileParser {
  private static final Set<String> GROUP_KEYS = Set.of("name", "exclusive", "segments",
      "family", "holdout_percent", "vip_top_percent", "low_bottom_percent", "features", "k",
      "seed", "sample_size", "iterations", "seed_segment", "top_n", "min_score",
      "high_top_percent", "destinations");
  private static final Set<String> SEGMENT_KEYS = Set.of("name", "description", "when",
      "holdout_percent", "min_size", "min_revenue", "activation", "fit", "strategic_value",
      "accessibility", "destinations");
  private static final Set<String> DESTINATION_KEYS = Set.of("platform", "list", "tag",
      "attribute", "mode", "fields", "receives");
  /** The parameters of every segment template (see {@link SegmentTemplates}). */
  private static final Set<String> TEMPLATE_PARAMETERS = SegmentTemplates.all().values()
      .stream().flatMap(t -> t.parameterNames().stream())
      .collect(java.util.stream.Collectors.toUnmodifiableSet());
  private static final Pattern UNDECLARED =
      Pattern.compile("undeclared reference to '([^']+)'");

  private final String source;
  private final Schema schema;
  private final Cel cel;
  private final Map<String, List<String>> columnsRead = new LinkedHashMap<>();
  private final @Nullable Set<String> knownTraits;

  private final Map<String, TraitType> traitTypes;
  private final YamlFields yaml = new YamlFields(this::error);
  /** Destinations by segment name, in file order. */
  private final Map<String, List<Destination>> destinations = new LinkedHashMap<>();
  /** Per platform, the first destination's 'receives' and where it was said. */
  private final Map<String, Destination> receivesByPlatform = new HashMap<>();

  SegmentFileParser(String source, Schema schema) {
    this(source, schema, null, Map.of());
  }

  /**
   * With {@code knownTraits}, a rule that names another trait is an error; typed traits are
   * compared as their types.
   */
  SegmentFileParser(String source, Schema schema, @Nullable Set<String> knownTraits,
      Map<String, TraitType> traitTypes) {
    this.source = source;
    this.schema = schema;
    this.cel = FeatureVariables.environment(schema, traitTypes);
    this.knownTraits = knownTraits;
    this.traitTypes = traitTypes;
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
    ValueTierCuts cuts = ValueTierCuts.DEFAULT;
    ClusterSpec clusterSpec = null;
    LookalikeSpec lookalikeSpec = null;
    EngagementCuts engagementCuts = EngagementCuts.DEFAULT;
    Map<String, String> conditions = new HashMap<>();
    Set<String> groupNames = new HashSet<>();
    for (Node groupNode : groupList.getValue()) {
      Map<String, Node> g = mapping(groupNode, "a group", GROUP_KEYS);
      Node groupNameNode = require(g, "name", groupNode, "a group");
      String groupName = scalar(groupNameNode, "name");
      if (!groupNames.add(groupName)) {
        throw error(groupNameNode, "group name '" + groupName + "' is used twice");
      }
      String family = g.containsKey("family") ? scalar(g.get("family"), "family") : null;
      if (family != null && !GENERATED.contains(family) && !family.equals(GEO_RADIUS)) {
        throw error(g.get("family"), "group '" + groupName + "': unknown family '" + family
            + "' (known: " + String.join(", ", FAMILIES) + ")"
            + ClosestName.suggestion(family, FAMILIES));
      }
      for (String key : FAMILY_KEYS) {
        if (g.containsKey(key)
            && (family == null || !FAMILY_KEY_OWNERS.get(key).contains(family))) {
          throw error(g.get(key), "group '" + groupName + "': '" + key + "' belongs to "
              + "a group with family " + String.join(" or ", FAMILY_KEY_OWNERS.get(key)));
        }
      }
      boolean exclusive = g.containsKey("exclusive")
          ? bool(g.get("exclusive"), "exclusive") : family != null
              && GENERATED.contains(family);
      List<Segment> segments = new ArrayList<>();
      if (family != null && GENERATED.contains(family)) {
        if (g.containsKey("segments")) {
          throw error(g.get("segments"), "group '" + groupName + "': the " + family
              + " family defines its own segments; remove 'segments'");
        }
        if (!exclusive) {
          throw error(g.get("exclusive"), "group '" + groupName + "': the " + family
              + " family's segments do not overlap; remove 'exclusive: false'");
        }
        double holdout = g.containsKey("holdout_percent")
            ? holdoutPercent(g.get("holdout_percent"), "group '" + groupName + "'") : 0;
        if (family.equals(VALUE_TIERS)) {
          cuts = valueTierCuts(g, groupName);
        }
        if (family.equals(ENGAGEMENT)) {
          engagementCuts = engagementCuts(g, groupName);
        }
        if (family.equals(CLUSTERS)) {
          if (clusterSpec != null) {
            throw error(g.get("family"), "group '" + groupName + "': only one group may be "
                + "of the clusters family (they share the cluster column)");
          }
          clusterSpec = clusterSpec(g, groupNode, groupName);
        }
        if (family.equals(LOOKALIKE)) {
          if (lookalikeSpec != null) {
            throw error(g.get("family"), "group '" + groupName + "': only one group may be "
                + "of the lookalike family (they share the lookalike columns)");
          }
          lookalikeSpec = lookalikeSpec(g, groupNode, groupName, conditions);
        }
        for (Map.Entry<String, String[]> generated : SegmentFamilies.generatedSegments(family, cuts,
            clusterSpec, lookalikeSpec).entrySet()) {
          String name = groupName + "_" + generated.getKey();
          if (!names.add(name)) {
            throw error(groupNameNode, "segment name '" + name + "' (of the " + family
                + " family) is used twice");
          }
          check(generated.getValue()[1], groupNode, name);
          segments.add(new Segment(name, groupName, generated.getValue()[0],
              generated.getValue()[1], holdout));
        }
      } else {
        Node segmentsNode = require(g, "segments", groupNode, "group '" + groupName + "'");
        if (!(segmentsNode instanceof SequenceNode segmentList)
            || segmentList.getValue().isEmpty()) {
          throw error(segmentsNode, "group '" + groupName
              + "': 'segments' must be a non-empty list");
        }
        if (GEO_RADIUS.equals(family)) {
          for (String column : List.of("lat", "lon")) {
            if (!schema.hasField(column)) {
              throw error(g.get("family"), "group '" + groupName + "': the geo_radius "
                  + "family needs the feature column '" + column + "'");
            }
          }
        }
        for (Node segmentNode : segmentList.getValue()) {
          segments.add(GEO_RADIUS.equals(family)
              ? geoSegment(segmentNode, groupName, names)
              : segment(segmentNode, groupName, names));
        }
      }
      List<Destination> groupDestinations = g.containsKey("destinations")
          ? destinations(g.get("destinations"), "group '" + groupName + "'") : List.of();
      for (Segment seg : segments) {
        addDestinations(seg.name(), groupDestinations, g.get("destinations"));
      }
      groups.add(new Group(groupName, exclusive, segments));
      segments.forEach(seg -> conditions.put(seg.name(), seg.when()));
    }
    return new SegmentDefinitions(salt, groups, cuts, clusterSpec, lookalikeSpec,
        engagementCuts, columnsRead, traitTypes, destinations);
  }

  private ValueTierCuts valueTierCuts(Map<String, Node> g, String group) {
    int vip = percent(g, "vip_top_percent", 10);
    int low = percent(g, "low_bottom_percent", 50);
    // AddSegmentScores is the one place the rule on the cut-offs lives
    checkCuts(g, group, "vip_top_percent", () -> AddSegmentScores.create()
        .withValueTiers(vip, low));
    return new ValueTierCuts(vip, low);
  }

  private EngagementCuts engagementCuts(Map<String, Node> g, String group) {
    int high = percent(g, "high_top_percent", 20);
    int low = percent(g, "low_bottom_percent", 40);
    checkCuts(g, group, "high_top_percent", () -> AddSegmentScores.create()
        .withEngagementTiers(high, low));
    return new EngagementCuts(high, low);
  }

  /** The whole percent under {@code key}, or {@code defaultPercent} without it. */
  private int percent(Map<String, Node> g, String key, int defaultPercent) {
    return g.containsKey(key) ? wholePercent(g.get(key), key) : defaultPercent;
  }

  /**
   * Runs {@code check} on a family's top and bottom cut-offs; its complaint is placed at the
   * bottom cut-off when the group gives one, else at the top one.
   */
  private void checkCuts(Map<String, Node> g, String group, String topKey, Runnable check) {
    try {
      check.run();
    } catch (IllegalArgumentException e) {
      Node at = g.containsKey("low_bottom_percent") ? g.get("low_bottom_percent")
          : g.get(topKey);
      throw error(at, "group '" + group + "': " + e.getMessage());
    }
  }

  private int wholePercent(Node node, String key) {
    String text = scalar(node, key);
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw error(node, "'" + key + "' must be a whole number of percent, got '" + text + "'");
    }
  }

  private LookalikeSpec lookalikeSpec(Map<String, Node> g, Node groupNode, String group,
      Map<String, String> conditions) {
    Node seedNode = require(g, "seed_segment", groupNode, "group '" + group + "'");
    String seed = scalar(seedNode, "seed_segment");
    String when = conditions.get(seed);
    if (when == null) {
      throw error(seedNode, "group '" + group + "': seed_segment '" + seed + "' is not a "
          + "segment defined above it" + ClosestName.suggestion(seed, conditions.keySet()));
    }
    List<String> columns = numericColumns(g, groupNode, group);
    int topN = g.containsKey("top_n") ? (int) whole(g.get("top_n"), "top_n") : 0;
    double minScore = g.containsKey("min_score") ? number(g.get("min_score"), "min_score") : 0;
    try {
      return new LookalikeSpec(seed, when, columns, topN, minScore);
    } catch (IllegalArgumentException e) {
      throw error(groupNode, "group '" + group + "': " + e.getMessage());
    }
  }

  private ClusterSpec clusterSpec(Map<String, Node> g, Node groupNode, String group) {
    List<String> columns = numericColumns(g, groupNode, group);
    int k = g.containsKey("k") ? (int) whole(g.get("k"), "k") : 0;
    long seed = g.containsKey("seed") ? whole(g.get("seed"), "seed") : 1;
    int sample = g.containsKey("sample_size")
        ? (int) whole(g.get("sample_size"), "sample_size") : ClusterSpec.DEFAULT_SAMPLE_SIZE;
    int iterations = g.containsKey("iterations")
        ? (int) whole(g.get("iterations"), "iterations") : ClusterSpec.DEFAULT_ITERATIONS;
    try {
      return new ClusterSpec(columns, k, seed, sample, iterations);
    } catch (IllegalArgumentException e) {
      throw error(groupNode, "group '" + group + "': " + e.getMessage());
    }
  }

  private List<String> numericColumns(Map<String, Node> g, Node groupNode, String group) {
    Node featuresNode = require(g, "features", groupNode, "group '" + group + "'");
    if (!(featuresNode instanceof SequenceNode list) || list.getValue().isEmpty()) {
      throw error(featuresNode, "group '" + group
          + "': 'features' must be a non-empty list of numeric feature columns");
    }
    List<String> columns = new ArrayList<>();
    for (Node column : list.getValue()) {
      String name = scalar(column, "features");
      if (!schema.hasField(name)) {
        throw error(column, "group '" + group + "': unknown column '" + name + "'"
            + ClosestName.suggestion(name, columnNames()));
      }
      if (!schema.getField(name).getType().getTypeName().isNumericType()) {
        throw error(column, "group '" + group + "': column '" + name + "' is not numeric, "
            + "it is " + schema.getField(name).getType().getTypeName());
      }
      columns.add(name);
    }
    return columns;
  }

  private long whole(Node node, String key) {
    String text = scalar(node, key);
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw error(node, "'" + key + "' must be a whole number, got '" + text + "'");
    }
  }

  private Segment geoSegment(Node node, String group, Set<String> names) {
    Map<String, Node> s = mapping(node, "a geo_radius segment",
        Set.of("name", "description", "center", "radius_km", "holdout_percent"));
    Node nameNode = require(s, "name", node, "a segment of group '" + group + "'");
    String name = scalar(nameNode, "name");
    if (!names.add(name)) {
      throw error(nameNode, "segment name '" + name + "' is used twice");
    }
    Node centerNode = require(s, "center", node, "segment '" + name + "'");
    double[] center = new double[2];
    if (!(centerNode instanceof SequenceNode list) || list.getValue().size() != 2) {
      throw error(centerNode, "segment '" + name
          + "': 'center' must be [latitude, longitude] in decimal degrees");
    }
    for (int i = 0; i < 2; i++) {
      Node coordinate = list.getValue().get(i);
      center[i] = number(coordinate, "center");
      double bound = i == 0 ? 90 : 180;
      if (Math.abs(center[i]) > bound) {
        throw error(coordinate, "segment '" + name + "': " + (i == 0 ? "latitude" : "longitude")
            + " must be from -" + (int) bound + " to " + (int) bound + ", got " + center[i]);
      }
    }
    Node radiusNode = require(s, "radius_km", node, "segment '" + name + "'");
    double radius = number(radiusNode, "radius_km");
    if (!(radius > 0)) {
      throw error(radiusNode, "segment '" + name + "': radius_km must be above 0, got "
          + radius);
    }
    String when = "lat != null && lon != null && " + FeatureVariables.DISTANCE_KM
        + "(lat, lon, " + center[0] + ", " + center[1] + ") <= " + radius;
    check(when, node, name);
    double holdout = s.containsKey("holdout_percent")
        ? holdoutPercent(s.get("holdout_percent"), "segment '" + name + "'") : 0;
    String description = s.containsKey("description")
        ? scalar(s.get("description"), "description")
        : "Within " + radius + " km of (" + center[0] + ", " + center[1] + ")";
    return new Segment(name, group, description, when, holdout);
  }

  private double number(Node node, String key) {
    String text = scalar(node, key);
    try {
      double value = Double.parseDouble(text);
      if (Double.isFinite(value)) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw error(node, "'" + key + "' must be a number, got '" + text + "'");
  }

  private double holdoutPercent(Node node, String owner) {
    String text = scalar(node, "holdout_percent");
    double holdout;
    try {
      holdout = Double.parseDouble(text);
    } catch (NumberFormatException e) {
      holdout = Double.NaN;
    }
    if (!(holdout >= 0 && holdout <= 100)) {
      throw error(node, owner + ": holdout_percent must be a number from 0 to 100, got '"
          + text + "'");
    }
    return holdout;
  }

  private Segment segment(Node node, String group, Set<String> names) {
    Set<String> allowed = new HashSet<>(SEGMENT_KEYS);
    allowed.add("template");
    boolean templated = node instanceof MappingNode map && map.getValue().stream()
        .anyMatch(tuple -> tuple.getKeyNode() instanceof ScalarNode key
            && key.getValue().equals("template"));
    if (templated) {
      allowed.addAll(TEMPLATE_PARAMETERS); // the template says which are its own
    } else if (node instanceof MappingNode map) {
      for (NodeTuple tuple : map.getValue()) {
        if (tuple.getKeyNode() instanceof ScalarNode key
            && TEMPLATE_PARAMETERS.contains(key.getValue())) {
          throw error(tuple.getKeyNode(), "'" + key.getValue() + "' is a parameter of "
              + "segment templates: add 'template: <name>' to this segment (of group '"
              + group + "'), or remove it");
        }
      }
    }
    Map<String, Node> s = mapping(node, "a segment", allowed);
    Node templateNode = s.get("template");
    SegmentTemplates.Expansion expansion =
        templateNode == null ? null : template(s, templateNode, group);
    Node nameNode;
    String name;
    if (expansion != null && !s.containsKey("name")) {
      nameNode = templateNode;
      name = expansion.defaultName();
    } else {
      nameNode = require(s, "name", node, "a segment of group '" + group + "'");
      name = scalar(nameNode, "name");
    }
    if (!names.add(name)) {
      throw error(nameNode, "segment name '" + name + "' is used twice"
          + (s.containsKey("name") ? "" : ": give the templated segment a 'name'"));
    }
    String when;
    Node whenNode;
    if (expansion == null) {
      whenNode = require(s, "when", node, "segment '" + name + "'");
      when = scalar(whenNode, "when");
    } else {
      whenNode = templateNode;
      when = expansion.when();
    }
    check(when, whenNode, name);
    double holdout = s.containsKey("holdout_percent")
        ? holdoutPercent(s.get("holdout_percent"), "segment '" + name + "'") : 0;
    String description = s.containsKey("description")
        ? scalar(s.get("description"), "description")
        : expansion == null ? "" : expansion.description();
    if (s.containsKey("destinations")) {
      addDestinations(name, destinations(s.get("destinations"), "segment '" + name + "'"),
          s.get("destinations"));
    }
    return new Segment(name, group, description, when, holdout, plan(s, name));
  }

  /** The rule a {@code template:} segment stands for, from its parameters. */
  private SegmentTemplates.Expansion template(Map<String, Node> s, Node templateNode,
      String group) {
    if (s.containsKey("when")) {
      throw error(s.get("when"), "a segment of group '" + group + "' gives both 'template' "
          + "and 'when': keep one (a template writes the rule)");
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Map.Entry<String, Node> entry : s.entrySet()) {
      if (TEMPLATE_PARAMETERS.contains(entry.getKey())) {
        values.put(entry.getKey(), scalar(entry.getValue(), entry.getKey()));
      }
    }
    try {
      return SegmentTemplates.expand(scalar(templateNode, "template"), values);
    } catch (IllegalArgumentException e) {
      throw error(templateNode, "group '" + group + "': " + e.getMessage());
    }
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

  /** A list of destinations, each checked (see {@link Destination}). */
  private List<Destination> destinations(Node node, String owner) {
    if (!(node instanceof SequenceNode list) || list.getValue().isEmpty()) {
      throw error(node, owner + ": 'destinations' must be a non-empty list, e.g. "
          + "[{platform: hubspot, list: \"1234\"}]");
    }
    List<Destination> out = new ArrayList<>();
    for (Node item : list.getValue()) {
      out.add(destination(item, owner));
    }
    return out;
  }

  private Destination destination(Node node, String owner) {
    Map<String, Node> d = mapping(node, "a destination of " + owner, DESTINATION_KEYS);
    Node platformNode = require(d, "platform", node, "a destination of " + owner);
    String platform = scalar(platformNode, "platform");
    if (!Destination.PLATFORMS.contains(platform)) {
      throw error(platformNode, owner + ": unknown platform '" + platform + "' (known: "
          + String.join(", ", Destination.PLATFORMS) + ")"
          + ClosestName.suggestion(platform, Destination.PLATFORMS));
    }
    String targetKey = Destination.TARGET_KEYS.get(platform);
    for (String key : List.of("list", "tag", "attribute")) {
      if (d.containsKey(key) && !key.equals(targetKey)) {
        throw error(d.get(key), owner + ": a " + platform + " destination "
            + (targetKey == null ? "takes no '" + key + "' (its segments go in the segments "
                + "field of the sink mapping)" : "names its " + targetKey + " with '"
                + targetKey + "', not '" + key + "'"));
      }
    }
    String target = null;
    if (targetKey != null) {
      Node targetNode = require(d, targetKey, node, owner + ": the " + platform
          + " destination");
      target = scalar(targetNode, targetKey);
      if (target.isBlank()) {
        throw error(targetNode, owner + ": the " + platform + " " + targetKey
            + " must not be blank");
      }
      if (platform.equals("hubspot") && !target.matches("[0-9]+")) {
        throw error(targetNode, owner + ": a HubSpot list is named by its id (digits), got '"
            + target + "'");
      }
    }
    boolean addOnly = false;
    if (d.containsKey("mode")) {
      String mode = scalar(d.get("mode"), "mode");
      if (!List.of("mirror", "add_only").contains(mode)) {
        throw error(d.get("mode"), owner + ": mode must be mirror (members who leave are "
            + "removed) or add_only (they stay), got '" + mode + "'"
            + ClosestName.suggestion(mode, List.of("mirror", "add_only")));
      }
      addOnly = mode.equals("add_only");
    }
    boolean everyone = false;
    if (d.containsKey("receives")) {
      String receives = scalar(d.get("receives"), "receives");
      if (!List.of("members", "everyone").contains(receives)) {
        throw error(d.get("receives"), owner + ": receives must be members (the segment's "
            + "members only) or everyone (every reachable customer), got '" + receives + "'");
      }
      everyone = receives.equals("everyone");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    if (d.containsKey("fields")) {
      Node fieldsNode = d.get("fields");
      if (!(fieldsNode instanceof MappingNode map)) {
        throw error(fieldsNode, owner + ": fields must map feature columns to the "
            + platform + " fields, e.g. {monetary_total: lifetime_value}");
      }
      for (NodeTuple tuple : map.getValue()) {
        String column = scalar(tuple.getKeyNode(), "fields");
        if (!schema.hasField(column)) {
          throw error(tuple.getKeyNode(), owner + ": unknown feature column '" + column
              + "' in the fields of the " + platform + " destination"
              + ClosestName.suggestion(column, columnNames()));
        }
        fields.put(column, scalar(tuple.getValueNode(), column));
      }
    }
    Mark mark = node.getStartMark();
    return new Destination(platform, target, fields, addOnly, everyone,
        source + ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1));
  }

  /** Adds a segment's destinations: one per platform, and one 'receives' per platform. */
  private void addDestinations(String segment, List<Destination> more, Node node) {
    List<Destination> own = destinations.computeIfAbsent(segment, k -> new ArrayList<>());
    for (Destination destination : more) {
      for (Destination earlier : own) {
        if (earlier.platform().equals(destination.platform())) {
          throw error(node, "segment '" + segment + "' goes to " + destination.platform()
              + " twice (" + earlier.where() + " and " + destination.where() + ")");
        }
      }
      Destination first = receivesByPlatform.putIfAbsent(destination.platform(), destination);
      if (first != null && first.everyone() != destination.everyone()) {
        throw error(node, destination.platform() + " receives "
            + (first.everyone() ? "everyone" : "members") + " at " + first.where() + " but "
            + (destination.everyone() ? "everyone" : "members") + " at "
            + destination.where() + ": a platform receives one or the other");
      }
      own.add(destination);
    }
    if (own.isEmpty()) {
      destinations.remove(segment);
    }
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
    if (knownTraits != null) {
      checkTraits(when, whenNode, segment);
    }
    try {
      columnsRead.put(segment, result.getAst().getReferenceMap().values().stream()
          .map(CelReference::name).filter(schema::hasField).distinct().sorted().toList());
      if (!result.getAst().getResultType().equals(SimpleType.BOOL)) {
        throw error(whenNode, "segment '" + segment + "': `" + when
            + "` must be true or false, but is of type "
            + result.getAst().getResultType().name());
      }
    } catch (dev.cel.common.CelValidationException e) {
      throw error(whenNode, "segment '" + segment + "': " + e.getMessage());
    }
  }

  /**
   * {@code traits.x}, {@code traits["x"]} and {@code "x" in traits} (not {@code "x" in
   * traits.y}, a value in a list trait): the trait named.
   */
  private static final Pattern TRAIT = Pattern.compile(
      "\\btraits\\s*\\.\\s*([A-Za-z_][A-Za-z0-9_]*)"
          + "|\\btraits\\s*\\[\\s*[\"']([^\"']*)[\"']\\s*\\]"
          + "|[\"']([^\"']*)[\"']\\s+in\\s+traits\\b(?!\\s*[.\\[])");

  /**
   * The traits a rule names must be among those the profile sources declare (their mappings'
   * attributes); a trait with a column of its own is read by that column.
   */
  private void checkTraits(String when, Node whenNode, String segment) {
    Matcher m = TRAIT.matcher(when);
    while (m.find()) {
      int group = m.group(1) != null ? 1 : m.group(2) != null ? 2 : 3;
      String written = m.group(group);
      String name = AddProfileTraits.traitName(written);
      String problem = null;
      if (AddProfileTraits.COLUMNS.contains(name)) {
        problem = "trait '" + written + "' has a column of its own: write `" + name + "`";
      } else if (!knownTraits.contains(name)) {
        problem = "unknown trait '" + written + "' ("
            + (knownTraits.isEmpty() ? "the profile sources declare none"
                : "the profile sources declare: " + String.join(", ",
                    new java.util.TreeSet<>(knownTraits))) + ")"
            + ClosestName.suggestion(name, knownTraits);
      }
      if (problem != null) {
        Mark mark = whenNode.getStartMark();
        boolean oneLine = when.indexOf('\n') < 0;
        throw new InvalidSegmentDefinitionException(source, mark.getLine() + 1,
            mark.getColumn() + 1 + (oneLine ? m.start(group) : 0),
            "segment '" + segment + "': " + problem + " in `" + when + "`");
      }
    }
  }

  private List<String> columnNames() {
    return schema.getFieldNames();
  }

  private Map<String, Node> mapping(Node node, String what, Set<String> allowed) {
    return yaml.mapping(node, what, allowed);
  }

  private Node require(Map<String, Node> map, String key, Node owner, String what) {
    return yaml.require(map, key, owner, what);
  }

  private String scalar(Node node, String key) {
    return yaml.scalar(node, key);
  }

  private boolean bool(Node node, String key) {
    return yaml.bool(node, key);
  }

  private InvalidSegmentDefinitionException error(Node node, String problem) {
    Mark mark = node.getStartMark();
    return new InvalidSegmentDefinitionException(source, mark.getLine() + 1,
        mark.getColumn() + 1, problem);
  }
}
