package dev.audiencesegmenter.io.sources;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The mappings that ship in the jar, one YAML file each next to this class, written from each
 * tool's public export documentation (io/README.md, "Sources").
 */
public final class BuiltInFormats {
  /** Events: GA4's BigQuery export, Segment's message spec, Mixpanel's and Amplitude's exports. */
  public static final List<String> EVENT_FORMATS = List.of("ga4", "segment", "mixpanel",
      "amplitude");
  /** Profiles: the CRMs' contact exports (CSV as each tool writes it). */
  public static final List<String> PROFILE_FORMATS = List.of("hubspot", "salesforce", "zoho");

  private BuiltInFormats() {}

  /** Every built-in name. */
  public static List<String> names() {
    return java.util.stream.Stream.concat(EVENT_FORMATS.stream(), PROFILE_FORMATS.stream())
        .toList();
  }

  public static boolean isBuiltIn(String name) {
    return names().contains(name.toLowerCase(Locale.ROOT));
  }

  /** The built-in mapping called {@code name} (any case), or null when there is none. */
  public static @Nullable SourceMapping get(String name) {
    String key = name.toLowerCase(Locale.ROOT);
    if (!names().contains(key)) {
      return null;
    }
    String resource = key + ".yaml";
    try (InputStream in = BuiltInFormats.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("built-in mapping " + resource + " is missing from "
            + "the jar");
      }
      return MappingFiles.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
          key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
