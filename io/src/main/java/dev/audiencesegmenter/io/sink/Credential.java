package dev.audiencesegmenter.io.sink;

import java.io.Serializable;
import java.util.Base64;
import java.nio.charset.StandardCharsets;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A vendor token or API key, given as a value (from pipeline options) or as the name of an
 * environment variable read on the worker. It never shows itself: {@link #toString()}, display
 * data and every message built by the sinks print {@code ****}, and {@link #redact(String)}
 * removes the secret (and its Base64 forms used in Basic auth) from any text before it reaches
 * a log, an exception or a dead letter.
 *
 * <p>Java serialization still carries a value given directly (the workers need it); prefer
 * {@link #fromEnvironment(String)} where the workers' environment can hold the secret.
 */
public final class Credential implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final String MASK = "****";

  private final @Nullable String value;
  private final @Nullable String environmentVariable;

  private Credential(@Nullable String value, @Nullable String environmentVariable) {
    this.value = value;
    this.environmentVariable = environmentVariable;
  }

  /** A secret given directly, e.g. from a pipeline option. */
  public static Credential of(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("The credential must not be blank");
    }
    return new Credential(value, null);
  }

  /** A secret read from the environment variable {@code name} when first used. */
  public static Credential fromEnvironment(String name) {
    if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("Invalid environment variable name '" + name + "'");
    }
    return new Credential(null, name);
  }

  /** The option's value when given, else the environment variable. */
  public static Credential fromOptionOrEnvironment(@Nullable String optionValue, String name) {
    return optionValue != null && !optionValue.isBlank() ? of(optionValue) : fromEnvironment(name);
  }

  /** Where the secret comes from, safe to show: "option" or "environment variable NAME". */
  public String describe() {
    return environmentVariable == null ? "given value" : "environment variable "
        + environmentVariable;
  }

  /** The secret; throws naming the variable (never a value) when it is not set. */
  public String reveal() {
    if (value != null) {
      return value;
    }
    String fromEnv = System.getenv(environmentVariable);
    if (fromEnv == null || fromEnv.isBlank()) {
      throw new IllegalStateException("The credential's " + describe() + " is not set");
    }
    return fromEnv;
  }

  /** {@code text} with every occurrence of the secret replaced by {@value #MASK}. */
  public String redact(@Nullable String text) {
    if (text == null) {
      return "";
    }
    String secret;
    try {
      secret = reveal();
    } catch (IllegalStateException e) {
      return text;
    }
    return redact(text, secret);
  }

  static String redact(String text, String secret) {
    if (secret.length() < 4) {
      return text; // nothing sensible to search for; such keys are refused by vendors anyway
    }
    String out = text.replace(secret, MASK);
    Base64.Encoder base64 = Base64.getEncoder();
    for (String prefix : new String[] {"", "anystring:", "user:", "apikey:"}) {
      String encoded = base64.encodeToString((prefix + secret).getBytes(StandardCharsets.UTF_8));
      out = out.replace(encoded, MASK);
    }
    return out;
  }

  @Override
  public String toString() {
    return MASK;
  }
}
