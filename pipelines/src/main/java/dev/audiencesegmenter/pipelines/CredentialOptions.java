package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.io.secrets.Credential;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A credential given by one family of options, {@code --<option>}, {@code --<option>Env},
 * {@code --<option>File} and {@code --<option>Secret}, turned into a {@link Credential}: a
 * reference that is resolved where the secret is used. The value of {@code --<option>} is kept
 * out of the job, so it is accepted only when the workers are this process; a variable, a file
 * or a Secret Manager secret is named in the job and read by the workers. Where the workers run
 * here, the reference is resolved at once, so a missing one fails the launch naming it.
 */
final class CredentialOptions {
  private static final Logger LOG = LoggerFactory.getLogger(CredentialOptions.class);

  private CredentialOptions() {}

  /**
   * A vendor's credential for {@code sink}: required (unless a dry run), with {@code
   * defaultEnv} as the variable read on local runs when no option is given.
   */
  static Credential forSink(PipelineOptions options, boolean dryRun, String sink, String option,
      @Nullable String value, @Nullable String env, @Nullable String file,
      @Nullable String secret, String defaultEnv) {
    String user = "--sinks=" + sink;
    Credential credential = given(options, option, value, env, file, secret, user);
    if (credential == null) {
      if (!workersInThisProcess(options) && !dryRun) {
        throw new IllegalArgumentException(user + ": the workers of " + runner(options)
            + " read the token where --" + option + "Env=NAME or --" + option
            + "File=PATH says (--" + option + " is for local runs only)");
      }
      credential = Credential.fromEnvironment(defaultEnv);
      if (dryRun) {
        return credential;
      }
      return checked(options, credential, null, user + " needs the environment variable "
          + defaultEnv + ", --" + option + "Env=NAME or --" + option + "File=PATH (or --"
          + option + " on local runs)");
    }
    return dryRun ? credential
        : checked(options, credential, sourceOf(option, value, file, secret), null);
  }

  /**
   * The database password of {@code --<option>}, {@code --<option>Env}, ... for the database
   * of {@code urlOption}: optional (a server may trust the user, or the URL may hold it); when
   * no option is given, {@code defaultEnv} (if not null) is used if it is set here.
   */
  static @Nullable Credential forDatabase(PipelineOptions options, String option,
      String urlOption, @Nullable String value, @Nullable String env, @Nullable String file,
      @Nullable String secret, @Nullable String defaultEnv) {
    Credential credential = given(options, option, value, env, file, secret, urlOption);
    if (credential == null) {
      String fromEnvironment = defaultEnv == null ? null : System.getenv(defaultEnv);
      return fromEnvironment == null || fromEnvironment.isBlank() ? null
          : checked(options, Credential.fromEnvironment(defaultEnv), null, null);
    }
    return checked(options, credential, sourceOf(option, value, file, secret), null);
  }

  /** The credential of the option given, or null when none is; more than one is an error. */
  private static @Nullable Credential given(PipelineOptions options, String option,
      @Nullable String value, @Nullable String env, @Nullable String file,
      @Nullable String secret, String user) {
    long given = Stream.of(value, env, file, secret).filter(CredentialOptions::isSet).count();
    if (given > 1) {
      throw new IllegalArgumentException(user + ": give one of --" + option + ", --" + option
          + "Env, --" + option + "File, --" + option + "Secret, not " + given);
    }
    if (isSet(value)) {
      if (!workersInThisProcess(options)) {
        throw new IllegalArgumentException("--" + option + " is for runs whose workers are this "
            + "process (the Direct runner, Flink [local]): its value is kept out of the job, so "
            + "the workers of " + runner(options) + " would not have it; give --" + option
            + "Env=NAME or --" + option + "File=PATH, read on the workers");
      }
      return Credential.of(value);
    }
    if (isSet(file)) {
      return Credential.fromFile(file);
    }
    if (isSet(secret)) {
      try {
        return Credential.fromSecretManager(secret);
      } catch (IllegalArgumentException invalid) {
        throw new IllegalArgumentException("--" + option + "Secret: " + invalid.getMessage());
      }
    }
    if (isSet(env)) {
      try {
        return Credential.fromEnvironment(env);
      } catch (IllegalArgumentException invalid) {
        // not the value: a secret given here by mistake must not be echoed
        throw new IllegalArgumentException("--" + option + "Env: not a valid environment "
            + "variable name");
      }
    }
    return null;
  }

  private static String sourceOf(String option, @Nullable String value, @Nullable String file,
      @Nullable String secret) {
    return "--" + option + (isSet(value) ? "" : isSet(file) ? "File" : isSet(secret) ? "Secret"
        : "Env");
  }

  /**
   * Resolves the credential now where the workers are this process, failing with {@code
   * source}'s name (or {@code missing}) when it cannot be read; elsewhere only logs the
   * reference.
   */
  private static Credential checked(PipelineOptions options, Credential credential,
      @Nullable String source, @Nullable String missing) {
    if (!workersInThisProcess(options)) {
      LOG.info("Credential from the {}, read on the workers", credential.describe());
      return credential;
    }
    try {
      credential.reveal();
    } catch (IllegalStateException unreadable) {
      throw new IllegalArgumentException(missing != null ? missing
          : (source != null ? source + ": " : "") + unreadable.getMessage());
    }
    return credential;
  }

  private static boolean isSet(@Nullable String text) {
    return text != null && !text.isBlank();
  }

  private static String runner(PipelineOptions options) {
    return options.getRunner().getSimpleName();
  }

  /**
   * Whether the job's workers are this process: the Direct runner, or Flink in local mode (its
   * mini cluster runs in the launching JVM).
   */
  static boolean workersInThisProcess(PipelineOptions options) {
    String runner = runner(options);
    if (runner.equals("DirectRunner") || runner.equals("TestDirectRunner")) {
      return true;
    }
    if (runner.equals("FlinkRunner") || runner.equals("TestFlinkRunner")) {
      String master = options.as(FlinkPipelineOptions.class).getFlinkMaster();
      return master == null || List.of("[local]", "[auto]", "[collection]").contains(master);
    }
    return false;
  }
}
