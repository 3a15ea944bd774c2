package dev.audiencesegmenter.segments;

import dev.audiencesegmenter.clusters.ClusterSpec;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Segment definitions read from YAML ({@link SegmentFileParser}), checked completely before
 * any data is read.
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

  private final String salt;
  private final List<Group> groups;
  private final ValueTierCuts valueTierCuts;
  private final @Nullable ClusterSpec clusterSpec;
  private final @Nullable LookalikeSpec lookalikeSpec;
  private final EngagementCuts engagementCuts;
  private final Map<String, List<String>> columnsRead;
  private final Map<String, TraitType> traitTypes;
  private final Map<String, List<Destination>> destinations;

  SegmentDefinitions(String salt, List<Group> groups, ValueTierCuts valueTierCuts,
      @Nullable ClusterSpec clusterSpec, @Nullable LookalikeSpec lookalikeSpec,
      EngagementCuts engagementCuts, Map<String, List<String>> columnsRead,
      Map<String, TraitType> traitTypes, Map<String, List<Destination>> destinations) {
    Map<String, List<Destination>> copied = new java.util.LinkedHashMap<>();
    destinations.forEach((segment, list) -> copied.put(segment, List.copyOf(list)));
    this.destinations = java.util.Collections.unmodifiableMap(copied);
    this.traitTypes = Map.copyOf(traitTypes);
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

  /**
   * Where the file sends each segment (segment name to its destinations, in file order; a
   * group's destinations count for each of its segments). Empty: the file routes nothing.
   */
  public Map<String, List<Destination>> getDestinations() {
    return destinations;
  }

  /** The trait types the profile sources declare, which rules compare traits by. */
  public Map<String, TraitType> getTraitTypes() {
    return traitTypes;
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
    return new SegmentFileParser(sourceName, featureSchema()).parse(yamlText);
  }

  /**
   * As {@link #parse(String, String)}, and the profile traits a rule names ({@code traits.plan},
   * {@code traits["plan"]}, {@code "plan" in traits}) must be among {@code knownTraits} (the
   * traits the profile sources declare, lower-case), or the file is refused at that rule.
   */
  public static SegmentDefinitions parse(String yamlText, String sourceName,
      java.util.Set<String> knownTraits) {
    return parse(yamlText, sourceName, knownTraits, Map.of());
  }

  /**
   * As {@link #parse(String, String, java.util.Set)}, with the types some traits are declared
   * with: rules compare those as numbers or booleans ({@code traits.age >= 30}).
   */
  public static SegmentDefinitions parse(String yamlText, String sourceName,
      java.util.@Nullable Set<String> knownTraits, Map<String, TraitType> traitTypes) {
    return new SegmentFileParser(sourceName, featureSchema(), knownTraits, traitTypes)
        .parse(yamlText);
  }

  static Schema featureSchema() {
    try {
      return SchemaRegistry.createDefault().getSchema(CustomerFeatures.class);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("CustomerFeatures has no schema", e);
    }
  }
}
