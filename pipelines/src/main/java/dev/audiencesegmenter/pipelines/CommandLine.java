package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.segments.ClosestName;
import java.beans.Introspector;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's command line as people expect it: {@code --help} lists the job's own options first,
 * and a mistake (an unknown or misspelt option, a value of the wrong type, a missing required
 * option, a bad setting found while the pipeline is built) is one message on standard error
 * and exit status {@value #USAGE_ERROR}, without a stack trace. Beam's own parser is used
 * underneath; only its messages are rewritten.
 */
final class CommandLine {
  /** Exit status of a command-line mistake (as in sysexits' EX_USAGE tradition of "2"). */
  static final int USAGE_ERROR = 2;

  private static final Pattern UNKNOWN = Pattern.compile("missing a property named '([^']+)'");
  private static final Pattern BAD_VALUE = Pattern.compile(
      "Cannot deserialize value of type `([^`]+)` from String \"(.*?)\"");
  private static final Pattern MISSING = Pattern.compile(
      "Missing required value for \\[--([A-Za-z0-9]+)");

  private static final Logger LOG = LoggerFactory.getLogger(CommandLine.class);

  private CommandLine() {}

  /** A mistake on the command line or in the configuration it names. */
  static final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UsageException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * {@code args} (with {@code @file} arguments expanded) read as {@code type}, validated. Throws
   * {@link UsageException} with a message for people; callers handle {@code --help} first with
   * {@link #wantsHelp}. Without {@code validate}, required options are not enforced (a job
   * whose sources make them optional checks them itself).
   */
  static <T extends PipelineOptions> T parse(String[] args, Class<T> type, boolean validate) {
    PipelineOptionsFactory.register(type);
    String[] expanded = args;
    try {
      expanded = ArgumentFiles.expand(args);
      PipelineOptionsFactory.Builder builder = PipelineOptionsFactory.fromArgs(expanded);
      return (validate ? builder.withValidation() : builder).as(type);
    } catch (IllegalArgumentException e) {
      // the expanded arguments: a bad value may come from an @file
      throw new UsageException(explain(e.getMessage(), type, expanded), e);
    }
  }

  /** A job started from the command line: its options in, its exit status out. */
  interface Job<T extends PipelineOptions> {
    int run(T options, PrintStream out);
  }

  /**
   * Runs {@code job} for {@code args} and gives its exit status: the job's own (0 done, 1 the
   * run failed), 0 after {@code --help}, or {@value #USAGE_ERROR} for a mistake in the command
   * line or in the configuration it names (found while the pipeline is built, before any data
   * is read), said in one message on {@code err}. Without {@code validate}, Beam does not
   * enforce required options (a job whose sources make them optional checks them itself).
   */
  static <T extends PipelineOptions> int launch(String[] args, Class<T> type, String usage,
      boolean validate, PrintStream out, PrintStream err, Job<T> job) {
    if (wantsHelp(args)) {
      printHelp(type, usage, out);
      return 0;
    }
    try {
      return job.run(parse(args, type, validate), out);
    } catch (IllegalArgumentException e) {
      // a step's failure while running reaches here wrapped by the runner, not as this type
      return usageError(e, err);
    }
  }

  /** Whether {@code args} ask for the job's help ({@code --help} or {@code -h}). */
  static boolean wantsHelp(String[] args) {
    return Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h")
        || a.equals("--help=true"));
  }

  /** Prints the job's own options of {@code type}: required ones first, then by name. */
  static void printHelp(Class<? extends PipelineOptions> type, String usage, PrintStream out) {
    out.println("Usage: " + usage);
    out.println();
    out.println("Options of this job (also readable from a file: @runner-configs/direct.args):");
    List<Option> options = new ArrayList<>(options(type).values());
    options.sort(Comparator.comparing((Option o) -> !o.required).thenComparing(o -> o.name));
    for (Option option : options) {
      out.println("  --" + option.name + "=<" + option.type + ">"
          + (option.required ? "  (required)" : "")
          + (option.defaultValue == null ? "" : "  (default: " + option.defaultValue + ")"));
      for (String line : wrap(option.description, 88)) {
        out.println("      " + line);
      }
    }
    out.println();
    out.println("Runner options (--runner=DirectRunner or FlinkRunner, --parallelism, ...): "
        + "--help=<OptionsName>, for example --help=FlinkPipelineOptions");
  }

  /**
   * Says {@code e}'s message on {@code err} as one error (the stack trace at DEBUG only) with a
   * pointer to {@code --help}, and gives {@value #USAGE_ERROR}.
   */
  static int usageError(IllegalArgumentException e, PrintStream err) {
    LOG.debug("Command line or configuration rejected", e);
    err.println("error: " + String.valueOf(e.getMessage()).strip());
    err.println("Run with --help to list the options.");
    return USAGE_ERROR;
  }

  /** Beam's message, said for people: which option, and what to do about it. */
  static String explain(String message, Class<? extends PipelineOptions> type, String[] args) {
    String text = message == null ? "invalid command line" : message;
    Matcher badValue = BAD_VALUE.matcher(text);
    if (badValue.find()) {
      // Jackson's message names the value and the type, not the option: find the option
      String value = badValue.group(2);
      String option = Arrays.stream(args)
          .filter(a -> a.startsWith("--") && a.endsWith("=" + value))
          .map(a -> a.substring(0, a.indexOf('=')))
          .findFirst().orElse("an option");
      return option + ": '" + value + "' is not a valid " + badValue.group(1);
    }
    Matcher unknown = UNKNOWN.matcher(text);
    if (unknown.find()) {
      String name = unknown.group(1);
      // every registered interface's properties: the job's own (registered by parse) and
      // Beam's and the runners'
      Set<String> known = new TreeSet<>();
      for (Class<? extends PipelineOptions> registered
          : PipelineOptionsFactory.getRegisteredOptions()) {
        known.addAll(propertyNames(registered));
      }
      String closest = ClosestName.closest(name, known);
      return "unknown option --" + name
          + (closest == null ? "" : " (did you mean --" + closest + "?)");
    }
    Matcher missing = MISSING.matcher(text);
    if (missing.find()) {
      Option option = options(type).get(missing.group(1));
      return "missing required option --" + missing.group(1)
          + (option == null ? "" : ": " + option.description);
    }
    return text.strip();
  }

  /** The job's own options of {@code type} by name (not Beam's or the runners'). */
  static Map<String, Option> options(Class<?> type) {
    Map<String, Option> options = new LinkedHashMap<>();
    for (Method method : type.getMethods()) {
      if (!method.getDeclaringClass().getPackageName().startsWith("dev.audiencesegmenter")
          || method.getParameterCount() != 0) {
        continue;
      }
      String name = property(method);
      if (name == null) {
        continue;
      }
      Description description = method.getAnnotation(Description.class);
      // A list option (--input, --profiles) is given once per value: <String...>.
      String valueType = java.util.List.class.isAssignableFrom(method.getReturnType())
          ? "String..."
          : method.getReturnType().getSimpleName();
      options.put(name, new Option(name, valueType,
          description == null ? "" : description.value(),
          method.isAnnotationPresent(Validation.Required.class), defaultOf(method)));
    }
    return options;
  }

  private static Set<String> propertyNames(Class<?> type) {
    Set<String> names = new TreeSet<>();
    for (Method method : type.getMethods()) {
      String name = method.getParameterCount() == 0 ? property(method) : null;
      if (name != null) {
        names.add(name);
      }
    }
    return names;
  }

  private static String property(Method method) {
    String name = method.getName();
    if (name.startsWith("get") && name.length() > 3) {
      return Introspector.decapitalize(name.substring(3));
    }
    if (name.startsWith("is") && name.length() > 2 && method.getReturnType() == boolean.class) {
      return Introspector.decapitalize(name.substring(2));
    }
    return null;
  }

  private static String defaultOf(Method method) {
    if (method.getAnnotation(Default.String.class) != null) {
      return method.getAnnotation(Default.String.class).value();
    }
    if (method.getAnnotation(Default.Integer.class) != null) {
      return String.valueOf(method.getAnnotation(Default.Integer.class).value());
    }
    if (method.getAnnotation(Default.Long.class) != null) {
      return String.valueOf(method.getAnnotation(Default.Long.class).value());
    }
    if (method.getAnnotation(Default.Double.class) != null) {
      return String.valueOf(method.getAnnotation(Default.Double.class).value());
    }
    if (method.getAnnotation(Default.Boolean.class) != null) {
      return String.valueOf(method.getAnnotation(Default.Boolean.class).value());
    }
    return null;
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split("\\s+")) {
      if (word.isEmpty()) {
        continue;
      }
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }

  /** One option of the job, as {@code --help} shows it. */
  record Option(String name, String type, String description, boolean required,
      String defaultValue) {}
}
