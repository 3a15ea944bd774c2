package dev.audiencesegmenter.pipelines;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import dev.audiencesegmenter.segments.Destination;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * What {@code --sinkMapping} says goes where: per platform, which feature columns become which
 * vendor fields and which segments become which lists, tags or attributes, plus the platform's
 * settings (list id, sObject, rate). Checked completely at launch: an unknown platform or key,
 * a feature column that does not exist, a segment that {@code --segments} does not define, or a
 * value of the wrong type fails with the file and the key in the message.
 *
 * <pre>
 * hubspot:
 *   properties: {monetary_total: lifetime_value}   # feature column: contact property
 *   segments_property: audience_segments           # current segments joined by ';'
 *   segment_lists: {loyal_customers: "123"}         # segment: static list id
 *   requests_per_second: 4                          # per worker; also concurrent_requests,
 *                                                   # shards, max_retries, on every platform
 *   receives: everyone                              # every reachable customer, not only
 *                                                   # segment members (any platform)
 * mailchimp:  {list_id: a1b2c3, merge_fields: {monetary_total: LTV}, segment_tags: {vip: VIP}}
 * klaviyo:    {properties: {...}, segments_property: ..., list_id: ..., segment_lists: {...}}
 * braze:      {attributes: {...}, segment_attributes: {loyal_customers: is_loyal},
 *              sms_subscription_group: <SMS group id, or none>}
 * salesforce: {sobject: Contact, external_id_field: Customer_Id__c, fields: {...},
 *              email_field: Email, segments_field: Audience_Segments__c, api_version: v60.0}
 * zoho:       {module: Contacts, external_id_field: Customer_Id, fields: {...},
 *              segments_field: Audience_Segments, segment_tags: {vip: VIP}, api_version: v8,
 *              last_name_fallback: "(unknown)"}   # Last_Name of new contacts (Zoho needs
 *                                                 # one; the default), none: no fallback
 * kit:        {custom_fields: {monetary_total: lifetime_value}, segment_tags: {vip: VIP}}
 * </pre>
 */
final class SinkMapping implements Serializable {
  private static final long serialVersionUID = 1L;

  static final List<String> PLATFORMS = Destination.PLATFORMS;

  private static final Set<String> COMMON =
      Set.of("requests_per_second", "concurrent_requests", "shards", "max_retries");
  /** Keys every platform takes as text: who it receives (members or everyone). */
  private static final Set<String> COMMON_TEXT = Set.of("receives");

  /** Per platform: key to kind (F: feature to name map, S: segment to name map, T: text, N: number). */
  private static final Map<String, Map<String, Character>> KEYS = Map.of(
      "hubspot", Map.of("properties", 'F', "segments_property", 'T', "segment_lists", 'S'),
      "mailchimp", Map.of("list_id", 'T', "merge_fields", 'F', "segment_tags", 'S'),
      "klaviyo", Map.of("properties", 'F', "segments_property", 'T', "list_id", 'T',
          "segment_lists", 'S', "revision", 'T'),
      "braze", Map.of("attributes", 'F', "segment_attributes", 'S',
          "sms_subscription_group", 'T'),
      "salesforce", Map.of("sobject", 'T', "external_id_field", 'T', "fields", 'F',
          "email_field", 'T', "segments_field", 'T', "api_version", 'T'),
      "zoho", Map.of("module", 'T', "external_id_field", 'T', "fields", 'F',
          "email_field", 'T', "segments_field", 'T', "segment_tags", 'S', "api_version", 'T',
          "last_name_fallback", 'T'),
      "kit", Map.of("custom_fields", 'F', "segment_tags", 'S'));

  private final String source;
  private final Map<String, Map<String, Object>> platforms;

  private SinkMapping(String source, Map<String, Map<String, Object>> platforms) {
    this.source = source;
    this.platforms = platforms;
  }

  static SinkMapping empty() {
    return new SinkMapping("(no --sinkMapping)", Map.of());
  }

  /**
   * Reads and checks {@code yamlText}; {@code source} names the file in messages;
   * {@code featureColumns} and {@code segments} are what the run has.
   */
  static SinkMapping parse(String yamlText, String source, Set<String> featureColumns,
      Set<String> segments) {
    Object loaded;
    try {
      loaded = new Yaml(new LoaderOptions()).load(yamlText);
    } catch (YAMLException e) {
      throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage(), e);
    }
    if (loaded == null) {
      return new SinkMapping(source, Map.of());
    }
    if (!(loaded instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException(source + ": expected a mapping of platforms ("
          + String.join(", ", PLATFORMS) + ")");
    }
    Map<String, Map<String, Object>> platforms = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : root.entrySet()) {
      String platform = String.valueOf(entry.getKey());
      if (!PLATFORMS.contains(platform)) {
        throw new IllegalArgumentException(source + ": unknown platform '" + platform
            + "'; known: " + String.join(", ", PLATFORMS));
      }
      if (entry.getValue() == null) {
        platforms.put(platform, Map.of());
        continue;
      }
      if (!(entry.getValue() instanceof Map<?, ?> settings)) {
        throw new IllegalArgumentException(source + ": " + platform + " must be a mapping");
      }
      Map<String, Character> known = KEYS.get(platform);
      Map<String, Object> checked = new LinkedHashMap<>();
      for (Map.Entry<?, ?> setting : settings.entrySet()) {
        String key = String.valueOf(setting.getKey());
        String where = source + ": " + platform + "." + key;
        Object value = setting.getValue();
        Character kind = COMMON.contains(key) ? Character.valueOf('N')
            : COMMON_TEXT.contains(key) ? Character.valueOf('T') : known.get(key);
        if (kind == null) {
          Set<String> all = new TreeSet<>(known.keySet());
          all.addAll(COMMON);
          all.addAll(COMMON_TEXT);
          throw new IllegalArgumentException(source + ": " + platform + ": unknown key '" + key
              + "'; known: " + String.join(", ", all));
        }
        switch (kind) {
          case 'F' -> checked.put(key, names(where, value, featureColumns, "feature column"));
          case 'S' -> checked.put(key, names(where, value, segments, "segment"));
          case 'N' -> {
            if (!(value instanceof Number number) || number.doubleValue() <= 0) {
              throw new IllegalArgumentException(where + " must be a positive number, got '"
                  + value + "'");
            }
            checked.put(key, number);
          }
          default -> {
            if (value == null || value instanceof Map || value instanceof List
                || String.valueOf(value).isBlank()) {
              throw new IllegalArgumentException(where + " must be a text value, got '"
                  + value + "'");
            }
            if (key.equals("receives") && !List.of("members", "everyone")
                .contains(String.valueOf(value))) {
              throw new IllegalArgumentException(where + " must be members or everyone, got '"
                  + value + "'");
            }
            checked.put(key, String.valueOf(value));
          }
        }
      }
      platforms.put(platform, checked);
    }
    return new SinkMapping(source, platforms);
  }

  private static Map<String, String> names(String where, Object value, Set<String> allowed,
      String what) {
    if (!(value instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException(where + " must map " + what + "s to names, got '"
          + value + "'");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String from = String.valueOf(entry.getKey());
      if (!allowed.contains(from)) {
        throw new IllegalArgumentException(where + ": unknown " + what + " '" + from
            + "'; known: " + String.join(", ", new TreeSet<>(allowed)));
      }
      if (entry.getValue() == null || entry.getValue() instanceof Map
          || entry.getValue() instanceof List || String.valueOf(entry.getValue()).isBlank()) {
        throw new IllegalArgumentException(where + "." + from + " must be a name, got '"
            + entry.getValue() + "'");
      }
      out.put(from, String.valueOf(entry.getValue()));
    }
    return out;
  }

  /** Per platform, the mapping key that holds segment targets, and the one that holds fields. */
  private static final Map<String, String[]> DESTINATION_KEYS = Map.of(
      "hubspot", new String[] {"segment_lists", "properties"},
      "mailchimp", new String[] {"segment_tags", "merge_fields"},
      "klaviyo", new String[] {"segment_lists", "properties"},
      "braze", new String[] {"segment_attributes", "attributes"},
      "salesforce", new String[] {null, "fields"},
      "zoho", new String[] {"segment_tags", "fields"},
      "kit", new String[] {"segment_tags", "custom_fields"});

  /**
   * This mapping with the segment file's destinations added: each destination's list, tag or
   * attribute under its platform's segment key and its fields under the platform's field key.
   * What this mapping (the command line's {@code --sinkMapping}) already says for a segment or a
   * column stays: it overrides the file. Two destinations on one platform sending a column to
   * different fields fail, naming both.
   */
  SinkMapping withDestinations(Map<String, List<Destination>> destinations) {
    if (destinations.isEmpty()) {
      return this;
    }
    Map<String, Map<String, Object>> merged = new LinkedHashMap<>();
    platforms.forEach((platform, settings) -> merged.put(platform, new LinkedHashMap<>(settings)));
    Map<String, String> fieldSources = new java.util.HashMap<>();
    destinations.forEach((segment, list) -> {
      for (Destination destination : list) {
        String platform = destination.platform();
        String[] keys = DESTINATION_KEYS.get(platform);
        Map<String, Object> settings = merged.computeIfAbsent(platform,
            k -> new LinkedHashMap<>());
        if (keys[0] != null && destination.target() != null) {
          Map<String, String> targets = editable(settings, keys[0]);
          if (!map(platform, keys[0]).containsKey(segment)) {
            targets.put(segment, destination.target());
          }
        }
        Map<String, String> fields = editable(settings, keys[1]);
        destination.fields().forEach((column, field) -> {
          if (map(platform, keys[1]).containsKey(column)) {
            return; // the command line's mapping wins
          }
          String earlier = fields.putIfAbsent(column, field);
          String where = fieldSources.putIfAbsent(platform + "." + column,
              destination.where());
          if (earlier != null && !earlier.equals(field)) {
            throw new IllegalArgumentException(destination.where() + ": " + platform
                + " gets column '" + column + "' as '" + field + "', but as '" + earlier
                + "' at " + where + ": one field per column and platform");
          }
        });
      }
    });
    return new SinkMapping(source + " and the segment file's destinations", merged);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> editable(Map<String, Object> settings, String key) {
    Object value = settings.get(key);
    Map<String, String> copy = value == null ? new LinkedHashMap<>()
        : new LinkedHashMap<>((Map<String, String>) value);
    settings.put(key, copy);
    return copy;
  }

  String source() {
    return source;
  }

  /** A map setting ({@code properties}, {@code segment_lists}, ...); empty when not given. */
  @SuppressWarnings("unchecked")
  Map<String, String> map(String platform, String key) {
    Object value = platforms.getOrDefault(platform, Map.of()).get(key);
    return value == null ? Map.of() : (Map<String, String>) value;
  }

  @Nullable String text(String platform, String key) {
    Object value = platforms.getOrDefault(platform, Map.of()).get(key);
    return value == null ? null : (String) value;
  }

  @Nullable Number number(String platform, String key) {
    return (Number) platforms.getOrDefault(platform, Map.of()).get(key);
  }

  /** Every feature column some platform among {@code sinks} maps. */
  List<String> featureColumns(List<String> sinks) {
    Set<String> columns = new TreeSet<>();
    for (String sink : sinks) {
      for (Map.Entry<String, Character> key : KEYS.get(sink).entrySet()) {
        if (key.getValue() == 'F') {
          columns.addAll(map(sink, key.getKey()).keySet());
        }
      }
    }
    return new ArrayList<>(columns);
  }
}
