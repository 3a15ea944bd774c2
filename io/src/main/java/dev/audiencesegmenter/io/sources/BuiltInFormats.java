package dev.audiencesegmenter.io.sources;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The mappings that ship in the jar, one YAML file each next to this class, written from each
 * tool's public export documentation (io/README.md, "Sources"). A name may have a mapping of
 * each kind: {@code segment} reads messages as events for {@code --input}, and the traits of
 * identify calls as profiles for {@code --profiles}.
 */
public final class BuiltInFormats {
  /** Events: GA4's BigQuery export, Segment's message spec, Mixpanel's and Amplitude's exports. */
  public static final List<String> EVENT_FORMATS = List.of("ga4", "segment", "mixpanel",
      "amplitude");
  /** Profiles: the CRMs' contact exports (CSV as each tool writes it), Segment's identify. */
  public static final List<String> PROFILE_FORMATS = List.of("hubspot", "salesforce", "zoho",
      "segment");

  private BuiltInFormats() {}

  /** Every built-in name, events' first. */
  public static List<String> names() {
    return Stream.concat(EVENT_FORMATS.stream(), PROFILE_FORMATS.stream()).distinct().toList();
  }

  /** Whether {@code name} (any case) is a built-in format of either kind. */
  public static boolean isBuiltIn(String name) {
    return names().contains(name.toLowerCase(Locale.ROOT));
  }

  /**
   * The built-in mapping of {@code kind} called {@code name} (any case), or null when there is
   * none of that kind.
   */
  public static @Nullable SourceMapping get(String name, SourceMapping.Kind kind) {
    String key = name.toLowerCase(Locale.ROOT);
    boolean events = kind == SourceMapping.Kind.EVENTS;
    if (!(events ? EVENT_FORMATS : PROFILE_FORMATS).contains(key)) {
      return null;
    }
    // A name with both kinds keeps its events mapping under its own name.
    String resource = !events && EVENT_FORMATS.contains(key) ? key + "-profiles.yaml"
        : key + ".yaml";
    try (InputStream in = BuiltInFormats.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("built-in mapping " + resource + " is missing from "
            + "the jar");
      }
      return MappingFiles.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
