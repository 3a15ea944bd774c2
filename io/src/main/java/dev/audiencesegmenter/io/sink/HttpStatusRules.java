package dev.audiencesegmenter.io.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.checkerframework.checker.nullness.qual.Nullable;

/** The HTTP rules most vendors share; connectors call these and add their own. */
public final class HttpStatusRules {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_MESSAGE = 1000;

  private HttpStatusRules() {}

  /**
   * 2xx accepted; 429 transient and throttled; 408, 423, 425, 5xx transient; any other status
   * permanent. The delay comes from {@link #requestedDelay}; the message from
   * {@link #vendorMessage}.
   */
  public static CallOutcome classify(int status, HttpHeaders headers, String body) {
    if (status >= 200 && status < 300) {
      return CallOutcome.accepted();
    }
    String message = "HTTP " + status + ": " + vendorMessage(body);
    if (status == 429) {
      return CallOutcome.retry(message, requestedDelay(headers).orElse(null), true);
    }
    if (status == 408 || status == 423 || status == 425 || status >= 500) {
      return CallOutcome.retry(message, requestedDelay(headers).orElse(null), false);
    }
    return CallOutcome.fail(message);
  }

  /**
   * The wait a response asks for: {@code Retry-After} (seconds or an HTTP date), else
   * {@code RateLimit-Reset} (seconds, Klaviyo and the IETF draft), else {@code X-RateLimit-Reset}
   * (epoch seconds, Braze; or seconds when small), else HubSpot's interval when
   * {@code X-HubSpot-RateLimit-Remaining} is 0.
   */
  public static Optional<Duration> requestedDelay(HttpHeaders headers) {
    Optional<String> retryAfter = headers.firstValue("Retry-After");
    if (retryAfter.isPresent()) {
      Duration parsed = parseRetryAfter(retryAfter.get().trim());
      if (parsed != null) {
        return Optional.of(parsed);
      }
    }
    Optional<String> reset = headers.firstValue("RateLimit-Reset");
    if (reset.isPresent()) {
      Duration parsed = secondsOrEpoch(reset.get());
      if (parsed != null) {
        return Optional.of(parsed);
      }
    }
    Optional<String> xReset = headers.firstValue("X-RateLimit-Reset");
    if (xReset.isPresent()) {
      Duration parsed = secondsOrEpoch(xReset.get());
      if (parsed != null) {
        return Optional.of(parsed);
      }
    }
    if (headers.firstValue("X-HubSpot-RateLimit-Remaining").map(String::trim)
        .filter("0"::equals).isPresent()) {
      Optional<String> interval = headers.firstValue("X-HubSpot-RateLimit-Interval-Milliseconds");
      if (interval.isPresent()) {
        try {
          return Optional.of(Duration.ofMillis(Long.parseLong(interval.get().trim())));
        } catch (NumberFormatException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  static @Nullable Duration parseRetryAfter(String value) {
    try {
      double seconds = Double.parseDouble(value);
      return seconds < 0 ? null : Duration.ofMillis((long) (seconds * 1000));
    } catch (NumberFormatException notSeconds) {
      try {
        Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration wait = Duration.between(Instant.now(), at);
        return wait.isNegative() ? Duration.ZERO : wait;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }

  private static @Nullable Duration secondsOrEpoch(String value) {
    try {
      double number = Double.parseDouble(value.trim());
      if (number < 0) {
        return null;
      }
      if (number > 1_000_000_000d) { // an epoch second
        long waitMillis = (long) (number * 1000) - System.currentTimeMillis();
        return Duration.ofMillis(Math.max(0, waitMillis));
      }
      return Duration.ofMillis((long) (number * 1000));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The human part of an error body: the first of {@code message}, {@code detail},
   * {@code title}, {@code error} found in a JSON object (or the first element of a JSON array,
   * as Salesforce answers), else the body itself, cut to 1000 characters.
   */
  public static String vendorMessage(@Nullable String body) {
    if (body == null || body.isBlank()) {
      return "(empty response)";
    }
    try {
      JsonNode node = JSON.readTree(body);
      if (node != null && node.isArray() && node.size() > 0) {
        node = node.get(0);
      }
      if (node != null && node.isObject()) {
        for (String field : new String[] {"message", "detail", "title", "error"}) {
          JsonNode value = node.get(field);
          if (value != null && value.isTextual() && !value.asText().isBlank()) {
            return cut(value.asText());
          }
        }
      }
    } catch (Exception notJson) {
      // fall through to the raw body
    }
    return cut(body.strip());
  }

  static String cut(String text) {
    return text.length() <= MAX_MESSAGE ? text : text.substring(0, MAX_MESSAGE) + "...";
  }
}
