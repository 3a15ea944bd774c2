package dev.audiencesegmenter.identity;

import java.util.Set;

/**
 * Built-in placeholder values that forms, test accounts and broken integrations write in
 * place of a real identifier. They appear on many unrelated customers' records, so they must
 * never link anything. Checked on normalized values.
 */
final class PlaceholderValues {
  /** Values that are placeholders whatever the identifier type. */
  static final Set<String> ANY_TYPE = Set.of("null", "undefined", "none", "nil", "n/a",
      "na", "nan", "unknown", "test", "-", "0", "-1", "[object object]", "anonymous", "guest",
      "default", "noname", "xxx", "tbd");
  /** Local parts that never name a person's inbox, on any domain. */
  static final Set<String> EMAIL_LOCAL_PARTS = Set.of("test", "none", "null", "noemail",
      "no-email", "no_email", "noreply", "no-reply", "donotreply", "do-not-reply", "nobody",
      "unknown", "na", "n/a", "email", "example", "fake", "asdf", "x", "xx", "xxx");
  /** Whole addresses that are placeholders even though the local part is plausible. */
  static final Set<String> EMAILS = Set.of("a@a.com", "abc@abc.com", "user@example.com",
      "john.doe@example.com", "jane.doe@example.com", "email@email.com", "mail@mail.com");
  /** National numbers used as fillers. */
  static final Set<String> PHONE_DIGITS = Set.of("1234567890", "0123456789",
      "123456789", "9876543210", "5555555555", "2345678901");

  private PlaceholderValues() {}

  /** Whether normalized {@code value} of normalized {@code type} is a placeholder. */
  static boolean isPlaceholder(String type, String value) {
    String lower = value.toLowerCase(java.util.Locale.ROOT);
    if (ANY_TYPE.contains(lower)) {
      return true;
    }
    switch (type) {
      case IdentifierNormalizer.EMAIL -> {
        int at = lower.lastIndexOf('@');
        return EMAILS.contains(lower) || (at > 0 && EMAIL_LOCAL_PARTS.contains(lower.substring(0,
            at)));
      }
      case IdentifierNormalizer.PHONE -> {
        // E.164: the national digits after the country code matter; a run of one digit, or a
        // counting sequence, is a filler whatever the country.
        String digits = lower.replaceAll("[^0-9]", "");
        for (int cc = 1; cc <= 3 && cc < digits.length(); cc++) {
          String national = digits.substring(cc);
          if (national.length() >= 6 && (sameDigit(national) || PHONE_DIGITS.contains(national))) {
            return true;
          }
        }
        return false;
      }
      default -> {
        return false;
      }
    }
  }

  private static boolean sameDigit(String digits) {
    return digits.chars().allMatch(c -> c == digits.charAt(0));
  }
}
