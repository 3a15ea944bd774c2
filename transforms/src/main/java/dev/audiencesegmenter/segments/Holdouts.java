package dev.audiencesegmenter.segments;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Stable holdout draws: a customer is in a segment's holdout when the first 8 bytes of
 * SHA-256 of {@code customer_id + "|" + segment + "|" + salt}, read as an unsigned number,
 * modulo 10,000 fall below {@code holdout_percent × 100}. The same customer, segment and salt
 * always give the same answer, on every run and runner; changing the salt redraws.
 */
final class Holdouts {
  private Holdouts() {}

  static boolean inHoldout(String customerId, String segment, String salt, double percent) {
    if (percent <= 0) {
      return false;
    }
    return draw(customerId, segment, salt) < Math.round(percent * 100);
  }

  /** A number in [0, 10000) fixed by the customer, the segment and the salt. */
  static long draw(String customerId, String segment, String salt) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(
          (customerId + "|" + segment + "|" + salt).getBytes(StandardCharsets.UTF_8));
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | (hash[i] & 0xFF);
      }
      return Long.remainderUnsigned(value, 10_000);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
