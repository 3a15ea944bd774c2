package dev.audiencesegmenter.identity;

/**
 * An identifier as a node of the identity graph: {@code type:value}, for example
 * {@code email:ann@example.com}. Types never contain a colon (such identifiers are dropped by
 * normalization), so the first colon separates type and value.
 */
final class IdentifierNode {
  private IdentifierNode() {}

  static String of(String type, String value) {
    return type + ":" + value;
  }

  /** {type, value} of a node. */
  static String[] split(String node) {
    int colon = node.indexOf(':');
    return new String[] {node.substring(0, colon), node.substring(colon + 1)};
  }
}
