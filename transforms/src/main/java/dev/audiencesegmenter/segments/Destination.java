package dev.audiencesegmenter.segments;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where a segment file sends a segment's members: a platform, the list, tag or attribute that
 * holds the segment there, the feature columns to send with them (column to the platform's
 * field), whether members who leave are removed there ({@code mirror}, the default) or stay
 * ({@code add_only}), and whether the platform receives the segment's members only (the
 * default) or every reachable customer ({@code receives: everyone}).
 *
 * @param platform one of {@link #PLATFORMS}
 * @param target the list id, tag or attribute name; null for a platform without one
 *     (Salesforce keeps segments in a field)
 * @param fields feature column to platform field
 * @param addOnly whether members who leave stay at the destination
 * @param everyone whether every reachable customer is sent, not only members
 * @param where file:line:column of the destination, for messages
 */
public record Destination(String platform, @Nullable String target, Map<String, String> fields,
    boolean addOnly, boolean everyone, String where) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The platforms the project syncs to (segment files, --sinks, sink mappings). */
  public static final List<String> PLATFORMS =
      List.of("hubspot", "mailchimp", "klaviyo", "braze", "salesforce", "zoho", "kit");

  /** Per platform, the key naming what holds the segment there (none for Salesforce). */
  public static final Map<String, String> TARGET_KEYS = Map.of("hubspot", "list",
      "mailchimp", "tag", "klaviyo", "list", "braze", "attribute", "zoho", "tag", "kit", "tag");

  public Destination {
    fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }
}
