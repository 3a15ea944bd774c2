package dev.audiencesegmenter.segments;

import java.math.BigDecimal;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The type a profile source declares for a trait, so that rules compare it as such
 * ({@code traits.age >= 30}); traits without one are text.
 */
public enum TraitType {
  STRING, INT, DOUBLE, BOOL,
  /** Several values in one cell, separated by commas or semicolons: {@code "shopify" in t}. */
  LIST;

  /** By its name in a mapping file: string, int, double, bool, list. */
  public static @Nullable TraitType named(String name) {
    try {
      return valueOf(name.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The canonical text of {@code value} as this type ({@code 042} is {@code 42}, {@code Yes}
   * is {@code true}), or null when it is not one.
   */
  public @Nullable String canonical(String value) {
    String v = value.strip();
    try {
      return switch (this) {
        case STRING -> value;
        case INT -> Long.toString(Long.parseLong(v));
        case DOUBLE -> new BigDecimal(v).toPlainString();
        case BOOL -> switch (v.toLowerCase(Locale.ROOT)) {
          case "true", "yes", "1", "y" -> "true";
          case "false", "no", "0", "n" -> "false";
          default -> null;
        };
        case LIST -> String.join(",", items(v));
      };
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The CEL value of canonical text of this type. */
  Object celValue(String canonical) {
    return switch (this) {
      case STRING -> canonical;
      case INT -> Long.parseLong(canonical);
      case DOUBLE -> Double.parseDouble(canonical);
      case BOOL -> Boolean.parseBoolean(canonical);
      case LIST -> items(canonical);
    };
  }

  /** The non-blank items of a list cell, trimmed, in order. */
  private static java.util.List<String> items(String cell) {
    return java.util.Arrays.stream(cell.split("[,;]")).map(String::strip)
        .filter(item -> !item.isEmpty()).toList();
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
