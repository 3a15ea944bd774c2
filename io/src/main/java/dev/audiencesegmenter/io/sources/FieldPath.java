package dev.audiencesegmenter.io.sources;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where a value sits in a vendor's record: one or more paths, the first that holds a value
 * wins. A path is dotted ({@code ecommerce.purchase_revenue}); a step may pick the element of
 * an array of objects whose field has a given value ({@code event_params[key=currency]}), and
 * a step that is a number picks that element of an array ({@code items.0.item_id}). A
 * path that is exactly the name of a top-level field is that field, so CSV columns such as
 * {@code Phone Number} or {@code State/Region} need no quoting.
 *
 * <p>JSON null, a missing field and blank text all mean "no value".
 */
public final class FieldPath implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<String> written;
  private final List<List<Step>> alternatives;

  private record Step(String field, @Nullable String selectKey, @Nullable String selectValue)
      implements Serializable {}

  private FieldPath(List<String> written, List<List<Step>> alternatives) {
    this.written = List.copyOf(written);
    this.alternatives = alternatives;
  }

  /** The paths in order of preference; a bad path throws with the reason. */
  public static FieldPath of(List<String> paths) {
    if (paths.isEmpty()) {
      throw new IllegalArgumentException("a field needs at least one path");
    }
    List<List<Step>> parsed = new ArrayList<>();
    for (String path : paths) {
      parsed.add(steps(path));
    }
    return new FieldPath(paths, parsed);
  }

  public static FieldPath of(String path) {
    return of(List.of(path));
  }

  private static List<Step> steps(String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("a path must not be blank");
    }
    List<Step> steps = new ArrayList<>();
    for (String part : path.split("\\.", -1)) {
      if (part.isEmpty()) {
        throw new IllegalArgumentException("path '" + path + "' has an empty step");
      }
      int open = part.indexOf('[');
      if (open < 0) {
        steps.add(new Step(part, null, null));
        continue;
      }
      int eq = part.indexOf('=', open);
      if (open == 0 || !part.endsWith("]") || eq < 0 || eq == open + 1
          || eq == part.length() - 2) {
        throw new IllegalArgumentException("path '" + path + "': step '" + part
            + "' must read name[field=value]");
      }
      steps.add(new Step(part.substring(0, open), part.substring(open + 1, eq),
          part.substring(eq + 1, part.length() - 1)));
    }
    return steps;
  }

  /** The paths as written, for messages. */
  public List<String> written() {
    return written;
  }

  /** The first node the paths reach that holds a value, or null. */
  public @Nullable JsonNode node(JsonNode root) {
    int i = found(root);
    return i < 0 ? null : reach(root, i);
  }

  /**
   * The path that holds the value in {@code root} (the first with one), or the first path when
   * none does: what a message about the value names.
   */
  public String nameIn(JsonNode root) {
    int i = found(root);
    return written.get(Math.max(i, 0));
  }

  /** The index of the first path with a value, or -1. */
  private int found(JsonNode root) {
    for (int i = 0; i < alternatives.size(); i++) {
      if (hasValue(reach(root, i))) {
        return i;
      }
    }
    return -1;
  }

  private @Nullable JsonNode reach(JsonNode root, int i) {
    JsonNode whole = root.get(written.get(i));
    return hasValue(whole) ? whole : walk(root, alternatives.get(i));
  }

  private static @Nullable JsonNode walk(JsonNode root, List<Step> steps) {
    JsonNode at = root;
    for (Step step : steps) {
      if (at != null && at.isArray() && step.selectKey() == null
          && step.field().chars().allMatch(Character::isDigit) && step.field().length() < 6) {
        at = at.get(Integer.parseInt(step.field()));  // an element by its position
        continue;
      }
      if (at == null || !at.isObject()) {
        return null;
      }
      at = at.get(step.field());
      if (step.selectKey() != null) {
        at = select(at, step.selectKey(), step.selectValue());
      }
    }
    return at;
  }

  private static @Nullable JsonNode select(@Nullable JsonNode array, String key, String value) {
    if (array == null || !array.isArray()) {
      return null;
    }
    for (JsonNode element : array) {
      JsonNode k = element.get(key);
      if (k != null && k.isValueNode() && value.equals(k.asText())) {
        return element;
      }
    }
    return null;
  }

  static boolean hasValue(@Nullable JsonNode node) {
    return node != null && !node.isNull() && !node.isMissingNode()
        && !(node.isTextual() && node.asText().isBlank());
  }

  @Override
  public String toString() {
    return String.join(" | ", written);
  }
}
