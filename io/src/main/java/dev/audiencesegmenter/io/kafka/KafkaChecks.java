package dev.audiencesegmenter.io.kafka;

import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Construction-time checks shared by the Kafka transforms; messages name the bad value. */
final class KafkaChecks {
  /** Kafka's own rule for topic names. */
  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private KafkaChecks() {}

  static String bootstrapServers(String servers, String transform) {
    if (servers == null || servers.isBlank()) {
      throw new IllegalArgumentException(transform + " needs bootstrap servers (host:port,...), "
          + "got '" + servers + "'");
    }
    for (String server : servers.split(",")) {
      String s = server.strip();
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || colon == s.length() - 1
          || !s.substring(colon + 1).chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException(transform + ": bootstrap server '" + s
            + "' is not host:port");
      }
    }
    return servers;
  }

  static String topic(String topic, String transform) {
    if (topic == null || !TOPIC.matcher(topic).matches() || topic.equals(".")
        || topic.equals("..")) {
      throw new IllegalArgumentException(transform + ": '" + topic + "' is not a valid Kafka "
          + "topic name (1-249 of a-z A-Z 0-9 . _ -)");
    }
    return topic;
  }

  static Map<String, Object> configUpdates(Map<String, Object> updates, Set<String> reserved,
      String kind) {
    if (updates == null) {
      throw new IllegalArgumentException(kind + " config updates must not be null");
    }
    for (Map.Entry<String, Object> e : updates.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException(kind + " config updates must not hold null keys or "
            + "values, got one for key '" + e.getKey() + "'");
      }
      if (reserved.contains(e.getKey())) {
        throw new IllegalArgumentException(kind + " config '" + e.getKey() + "' is set by the "
            + "transform and cannot be changed; reserved: " + reserved);
      }
    }
    return Map.copyOf(updates);
  }
}
