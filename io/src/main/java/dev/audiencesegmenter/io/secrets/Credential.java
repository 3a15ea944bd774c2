package dev.audiencesegmenter.io.secrets;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.ValueProvider;
import org.apache.beam.sdk.util.GcpSecret;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A vendor token, an API key or a database password, held as a reference that is resolved where
 * the secret is used (in the sink's {@code @Setup} on the worker, where a connection pool is
 * built): the name of an environment variable, a file (any path Beam's file systems read, e.g. a
 * local path or {@code gs://}), a Google Cloud Secret Manager secret version, or a value given to
 * the launching process. What a runner serializes into the job (the sink's DoFn, and with it its
 * web UI, REST API, plan and stored job graph) carries only the reference.
 *
 * <p>A value given directly ({@link #of(String)}) stays in the process that was given it: the
 * serialized form holds a random id, and a copy deserialized in that same process (the Direct
 * runner, Flink {@code [local]}) finds the value by it; a worker elsewhere cannot, and says so.
 * It is for local runs and tests.
 *
 * <p>It never shows itself: {@link #toString()}, display data and every message built by the
 * sinks print {@code ****}; {@link #describe()} names only the reference; and {@link
 * #redact(String)} removes the secret (and its Base64 forms used in Basic auth) from any text
 * before it reaches a log, an exception or a dead letter.
 */
public final class Credential implements Serializable {
  private static final long serialVersionUID = 2L;
  public static final String MASK = "****";

  /** Values given to this process, by the random id their serialized form carries. */
  private static final Map<String, String> GIVEN = new ConcurrentHashMap<>();

  private enum Kind { VALUE, ENVIRONMENT, FILE, SECRET_MANAGER }

  private static final Pattern SECRET_VERSION =
      Pattern.compile("projects/[^/\\s]+/secrets/[^/\\s]+/versions/[^/\\s]+");

  private final Kind kind;
  /** The variable's name, the file's path, or (for a value) its id in {@link #GIVEN}. */
  private final String reference;
  /** The resolved secret, never serialized. */
  private transient @Nullable String secret;

  private Credential(Kind kind, String reference, @Nullable String secret) {
    this.kind = kind;
    this.reference = reference;
    this.secret = secret;
  }

  /**
   * A secret given directly (an option of a local run, a test). It is not written into the
   * serialized job: only workers in this process can use it.
   */
  public static Credential of(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("The credential must not be blank");
    }
    String id = UUID.randomUUID().toString();
    GIVEN.put(id, value);
    return new Credential(Kind.VALUE, id, value);
  }

  /** A secret read from the environment variable {@code name} where it is used. */
  public static Credential fromEnvironment(String name) {
    if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("Invalid environment variable name '" + name + "'");
    }
    return new Credential(Kind.ENVIRONMENT, name, null);
  }

  /**
   * A secret read from the file {@code path} where it is used (through Beam's file systems:
   * a local path, or {@code gs://} on Dataflow); surrounding whitespace and the final newline
   * are dropped.
   */
  public static Credential fromFile(String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("A credential file must be given as a path, not '"
          + path + "'");
    }
    return new Credential(Kind.FILE, path, null);
  }

  /**
   * A secret read where it is used from Google Cloud Secret Manager: {@code versionName} is
   * {@code projects/PROJECT/secrets/NAME/versions/VERSION} (a number or {@code latest}). It is
   * read with Beam's {@code GcpSecret}, so the Secret Manager client must be on the workers'
   * classpath (the job jar built with {@code -Pdataflow}) and their service account must hold
   * the Secret Manager Secret Accessor role on it.
   */
  public static Credential fromSecretManager(String versionName) {
    if (versionName == null || !SECRET_VERSION.matcher(versionName).matches()) {
      // not the value: a secret given here by mistake must not be echoed
      throw new IllegalArgumentException("A Secret Manager secret version is named "
          + "projects/PROJECT/secrets/NAME/versions/VERSION");
    }
    return new Credential(Kind.SECRET_MANAGER, versionName, null);
  }

  /** The option's value when given, else the environment variable. */
  public static Credential fromOptionOrEnvironment(@Nullable String optionValue, String name) {
    return optionValue != null && !optionValue.isBlank() ? of(optionValue) : fromEnvironment(name);
  }

  /**
   * Where the secret comes from, safe to show: "value given to the launching process",
   * "environment variable NAME", "file PATH" or "Secret Manager secret NAME".
   */
  public String describe() {
    return switch (kind) {
      case VALUE -> "value given to the launching process";
      case ENVIRONMENT -> "environment variable " + reference;
      case FILE -> "file " + reference;
      case SECRET_MANAGER -> "Secret Manager secret " + reference;
    };
  }

  /** Whether only workers in the process that created it can resolve it (a given value). */
  public boolean isBoundToThisProcess() {
    return kind == Kind.VALUE;
  }

  /**
   * The secret, resolved on first use in this copy; throws naming the reference (never a
   * value) when it cannot be resolved here.
   */
  public String reveal() {
    String resolved = secret;
    if (resolved == null) {
      resolved = resolve();
      secret = resolved;
    }
    return resolved;
  }

  private String resolve() {
    switch (kind) {
      case VALUE: {
        String value = GIVEN.get(reference);
        if (value == null) {
          throw new IllegalStateException("The credential was given as a value to the launching "
              + "process, which keeps it out of the job: workers in other processes cannot use "
              + "it. Give it as an environment variable or a file the workers can read");
        }
        return value;
      }
      case ENVIRONMENT: {
        String value = System.getenv(reference);
        if (value == null || value.isBlank()) {
          throw new IllegalStateException("The credential's " + describe() + " is not set");
        }
        return value;
      }
      case SECRET_MANAGER:
        return fromSecretManager();
      default: {
        String value;
        try (InputStream in = Channels.newInputStream(FileSystems.open(
            FileSystems.matchSingleFileSpec(reference).resourceId()))) {
          value = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (java.io.FileNotFoundException e) {
          throw new IllegalStateException("The credential " + describe() + " does not exist");
        } catch (IOException | RuntimeException e) {
          // the exception's class only: a message could quote what was read
          throw new IllegalStateException("The credential " + describe() + " cannot be read ("
              + e.getClass().getSimpleName() + ")");
        }
        if (value.isEmpty()) {
          throw new IllegalStateException("The credential " + describe() + " is empty");
        }
        return value;
      }
    }
  }

  /**
   * The secret as a {@link ValueProvider}, for APIs that take one (e.g. {@code
   * JdbcIO.DataSourceConfiguration#withPassword}): it carries only this reference and resolves
   * it on each {@code get()} where it runs; its {@code toString()} is {@value #MASK}.
   */
  public ValueProvider<String> asValueProvider() {
    return new Resolved(this);
  }

  private static final class Resolved implements ValueProvider<String> {
    private static final long serialVersionUID = 1L;
    private final Credential credential;

    Resolved(Credential credential) {
      this.credential = credential;
    }

    @Override
    public String get() {
      return credential.reveal();
    }

    @Override
    public boolean isAccessible() {
      return true;
    }

    @Override
    public String toString() {
      return MASK;
    }
  }

  private String fromSecretManager() {
    byte[] bytes;
    try {
      bytes = new GcpSecret(reference).getSecretBytes();
    } catch (NoClassDefFoundError missing) {
      throw new IllegalStateException("The credential " + describe() + " needs the Secret "
          + "Manager client on the classpath (build the job jar with -Pdataflow)");
    } catch (RuntimeException e) {
      // the causes' classes only: a message could quote what was read
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("The credential " + describe() + " cannot be read ("
          + cause.getClass().getSimpleName() + ")");
    }
    String value = new String(bytes, StandardCharsets.UTF_8).strip();
    if (value.isEmpty()) {
      throw new IllegalStateException("The credential " + describe() + " is empty");
    }
    return value;
  }

  /** {@code text} with every occurrence of the secret replaced by {@value #MASK}. */
  public String redact(@Nullable String text) {
    if (text == null) {
      return "";
    }
    String resolved;
    try {
      resolved = reveal();
    } catch (IllegalStateException e) {
      return text;
    }
    return redact(text, resolved);
  }

  /** {@code text} with {@code secret} (and its Base64 forms used in Basic auth) masked. */
  public static String redact(String text, String secret) {
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
