package dev.audiencesegmenter.model;

import java.util.List;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The one table of consent values, used by every reader (event {@code consent} maps in JSON
 * and CSV, profile attributes {@code consent_<channel>}) and by the feature transforms.
 * Values are trimmed and read in any case:
 *
 * <ul>
 *   <li>{@link #GIVEN}: {@code yes}, {@code 1}, {@code true}, {@code y}, {@code subscribed},
 *       {@code opted_in};
 *   <li>{@link #WITHDRAWN}: {@code no}, {@code 0}, {@code false}, {@code n},
 *       {@code unsubscribed}, {@code opted_out}, {@code opt-out};
 *   <li>anything else is unreadable. It fails closed: read as the withdrawn value of its field
 *       ({@link #failClosed}), at its record's time, and reported (a dead letter where the
 *       reader has a dead-letter output, a counter in the transforms).
 * </ul>
 *
 * <p>An unreadable value is a withdrawal at its record's time, not a mark that outlives later
 * records: it beats every older or same-time "yes", and a later readable answer is the
 * customer's newer word, as any later record is.
 */
public final class ConsentValue {
  /** Values that give consent. */
  public static final List<String> GIVEN = List.of("yes", "1", "true", "y", "subscribed",
      "opted_in");
  /** Values that withdraw (or refuse) consent. */
  public static final List<String> WITHDRAWN = List.of("no", "0", "false", "n",
      "unsubscribed", "opted_out", "opt-out");

  private static final String ATTRIBUTE_PREFIX = "consent_";
  private static final String DOTTED_PREFIX = "consent.";
  /** The one consent name whose "true" takes something away: an unsubscribe flag. */
  private static final String UNSUBSCRIBED = "unsubscribed";

  private ConsentValue() {}

  /** TRUE or FALSE by the table; null when the value is not in it (blank included). */
  public static @Nullable Boolean parse(String raw) {
    String v = raw.strip().toLowerCase(Locale.ROOT);
    if (GIVEN.contains(v)) {
      return Boolean.TRUE;
    }
    if (WITHDRAWN.contains(v)) {
      return Boolean.FALSE;
    }
    return null;
  }

  /**
   * What an unreadable value of consent name {@code name} is read as: no consent for a
   * channel ({@code email}, {@code sms}, ...), but "unsubscribed" for the unsubscribe flag.
   */
  public static boolean failClosed(String name) {
    return name.strip().toLowerCase(Locale.ROOT).equals(UNSUBSCRIBED);
  }

  /**
   * The reason a dead letter (or a log line) gives for an unreadable value: the field as
   * written ({@code consent.email}, {@code attrs.consent_sms}), the value (at most 60
   * characters) and what it was read as.
   */
  public static String unreadable(String field, String name, String value) {
    String shown = value.length() <= 60 ? value : value.substring(0, 57) + "...";
    return "unreadable consent value '" + shown + "' in '" + field
        + "' (read as withdrawn: " + failClosed(name) + ")";
  }

  /**
   * The consent name of a profile attribute, {@code consent_<name>} or {@code
   * consent.<name>} in any case, trimmed ({@code " Consent.Email "} is {@code email}); null
   * for any other attribute.
   */
  public static @Nullable String attributeChannel(String attribute) {
    String name = attribute.trim().toLowerCase(Locale.ROOT);
    String rest = name.startsWith(ATTRIBUTE_PREFIX) ? name.substring(ATTRIBUTE_PREFIX.length())
        : name.startsWith(DOTTED_PREFIX) ? name.substring(DOTTED_PREFIX.length()) : null;
    return rest == null || rest.isEmpty() ? null : rest;
  }
}
