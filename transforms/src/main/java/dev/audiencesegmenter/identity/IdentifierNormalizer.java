package dev.audiencesegmenter.identity;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Brings identifiers to one written form so that the same person's identifiers match across
 * sources: types are trimmed and lower-cased; emails are trimmed and lower-cased and must have
 * a local part and a domain; phones become E.164 ({@code +14155550132}) with libphonenumber,
 * reading numbers without a country code in the default region, and must be valid numbers;
 * any other type is trimmed. A value that is blank or invalid is dropped: it never links.
 * Optionally, emails of well-known providers are reduced to their inbox ({@link
 * EmailProviderRules}).
 */
public final class IdentifierNormalizer implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String EMAIL = "email";
  public static final String PHONE = "phone";

  private final String defaultRegion;
  private final boolean emailProviderRules;

  private IdentifierNormalizer(String defaultRegion, boolean emailProviderRules) {
    this.defaultRegion = defaultRegion;
    this.emailProviderRules = emailProviderRules;
  }

  /** A normalizer reading national phone numbers in {@code defaultRegion} (ISO 3166, "US"). */
  public static IdentifierNormalizer create(String defaultRegion) {
    return create(defaultRegion, false);
  }

  /**
   * As {@link #create(String)}, optionally applying email provider rules (see {@link
   * EmailProviderRules}).
   */
  public static IdentifierNormalizer create(String defaultRegion, boolean emailProviderRules) {
    if (defaultRegion == null
        || !PhoneNumberUtil.getInstance().getSupportedRegions().contains(defaultRegion)) {
      throw new IllegalArgumentException("Default phone region must be a two-letter ISO 3166 "
          + "region that libphonenumber knows, like US or GB; got '" + defaultRegion + "'");
    }
    return new IdentifierNormalizer(defaultRegion, emailProviderRules);
  }

  public String getDefaultRegion() {
    return defaultRegion;
  }

  /** Trimmed, lower-case identifier type ("Email " becomes "email"). */
  public String normalizeType(String type) {
    return type.strip().toLowerCase(Locale.ROOT);
  }

  /** The normalized value, or empty when the value cannot identify anyone. */
  public Optional<String> normalize(String type, String value) {
    if (type == null || value == null) {
      return Optional.empty();
    }
    return normalizeValue(normalizeType(type), value);
  }

  private Optional<String> normalizeValue(String normalizedType, String value) {
    String trimmed = value.strip();
    if (trimmed.isEmpty()) {
      return Optional.empty();
    }
    return switch (normalizedType) {
      case EMAIL -> email(trimmed);
      case PHONE -> phone(trimmed);
      default -> Optional.of(trimmed);
    };
  }

  /** The valid identifiers of a record, normalized, by normalized type (sorted). */
  public Map<String, String> normalizeAll(Map<String, String> identifiers) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : identifiers.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        continue;
      }
      String type = normalizeType(e.getKey());
      if (!type.isEmpty()) {
        normalizeValue(type, e.getValue()).ifPresent(v -> out.put(type, v));
      }
    }
    return out;
  }

  private Optional<String> email(String value) {
    String email = value.toLowerCase(Locale.ROOT);
    int at = email.lastIndexOf('@');
    if (at <= 0 || at == email.length() - 1 || hasWhitespace(email)) {
      return Optional.empty();
    }
    return Optional.of(emailProviderRules ? EmailProviderRules.apply(email, at) : email);
  }

  private static boolean hasWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private Optional<String> phone(String value) {
    PhoneNumberUtil util = PhoneNumberUtil.getInstance();
    try {
      PhoneNumber number = util.parse(value, defaultRegion);
      if (!util.isValidNumber(number)) {
        return Optional.empty();
      }
      return Optional.of(util.format(number, PhoneNumberUtil.PhoneNumberFormat.E164));
    } catch (NumberParseException e) {
      return Optional.empty();
    }
  }
}
