package dev.audiencesegmenter.io.sources;

import dev.audiencesegmenter.segments.ClosestName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One {@code --input} or {@code --profiles} value: {@code FORMAT:PATTERN}, where FORMAT is a
 * built-in format name ({@link BuiltInFormats}) or the path of a mapping file ending in
 * {@code .yaml} (or {@code .yml}), or a bare pattern in the native format. A prefix that is
 * neither is part of the pattern ({@code gs://...}).
 *
 * @param format the format as written, or null for the native format
 * @param pattern the file pattern
 */
public record SourceSpec(@Nullable String format, String pattern) {

  public static SourceSpec parse(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("a source must not be blank");
    }
    String v = value.strip();
    String lower = v.toLowerCase(Locale.ROOT);
    for (String suffix : List.of(".yaml:", ".yml:")) {
      int at = lower.indexOf(suffix);
      if (at > 0) {
        return withPattern(v.substring(0, at + suffix.length() - 1),
            v.substring(at + suffix.length()), value);
      }
    }
    int colon = v.indexOf(':');
    if (colon > 0 && BuiltInFormats.isBuiltIn(v.substring(0, colon))) {
      return withPattern(v.substring(0, colon).toLowerCase(Locale.ROOT),
          v.substring(colon + 1), value);
    }
    if (colon > 1 && !v.startsWith("//", colon + 1)) {
      // Not a file system's scheme (gs://): a misspelt format would read as a pattern that
      // matches nothing; say so here.
      String prefix = v.substring(0, colon).toLowerCase(Locale.ROOT);
      String suggestion = ClosestName.suggestion(prefix, BuiltInFormats.names());
      if (prefix.matches("[a-z0-9_-]+") && !suggestion.isEmpty()) {
        throw new IllegalArgumentException("source '" + value + "': unknown format '" + prefix
            + "' (known: " + String.join(", ", BuiltInFormats.names())
            + ", or a mapping file ending in .yaml)" + suggestion);
      }
    }
    return new SourceSpec(null, v);
  }

  private static SourceSpec withPattern(String format, String pattern, String value) {
    if (pattern.isBlank()) {
      throw new IllegalArgumentException("source '" + value + "' names format '" + format
          + "' but no file pattern after the ':'");
    }
    return new SourceSpec(format, pattern.strip());
  }

  /**
   * The sources of a repeated option. Beam splits list options at commas, so the pieces of a
   * glob such as {@code data/{a,b}/*} are joined back first.
   */
  public static List<SourceSpec> parseAll(@Nullable List<String> values) {
    List<SourceSpec> out = new ArrayList<>();
    if (values == null) {
      return out;
    }
    StringBuilder pending = null;
    for (String piece : values) {
      pending = pending == null ? new StringBuilder(piece) : pending.append(',').append(piece);
      if (depth(pending) <= 0) {
        if (!pending.toString().isBlank()) {
          out.add(parse(pending.toString()));
        }
        pending = null;
      }
    }
    if (pending != null) {
      throw new IllegalArgumentException("source '" + pending + "' opens a '{' it never "
          + "closes");
    }
    return out;
  }

  private static int depth(CharSequence s) {
    int depth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      depth += c == '{' ? 1 : c == '}' ? -1 : 0;
    }
    return depth;
  }

  /** Whether this source is in a tool's format rather than the native one. */
  public boolean isMapped() {
    return format != null;
  }

  @Override
  public String toString() {
    return format == null ? pattern : format + ":" + pattern;
  }
}
