package dev.audiencesegmenter.identity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Customer ids derived from a customer's smallest identifier node. */
final class CustomerIds {
  private CustomerIds() {}

  /** {@code "c-"} and the first 16 hex digits of SHA-256 of the node {@code type:value}. */
  static String fromSmallestNode(String node) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256")
          .digest(node.getBytes(StandardCharsets.UTF_8));
      return "c-" + HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
