package dev.audiencesegmenter.io.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/** Small JSON helpers for connectors. */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** The body parsed, or null when it is not JSON. */
  public static @Nullable JsonNode parse(@Nullable String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return MAPPER.readTree(body);
    } catch (Exception e) {
      return null;
    }
  }

  public static long utf8Length(String text) {
    return text.getBytes(StandardCharsets.UTF_8).length;
  }

  /** Checks that a mapping has no blank names. */
  public static Map<String, String> checkMapping(Map<String, String> mapping, String what) {
    if (mapping == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    mapping.forEach((from, to) -> {
      if (from == null || from.isBlank() || to == null || to.isBlank()) {
        throw new IllegalArgumentException(what + " has a blank name: '" + from + "' -> '" + to
            + "'");
      }
    });
    return Map.copyOf(mapping);
  }

  /**
   * An https:// URL, or an http:// one to this machine (a test's local server), without a
   * trailing slash: tokens and contact data never go out in clear text.
   */
  public static String checkBaseUrl(String url, String vendor) {
    if (!isSafeBaseUrl(url)) {
      throw new IllegalArgumentException(vendor + " base URL must start with https:// (http:// "
          + "only for localhost or 127.0.0.1), got '"
          + (url == null ? null : USER_INFO.matcher(url).replaceAll("$1***@")) + "'");
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** user:password@ of a URL, kept out of messages. */
  private static final Pattern USER_INFO = Pattern.compile("(//)[^/@]*@");

  private static boolean isSafeBaseUrl(@Nullable String url) {
    if (url == null) {
      return false;
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return false;
    }
    // The host as a URL client resolves it: "http://localhost@evil.example" goes to evil.example.
    String host = uri.getHost();
    if (host == null) {
      return false;
    }
    if (url.startsWith("https://")) {
      return true;
    }
    return url.startsWith("http://")
        && (host.equalsIgnoreCase("localhost") || host.equals("127.0.0.1"));
  }
}
