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
 * lines starting with {@code #} are skipped; later arguments override earlier ones.
 */
public final class ArgumentFiles {

  private ArgumentFiles() {}

  public static String[] expand(String[] args) {
    List<String> out = new ArrayList<>();
    for (String arg : args) {
      if (!arg.startsWith("@")) {
        out.add(arg);
        continue;
      }
      Path file = Path.of(arg.substring(1));
      try {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          String option = line.strip();
          if (!option.isEmpty() && !option.startsWith("#")) {
            out.add(option);
          }
        }
      } catch (NoSuchFileException e) {
        throw new IllegalArgumentException("Options file " + file + " (from '" + arg
            + "') does not exist", e);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read options file " + file, e);
      }
    }
    return keepLastOfEachOption(out).toArray(new String[0]);
  }

  /** Beam rejects an option given twice; here the later one wins, as a user means it. */
  private static List<String> keepLastOfEachOption(List<String> args) {
    java.util.LinkedHashMap<String, String> byName = new java.util.LinkedHashMap<>();
    int positional = 0;
    for (String arg : args) {
      String name = arg.startsWith("--") ? arg.split("=", 2)[0] : "#" + (positional++);
      byName.remove(name);
      byName.put(name, arg);
    }
    return new ArrayList<>(byName.values());
  }
}
