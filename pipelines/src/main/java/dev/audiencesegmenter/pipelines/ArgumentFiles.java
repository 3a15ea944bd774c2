package dev.audiencesegmenter.pipelines;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Expands {@code @file} arguments into the options written in the file, one per line, so that
 * the ready option files in {@code runner-configs/} can be passed as
 * {@code java -jar pipeline.jar @runner-configs/flink-local.args --input=...}. Blank lines and
 * lines starting with {@code #} are skipped; later arguments override earlier ones, except
 * that {@code --input} and {@code --profiles} may be repeated (one per source): all of one
 * place (the command line, or one file) are kept, and a later place replaces them.
 */
public final class ArgumentFiles {

  private ArgumentFiles() {}

  /** Options that name one source each and may be given several times. */
  static final java.util.Set<String> REPEATABLE = java.util.Set.of("--input", "--profiles");

  public static String[] expand(String[] args) {
    List<String> out = new ArrayList<>();
    List<Integer> origins = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("@")) {
        out.add(arg);
        origins.add(-1);  // the command line
        continue;
      }
      Path file = Path.of(arg.substring(1));
      try {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          String option = line.strip();
          if (!option.isEmpty() && !option.startsWith("#")) {
            out.add(option);
            origins.add(i);
          }
        }
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException("Options file " + file + " (from '" + arg
            + "') does not exist", e);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read options file " + file, e);
      }
    }
    return keepLastOfEachOption(out, origins).toArray(new String[0]);
  }

  /** Beam rejects an option given twice; here the later one wins, as a user means it. */
  private static List<String> keepLastOfEachOption(List<String> args, List<Integer> origins) {
    java.util.LinkedHashMap<String, List<String>> byName = new java.util.LinkedHashMap<>();
    java.util.Map<String, Integer> originOf = new java.util.HashMap<>();
    int positional = 0;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String name = arg.startsWith("--") ? arg.split("=", 2)[0] : "#" + (positional++);
      Integer origin = origins.get(i);
      if (REPEATABLE.contains(name) && origin.equals(originOf.get(name))) {
        byName.get(name).add(arg);
        continue;
      }
      byName.remove(name);
      byName.put(name, new ArrayList<>(List.of(arg)));
      originOf.put(name, origin);
    }
    List<String> out = new ArrayList<>();
    byName.values().forEach(out::addAll);
    return out;
  }
}
