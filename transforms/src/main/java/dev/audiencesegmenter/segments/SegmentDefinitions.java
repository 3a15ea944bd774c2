package dev.audiencesegmenter.segments;

import dev.audiencesegmenter.clusters.ClusterSpec;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.cel.bundle.Cel;
import dev.cel.common.CelIssue;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelReference;
import dev.cel.common.types.SimpleType;
import java.io.Serializable;
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
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaRegistry;
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

  /** Cut-offs of the engagement family, in whole percents of customers. */
  public record EngagementCuts(int highTopPercent, int lowBottomPercent) implements Serializable {
    static final EngagementCuts DEFAULT = new EngagementCuts(20, 40);
  }

  /** Cut-offs of the value_tiers family, in whole percents of customers. */
  public record ValueTierCuts(int vipTopPercent, int lowBottomPercent) implements Serializable {
    static final ValueTierCuts DEFAULT = new ValueTierCuts(10, 50);
  }

  static final String RFM = "rfm";
  static final String VALUE_TIERS = "value_tiers";
  static final String GEO_RADIUS = "geo_radius";
  static final String CLUSTERS = "clusters";
  static final String LOOKALIKE = "lookalike";
  static final String LIFECYCLE = "lifecycle";
  static final String ENGAGEMENT = "engagement";
  /** Families whose segments are generated, not listed. */
  private static final Set<String> GENERATED = Set.of(RFM, VALUE_TIERS, CLUSTERS, LOOKALIKE,
      LIFECYCLE, ENGAGEMENT);
  private static final List<String> FAMILIES = List.of(CLUSTERS, ENGAGEMENT, GEO_RADIUS,
      LIFECYCLE, LOOKALIKE, RFM, VALUE_TIERS);
  private static final Set<String> GROUP_KEYS = Set.of("name", "exclusive", "segments",
      "family", "holdout_percent", "vip_top_percent", "low_bottom_percent", "features", "k",
      "seed", "sample_size", "iterations", "seed_segment", "top_n", "min_score",
      "high_top_percent");
  private static final List<String> FAMILY_KEYS = List.of("holdout_percent",
      "vip_top_percent", "low_bottom_percent", "features", "k", "seed", "sample_size",
      "iterations", "seed_segment", "top_n", "min_score", "high_top_percent");
  private static final Set<String> SEGMENT_KEYS = Set.of("name", "description", "when",
      "holdout_percent", "min_size", "min_revenue", "activation", "fit", "strategic_value",
      "accessibility");
  /** The parameters of every segment template (see {@link SegmentTemplates}). */
  private static final Set<String> TEMPLATE_PARAMETERS = SegmentTemplates.all().values()
      .stream().flatMap(t -> t.parameterNames().stream())
      .collect(java.util.stream.Collectors.toUnmodifiableSet());
  private static final Map<String, List<String>> FAMILY_KEY_OWNERS = Map.ofEntries(
      Map.entry("holdout_percent", List.of(RFM, VALUE_TIERS, CLUSTERS, LOOKALIKE, LIFECYCLE,
          ENGAGEMENT)),
      Map.entry("high_top_percent", List.of(ENGAGEMENT)),
      Map.entry("vip_top_percent", List.of(VALUE_TIERS)),
      Map.entry("low_bottom_percent", List.of(VALUE_TIERS, ENGAGEMENT)),
      Map.entry("features", List.of(CLUSTERS, LOOKALIKE)),
      Map.entry("seed_segment", List.of(LOOKALIKE)),
      Map.entry("top_n", List.of(LOOKALIKE)),
      Map.entry("min_score", List.of(LOOKALIKE)),
      Map.entry("k", List.of(CLUSTERS)),
      Map.entry("seed", List.of(CLUSTERS)),
      Map.entry("sample_size", List.of(CLUSTERS)),
      Map.entry("iterations", List.of(CLUSTERS)));

  private final String salt;
  private final List<Group> groups;
  private final ValueTierCuts valueTierCuts;
  private final @Nullable ClusterSpec clusterSpec;
  private final @Nullable LookalikeSpec lookalikeSpec;
  private final EngagementCuts engagementCuts;
  private final Map<String, List<String>> columnsRead;

  private SegmentDefinitions(String salt, List<Group> groups, ValueTierCuts valueTierCuts,
      @Nullable ClusterSpec clusterSpec, @Nullable LookalikeSpec lookalikeSpec,
      EngagementCuts engagementCuts, Map<String, List<String>> columnsRead) {
    this.engagementCuts = engagementCuts;
    this.columnsRead = Map.copyOf(columnsRead);
    this.salt = salt;
    this.groups = List.copyOf(groups);
    this.valueTierCuts = valueTierCuts;
    this.clusterSpec = clusterSpec;
    this.lookalikeSpec = lookalikeSpec;
  }

  /**
   * The feature columns each segment's condition reads, by segment name (sorted), as the type
   * checker resolved them: what a step applying the rules needs filled.
   */
  public Map<String, List<String>> getColumnsRead() {
    return columnsRead;
  }

  /** The engagement family's cut-offs (defaults 20 and 40 without such a group). */
  public EngagementCuts getEngagementCuts() {
    return engagementCuts;
  }

  /** The lookalike family's settings, or null without a lookalike group. */
  public @Nullable LookalikeSpec getLookalikeSpec() {
    return lookalikeSpec;
  }

  /** The clusters family's settings, or null without a clusters group. */
  public @Nullable ClusterSpec getClusterSpec() {
    return clusterSpec;
  }

  /** The value_tiers family's cut-offs (defaults 10 and 50 without such a group). */
  public ValueTierCuts getValueTierCuts() {
    return valueTierCuts;
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
    private final Map<String, List<String>> columnsRead = new LinkedHashMap<>();

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
          for (Map.Entry<String, String[]> generated : generatedSegments(family, cuts,
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
        groups.add(new Group(groupName, exclusive, segments));
        segments.forEach(seg -> conditions.put(seg.name(), seg.when()));
      }
      return new SegmentDefinitions(salt, groups, cuts, clusterSpec, lookalikeSpec,
          engagementCuts, columnsRead);
    }

    private ValueTierCuts valueTierCuts(Map<String, Node> g, String group) {
      int vip = g.containsKey("vip_top_percent")
          ? wholePercent(g.get("vip_top_percent"), "vip_top_percent") : 10;
      int low = g.containsKey("low_bottom_percent")
          ? wholePercent(g.get("low_bottom_percent"), "low_bottom_percent") : 50;
      try {
        AddSegmentScores.create().withValueTiers(vip, low); // the one place the rule lives
      } catch (IllegalArgumentException e) {
        Node at = g.containsKey("low_bottom_percent") ? g.get("low_bottom_percent")
            : g.get("vip_top_percent");
        throw error(at, "group '" + group + "': " + e.getMessage());
      }
      return new ValueTierCuts(vip, low);
    }

    private EngagementCuts engagementCuts(Map<String, Node> g, String group) {
      int high = g.containsKey("high_top_percent")
          ? wholePercent(g.get("high_top_percent"), "high_top_percent") : 20;
      int low = g.containsKey("low_bottom_percent")
          ? wholePercent(g.get("low_bottom_percent"), "low_bottom_percent") : 40;
      try {
        AddSegmentScores.create().withEngagementTiers(high, low); // the rule lives there
      } catch (IllegalArgumentException e) {
        Node at = g.containsKey("low_bottom_percent") ? g.get("low_bottom_percent")
            : g.get("high_top_percent");
        throw error(at, "group '" + group + "': " + e.getMessage());
      }
      return new EngagementCuts(high, low);
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

    /** name to {description, condition}, in priority order. */
    private static Map<String, String[]> generatedSegments(String family, ValueTierCuts cuts,
        @Nullable ClusterSpec clusters, @Nullable LookalikeSpec lookalike) {
      Map<String, String[]> out = new LinkedHashMap<>();
      switch (family) {
        case ENGAGEMENT -> {
          for (String tier : ValueTiers.ENGAGEMENT_TIERS) {
            out.put(tier, new String[] {"Engagement tier " + tier + " by engagement_score "
                + "percentile", "engagement_tier == \"" + tier + "\""});
          }
        }
        case LIFECYCLE -> {
          // Priority order: a stage's own rules already make them exclusive.
          out.put(AssignLifecycleStage.NEW, new String[] {"First seen recently (lifecycle_stage "
              + "new)", "lifecycle_stage == \"new\""});
          out.put(AssignLifecycleStage.REACTIVATED, new String[] {"Came back after a "
              + "churn-long gap (lifecycle_stage reactivated)",
              "lifecycle_stage == \"reactivated\""});
          out.put(AssignLifecycleStage.ACTIVE, new String[] {"Active recently and likely alive "
              + "(lifecycle_stage active)", "lifecycle_stage == \"active\""});
          out.put(AssignLifecycleStage.AT_RISK, new String[] {"Quiet for a while or P(alive) "
              + "falling (lifecycle_stage at_risk)", "lifecycle_stage == \"at_risk\""});
          out.put(AssignLifecycleStage.CHURNED, new String[] {"Gone quiet for the churn gap or "
              + "P(alive) very low (lifecycle_stage churned)",
              "lifecycle_stage == \"churned\""});
        }
        case LOOKALIKE -> out.put(lookalike.seedSegment(), new String[] {"Customers outside "
            + lookalike.seedSegment() + " who look most like it on "
            + String.join(", ", lookalike.columns())
            + (lookalike.topN() > 0 ? " (the best " + lookalike.topN() + ")" : "")
            + (lookalike.minScore() > 0 ? " (score at least " + lookalike.minScore() + ")" : ""),
            "lookalike_selected != null && lookalike_selected"});
        case CLUSTERS -> {
          for (int n = 1; n <= clusters.maxClusters(); n++) {
            out.put(String.valueOf(n), new String[] {"k-means cluster " + n + " on "
                + String.join(", ", clusters.columns()) + (clusters.k() == 0
                ? " (k chosen by silhouette: a cluster above k stays empty)" : "")
                + "; its profile and name are in model/clusters.json", "cluster == " + n});
          }
        }
        case RFM -> RfmScores.SEGMENTS.forEach(name -> out.put(name, new String[] {
            RfmScores.describe(name), "rfm_segment == \"" + name + "\""}));
        case VALUE_TIERS -> {
          out.put("vip", new String[] {"Top " + cuts.vipTopPercent()
              + "% of customers by predicted 12-month lifetime value",
              "value_tier == \"vip\""});
          out.put("standard", new String[] {"Between the vip and low tiers by predicted "
              + "12-month lifetime value", "value_tier == \"standard\""});
          out.put("low", new String[] {"Bottom " + cuts.lowBottomPercent()
              + "% of customers by predicted 12-month lifetime value",
              "value_tier == \"low\""});
        }
        default -> throw new IllegalStateException(family);
      }
      return out;
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
      Node nameNode = expansion == null ? require(s, "name", node, "a segment of group '"
          + group + "'") : s.getOrDefault("name", templateNode);
      String name = s.containsKey("name") || expansion == null ? scalar(nameNode, "name")
          : expansion.defaultName();
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
