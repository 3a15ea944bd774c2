package dev.audiencesegmenter.identity;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * How identifiers may link customers: identifier types in priority order with the most of each
 * type one customer may have, the fan-out above which a value is junk, values that never link,
 * and optional email provider rules. Immutable; every {@code with} method returns a copy.
 *
 * <p>The defaults follow common CDP practice: {@code user_id} and {@code crm_id} at most one
 * per customer, {@code email} and {@code phone} at most five, then {@code device_id} and
 * {@code anonymous_id} without a limit; other types rank after these, alphabetically, without
 * a limit; a value seen with more than 20 distinct identifiers of one other type is junk.
 *
 * <p>As YAML ({@code --identityRules=identity.yaml}):
 *
 * <pre>
 * identifiers:            # highest priority first
 *   - type: user_id
 *     max_per_customer: 1
 *   - type: email
 *     max_per_customer: 5
 *   - type: anonymous_id  # no max_per_customer: no limit
 * max_fan_out: 20
 * email_provider_rules: false
 * blocked_values:         # never link, in addition to the built-in placeholders
 *   email: [orders@myshop.com]
 *   phone: ["+14155550100"]
 * </pre>
 */
public final class IdentityRules implements Serializable {
  private static final long serialVersionUID = 2L;

  public static final int DEFAULT_MAX_FAN_OUT = 20;

  /** Type to its limit (null: none), in priority order. */
  private final LinkedHashMap<String, Integer> types;
  private final int maxFanOut;
  private final boolean emailProviderRules;
  /** The region national phone numbers of the blocked list are read in. */
  private final String region;
  /** Blocked values as written, by type: normalized again whenever a setting changes. */
  private final TreeMap<String, List<String>> blockedAsWritten;
  /** Blocked values as normalized {@code type:value} nodes. */
  private final TreeSet<String> blocked;

  private IdentityRules(LinkedHashMap<String, Integer> types, int maxFanOut,
      boolean emailProviderRules, String region, TreeMap<String, List<String>> blockedAsWritten) {
    this.types = types;
    this.maxFanOut = maxFanOut;
    this.emailProviderRules = emailProviderRules;
    this.region = region;
    this.blockedAsWritten = blockedAsWritten;
    this.blocked = normalized(blockedAsWritten, region, emailProviderRules);
  }

  /**
   * The blocked values as the data's identifiers are normalized (the same region and email
   * provider rules); fails naming a value that is not a valid identifier of its type then.
   */
  private static TreeSet<String> normalized(Map<String, List<String>> asWritten, String region,
      boolean emailProviderRules) {
    TreeSet<String> nodes = new TreeSet<>();
    if (asWritten.isEmpty()) {
      return nodes;
    }
    IdentifierNormalizer normalizer = IdentifierNormalizer.create(region, emailProviderRules);
    asWritten.forEach((type, values) -> {
      for (String value : values) {
        String normalized = normalizer.normalize(type, value).orElseThrow(() ->
            new IllegalArgumentException("blocked " + type + " value '" + value + "' is not a "
                + "valid " + type + " after normalization in region " + region
                + ", so it could never link"));
        nodes.add(IdentifierNode.of(type, normalized));
      }
    });
    return nodes;
  }

  /** The documented defaults; see the class comment. */
  public static IdentityRules defaults() {
    LinkedHashMap<String, Integer> types = new LinkedHashMap<>();
    types.put("user_id", 1);
    types.put("crm_id", 1);
    types.put(IdentifierNormalizer.EMAIL, 5);
    types.put(IdentifierNormalizer.PHONE, 5);
    types.put("device_id", null);
    types.put("anonymous_id", null);
    return new IdentityRules(types, DEFAULT_MAX_FAN_OUT, false, DEFAULT_REGION, new TreeMap<>());
  }

  /** No priorities or limits: every valid, non-junk identifier links. */
  public static IdentityRules withoutLimits() {
    return new IdentityRules(new LinkedHashMap<>(), DEFAULT_MAX_FAN_OUT, false, DEFAULT_REGION,
        new TreeMap<>());
  }

  /** The region blocked phone numbers are read in unless told: as {@link ResolveIdentities}. */
  public static final String DEFAULT_REGION = "US";

  /**
   * Replaces the priority list: {@code typesAndLimits} in priority order, highest first, each
   * with its maximum per customer or null for none.
   */
  public IdentityRules withPriorities(Map<String, Integer> typesAndLimits) {
    LinkedHashMap<String, Integer> copy = new LinkedHashMap<>();
    typesAndLimits.forEach((type, limit) -> {
      String t = checkType(type);
      if (limit != null && limit < 1) {
        throw new IllegalArgumentException(
            "max_per_customer of identifier type '" + t + "' must be at least 1, got " + limit);
      }
      if (copy.containsKey(t)) {
        throw new IllegalArgumentException("identifier type '" + t + "' is listed twice");
      }
      copy.put(t, limit);
    });
    return new IdentityRules(copy, maxFanOut, emailProviderRules, region, blockedAsWritten);
  }

  /** A value seen with more than this many distinct identifiers of one other type is junk. */
  public IdentityRules withMaxFanOut(int maxFanOut) {
    if (maxFanOut < 1) {
      throw new IllegalArgumentException("max_fan_out must be at least 1, got " + maxFanOut);
    }
    return new IdentityRules(types, maxFanOut, emailProviderRules, region, blockedAsWritten);
  }

  /**
   * Applies provider rules to emails: for Gmail, dots in the local part are dropped; for Gmail,
   * Outlook / Hotmail / Live, iCloud, Fastmail and Proton, a {@code +tag} is dropped. Off by
   * default: it merges addresses the provider delivers to one inbox, which is not always one
   * person.
   */
  public IdentityRules withEmailProviderRules(boolean enabled) {
    return new IdentityRules(types, maxFanOut, enabled, region, blockedAsWritten);
  }

  /**
   * The region (ISO 3166, e.g. GB) that national phone numbers of the blocked list are read in,
   * as the data's are; {@link ResolveIdentities} sets its own. Default {@value
   * #DEFAULT_REGION}.
   */
  public IdentityRules withDefaultRegion(String region) {
    IdentifierNormalizer.create(region); // validates, naming the bad value
    return region.equals(this.region) ? this
        : new IdentityRules(types, maxFanOut, emailProviderRules, region, blockedAsWritten);
  }

  public String getDefaultRegion() {
    return region;
  }

  /**
   * Adds values that never link, as written in the data: they are normalized as the data is,
   * with this rule set's region and email provider rules, whenever either changes.
   */
  public IdentityRules withBlockedValues(String type, List<String> values) {
    String t = checkType(type);
    TreeMap<String, List<String>> copy = new TreeMap<>(blockedAsWritten);
    List<String> all = new ArrayList<>(copy.getOrDefault(t, List.of()));
    all.addAll(values);
    copy.put(t, List.copyOf(all));
    return new IdentityRules(types, maxFanOut, emailProviderRules, region, copy);
  }

  public int getMaxFanOut() {
    return maxFanOut;
  }

  public boolean getEmailProviderRules() {
    return emailProviderRules;
  }

  /** The configured types, highest priority first. */
  public List<String> getPriorities() {
    return List.copyOf(types.keySet());
  }

  /** The maximum of {@code type} per customer, or null for no limit. */
  public @Nullable Integer limit(String type) {
    return types.get(type);
  }

  /**
   * Negative when {@code a} has higher priority than {@code b}: configured types in order, then
   * unconfigured types alphabetically.
   */
  public int compareTypes(String a, String b) {
    int ra = rank(a);
    int rb = rank(b);
    return ra != rb ? Integer.compare(ra, rb) : a.compareTo(b);
  }

  private int rank(String type) {
    int i = 0;
    for (String t : types.keySet()) {
      if (t.equals(type)) {
        return i;
      }
      i++;
    }
    return Integer.MAX_VALUE;
  }

  /** Whether the normalized node {@code type:value} was blocked by the user. */
  public boolean isBlocked(String node) {
    return blocked.contains(node);
  }

  /** Whether node {@code type:value} is blocked or a built-in placeholder. */
  public boolean isListedJunk(String node) {
    if (blocked.contains(node)) {
      return true;
    }
    String[] typeAndValue = IdentifierNode.split(node);
    return PlaceholderValues.isPlaceholder(typeAndValue[0], typeAndValue[1]);
  }

  public Set<String> getBlockedNodes() {
    return Collections.unmodifiableSet(blocked);
  }

  private static String checkType(String type) {
    if (type == null || type.isBlank() || type.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          "identifier type must be a non-blank name without ':', got '" + type + "'");
    }
    return type.strip().toLowerCase(Locale.ROOT);
  }

  /** Reads rules from YAML (see the class comment); {@code source} names the file in errors. */
  public static IdentityRules parse(String yamlText, String source) {
    return parse(yamlText, source, DEFAULT_REGION);
  }

  /**
   * As {@link #parse(String, String)}, reading national phone numbers of the blocked list in
   * {@code region}, as the run reads the data's.
   */
  public static IdentityRules parse(String yamlText, String source, String region) {
    Object loaded;
    try {
      loaded = new Yaml(new LoaderOptions()).load(yamlText);
    } catch (YAMLException e) {
      throw new IllegalArgumentException(source + ": not valid YAML: " + e.getMessage(), e);
    }
    if (!(loaded instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException(source + ": expected a mapping with 'identifiers', "
          + "'max_fan_out', 'email_provider_rules' and 'blocked_values'");
    }
    IdentityRules rules = defaults().withDefaultRegion(region);
    try {
      for (Map.Entry<?, ?> e : root.entrySet()) {
        String key = String.valueOf(e.getKey());
        Object value = e.getValue();
        switch (key) {
          case "identifiers" -> rules = rules.withPriorities(priorities(value));
          case "max_fan_out" -> rules = rules.withMaxFanOut(integer(key, value));
          case "email_provider_rules" -> {
            if (!(value instanceof Boolean b)) {
              throw new IllegalArgumentException(
                  "email_provider_rules must be true or false, got '" + value + "'");
            }
            rules = rules.withEmailProviderRules(b);
          }
          case "blocked_values" -> {
            if (!(value instanceof Map<?, ?> byType)) {
              throw new IllegalArgumentException(
                  "blocked_values must map identifier types to lists of values");
            }
            for (Map.Entry<?, ?> t : byType.entrySet()) {
              if (!(t.getValue() instanceof List<?> list)) {
                throw new IllegalArgumentException(
                    "blocked_values." + t.getKey() + " must be a list of values");
              }
              List<String> values = new ArrayList<>();
              list.forEach(v -> values.add(String.valueOf(v)));
              rules = rules.withBlockedValues(String.valueOf(t.getKey()), values);
            }
          }
          default -> throw new IllegalArgumentException("unknown key '" + key + "'; known: "
              + "identifiers, max_fan_out, email_provider_rules, blocked_values");
        }
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
    return rules;
  }

  private static Map<String, Integer> priorities(Object value) {
    if (!(value instanceof List<?> list)) {
      throw new IllegalArgumentException(
          "identifiers must be a list of {type, max_per_customer} entries");
    }
    LinkedHashMap<String, Integer> out = new LinkedHashMap<>();
    for (Object item : list) {
      if (!(item instanceof Map<?, ?> entry) || !(entry.get("type") instanceof String type)) {
        throw new IllegalArgumentException(
            "each identifiers entry needs a 'type', got '" + item + "'");
      }
      for (Object k : entry.keySet()) {
        if (!"type".equals(k) && !"max_per_customer".equals(k)) {
          throw new IllegalArgumentException("unknown key '" + k + "' in identifiers entry '"
              + type + "'; known: type, max_per_customer");
        }
      }
      Object limit = entry.get("max_per_customer");
      if (out.containsKey(type)) {
        throw new IllegalArgumentException("identifier type '" + type + "' is listed twice");
      }
      out.put(type, limit == null ? null : integer("max_per_customer of " + type, limit));
    }
    return out;
  }

  private static int integer(String what, Object value) {
    if (!(value instanceof Integer i)) {
      throw new IllegalArgumentException(what + " must be a whole number, got '" + value + "'");
    }
    return i;
  }

  @Override
  public String toString() {
    return "IdentityRules{priorities=" + types + ", maxFanOut=" + maxFanOut
        + ", emailProviderRules=" + emailProviderRules + ", blocked=" + blocked.size()
        + " values}";
  }
}
