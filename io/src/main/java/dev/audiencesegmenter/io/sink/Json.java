package dev.audiencesegmenter.io.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
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

  /** An http(s) URL without a trailing slash. */
  public static String checkBaseUrl(String url, String vendor) {
    if (url == null || !(url.startsWith("https://") || url.startsWith("http://"))) {
      throw new IllegalArgumentException(vendor + " base URL must start with https:// or "
          + "http://, got '" + url + "'");
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
