package dev.audiencesegmenter.segments;

import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.cel.bundle.Cel;
import dev.cel.common.CelValidationException;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelVariableResolver;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * The compiled conditions of a {@link SegmentDefinitions} file, applied to one customer at a
 * time: what {@link AssignSegments} does per row, usable wherever a customer's features are at
 * hand (the streaming job re-evaluates a customer whenever its features change). Not
 * serializable (compiled CEL programs are not): build it in {@code @Setup}.
 */
public final class SegmentRules {
  /** Told of each condition that fails to evaluate (a null column, say); it counts as false. */
  public interface ErrorListener {
    void onError(String segment, CelEvaluationException error);
  }

  private final SegmentDefinitions definitions;
  private final List<List<CelRuntime.Program>> programs = new ArrayList<>();
  private final ErrorListener errors;

  private SegmentRules(SegmentDefinitions definitions, Schema schema, ErrorListener errors)
      throws CelValidationException, CelEvaluationException {
    this.definitions = definitions;
    this.errors = errors;
    Cel cel = FeatureVariables.environment(schema, definitions.getTraitTypes());
    for (SegmentDefinitions.Group group : definitions.getGroups()) {
      List<CelRuntime.Program> compiled = new ArrayList<>();
      for (SegmentDefinitions.Segment segment : group.segments()) {
        compiled.add(cel.createProgram(cel.compile(segment.when()).getAst()));
      }
      programs.add(compiled);
    }
  }

  /** Compiles every condition against the columns of {@code schema}. */
  public static SegmentRules compile(SegmentDefinitions definitions, Schema schema,
      ErrorListener errors) {
    try {
      return new SegmentRules(definitions, schema, errors);
    } catch (CelValidationException | CelEvaluationException e) {
      // The file was type-checked when parsed, so this is a schema mismatch, not bad input.
      throw new IllegalStateException("Segment conditions do not compile against " + schema, e);
    }
  }

  /**
   * Fails, naming the segment and the column, when a condition uses one of {@code columns}
   * ({@code why} says why they are not available).
   */
  public static void requireWithout(SegmentDefinitions definitions, Schema schema,
      List<String> columns, String why) {
    Schema.Builder available = Schema.builder();
    for (Schema.Field field : schema.getFields()) {
      if (!columns.contains(field.getName())) {
        available.addField(field);
      }
    }
    Cel cel = FeatureVariables.environment(available.build(), definitions.getTraitTypes());
    for (SegmentDefinitions.Segment segment : definitions.getSegments()) {
      try {
        cel.compile(segment.when()).getAst();
      } catch (CelValidationException e) {
        java.util.regex.Matcher column = java.util.regex.Pattern
            .compile("undeclared reference to '([^']+)'").matcher(e.getMessage());
        throw new IllegalArgumentException("segment '" + segment.name() + "' uses column '"
            + (column.find() ? column.group(1) : "?") + "': " + why, e);
      }
    }
  }

  /**
   * The customer's memberships: in an exclusive group the first segment, in file order, whose
   * condition holds; in an overlapping group every such segment; holdouts drawn by
   * {@link Holdouts}.
   */
  public List<SegmentMembership> assign(CustomerFeatures customer, Row row) {
    CelVariableResolver values = FeatureVariables.resolver(row, definitions.getTraitTypes());
    List<SegmentMembership> members = new ArrayList<>();
    List<SegmentDefinitions.Group> groups = definitions.getGroups();
    for (int g = 0; g < groups.size(); g++) {
      SegmentDefinitions.Group group = groups.get(g);
      for (int s = 0; s < group.segments().size(); s++) {
        SegmentDefinitions.Segment segment = group.segments().get(s);
        if (!holds(segment.name(), programs.get(g).get(s), values)) {
          continue;
        }
        boolean holdout = Holdouts.inHoldout(customer.getCustomerId(), segment.name(),
            definitions.getSalt(), segment.holdoutPercent());
        members.add(SegmentMembership.create(
            customer.getCustomerId(), segment.name(), group.name(), holdout));
        if (group.exclusive()) {
          break;
        }
      }
    }
    return members;
  }

  private boolean holds(String segment, CelRuntime.Program program, CelVariableResolver values) {
    try {
      return Boolean.TRUE.equals(program.eval(values));
    } catch (CelEvaluationException e) {
      errors.onError(segment, e);
      return false;
    }
  }
}
