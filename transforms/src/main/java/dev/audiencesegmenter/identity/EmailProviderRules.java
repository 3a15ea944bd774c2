package dev.audiencesegmenter.identity;

import java.util.Set;

/**
 * Reduces an email of a well-known provider to the inbox it is delivered to: Gmail ignores
 * dots in the local part, and Gmail, Outlook / Hotmail / Live, iCloud, Fastmail and Proton
 * deliver {@code name+tag@} to {@code name@}. Other domains are left alone: for them a dot or
 * a plus may be significant.
 */
final class EmailProviderRules {
  private static final Set<String> DOTS_IGNORED = Set.of("gmail.com", "googlemail.com");
  private static final Set<String> PLUS_TAGS = Set.of("gmail.com", "googlemail.com",
      "outlook.com", "hotmail.com", "live.com", "icloud.com", "me.com", "fastmail.com",
      "proton.me", "protonmail.com");

  private EmailProviderRules() {}

  /** {@code email} is lower-case with its last {@code @} at {@code at}. */
  static String apply(String email, int at) {
    String local = email.substring(0, at);
    String domain = email.substring(at + 1);
    if (PLUS_TAGS.contains(domain)) {
      int plus = local.indexOf('+');
      if (plus > 0) {
        local = local.substring(0, plus);
      }
    }
    if (DOTS_IGNORED.contains(domain)) {
      local = local.replace(".", "");
      domain = "gmail.com"; // googlemail.com is the same mailbox
    }
    return local.isEmpty() ? email : local + "@" + domain;
  }
}
