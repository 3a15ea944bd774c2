package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reads events or profiles from local files in this thread, without Beam, with the same checks
 * as {@link ReadCustomerEvents} and {@link ReadProfileAttributes}: the same lines are rejected
 * for the same reasons, and of duplicates of (source, id) the smallest raw line is kept. For
 * single-machine tools (the plain-Java benchmark baseline); the pipeline uses the transforms.
 *
 * <p>Patterns are a local folder and a glob over its file names ({@code data/events/*}); files
 * are plain or gzip-compressed ({@code .gz}).
 */
public final class LocalRecords<T> {
  private final List<T> records;
  private final List<DeadLetter> deadLetters;

  private LocalRecords(List<T> records, List<DeadLetter> deadLetters) {
    this.records = records;
    this.deadLetters = deadLetters;
  }

  /** The records that passed every check, one per (source, id), in no particular order. */
  public List<T> records() {
    return records;
  }

  /** Rejected lines: step, reason, and the raw line. */
  public List<DeadLetter> deadLetters() {
    return deadLetters;
  }

  public static LocalRecords<CustomerEvent> events(String filepattern, int maxLineBytes) {
    return events(filepattern, maxLineBytes, LineParser.DEFAULT_MAX_IDENTIFIERS);
  }

  public static LocalRecords<CustomerEvent> events(String filepattern, int maxLineBytes,
      int maxIdentifiers) {
    return read(filepattern, new LineParser<>(new EventParser(), maxLineBytes, maxIdentifiers),
        "ReadEvents");
  }

  /** Events of another tool's export, read through {@code mapping}. */
  public static LocalRecords<CustomerEvent> mappedEvents(String filepattern,
      dev.audiencesegmenter.io.sources.SourceMapping mapping) {
    return read(filepattern, new LineParser<>(new MappedEventParser(mapping),
        ReadCustomerEvents.DEFAULT_MAX_LINE_BYTES), "ReadEvents");
  }

  /** Profiles of another tool's export, read through {@code mapping}. */
  public static LocalRecords<ProfileAttributes> mappedProfiles(String filepattern,
      dev.audiencesegmenter.io.sources.SourceMapping mapping) {
    return read(filepattern, new LineParser<>(new MappedProfileParser(mapping),
        ReadCustomerEvents.DEFAULT_MAX_LINE_BYTES), "ReadProfiles");
  }

  public static LocalRecords<ProfileAttributes> profiles(String filepattern, int maxLineBytes) {
    return profiles(filepattern, maxLineBytes, LineParser.DEFAULT_MAX_IDENTIFIERS);
  }

  public static LocalRecords<ProfileAttributes> profiles(String filepattern, int maxLineBytes,
      int maxIdentifiers) {
    return read(filepattern,
        new LineParser<>(new ProfileParser(), maxLineBytes, maxIdentifiers), "ReadProfiles");
  }

  private static <T> LocalRecords<T> read(String filepattern, LineParser<T> lines,
      String stepPrefix) {
    RecordParser<T> parser = lines.recordParser();
    List<DeadLetter> deadLetters = new ArrayList<>();
    // (source, id) -> (raw line, record): the smallest raw line wins, as in the pipeline
    Map<String, Map.Entry<String, LineParser.Noted<T>>> kept = new HashMap<>();
    String parseStep = stepPrefix + "/Parse";
    String dedupStep = stepPrefix + "/Deduplicate";
    LineSink sink = (raw, csvAsJson) -> {
      LineParser.Noted<T> record;
      try {
        record = lines.parseNoted(raw, csvAsJson);
      } catch (BadRecordException e) {
        deadLetters.add(DeadLetter.create(parseStep, e.getMessage(),
            lines.deadLetterRecord(raw, csvAsJson)));
        return;
      }
      if (record.isSkipped()) {
        return;  // as the pipeline: a record the mapping does not read
      }
      String key = parser.duplicateKey(record.record());
      Map.Entry<String, LineParser.Noted<T>> previous = kept.get(key);
      String loser = raw;
      if (previous == null || raw.compareTo(previous.getKey()) < 0) {
        kept.put(key, Map.entry(raw, record));
        loser = previous == null ? null : previous.getKey();
      }
      if (loser != null) {
        deadLetters.add(DeadLetter.create(dedupStep,
            "duplicate (source, id): another record with the same source and id was kept",
            loser));
      }
    };
    for (Path file : match(filepattern)) {
      readFile(file, lines, sink);
    }
    List<T> records = new ArrayList<>(kept.size());
    kept.values().forEach(e -> {
      records.add(e.getValue().record());
      // as the pipeline: the kept record's unreadable consent values, read as withdrawn
      for (String note : e.getValue().notes()) {
        deadLetters.add(DeadLetter.create(parseStep, note, lines.shorten(e.getKey())));
      }
    });
    return new LocalRecords<>(records, deadLetters);
  }

  private interface LineSink {
    void accept(String raw, String csvAsJson);
  }

  private static <T> void readFile(Path file, LineParser<T> lines, LineSink sink) {
    String name = file.getFileName().toString();
    try (InputStream in = open(file)) {
      if (FileFormat.isCsvName(name)) {
        Reader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8),
            1 << 16);
        CsvRecords.readRows(reader, file.toString(), lines.recordParser().csvMapColumns(),
            lines.getMaxLineBytes(), sink::accept);
      } else {
        // As the pipeline reads them: the same lines, none held past the limit.
        int keepChars = lines.keepChars();
        try {
          readLines(in, lines, keepChars, sink);
        } catch (IOException e) {
          if (!LineParser.isCorruptCompressedData(e)) {
            throw e;
          }
          sink.accept(LineParser.restOf(file.toString()), LineParser.unreadable(e));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
  }

  private static <T> void readLines(InputStream in, LineParser<T> lines, int keepChars,
      LineSink sink) throws IOException {
    BoundedLineReader.read(in, 0, Long.MAX_VALUE,
        Math.max(lines.getMaxLineBytes(), 3 * keepChars), keepChars,
        ReadRecords.linesTo(sink::accept));
  }

  private static InputStream open(Path file) throws IOException {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    InputStream in = Files.newInputStream(file);
    if (name.endsWith(".gz") || name.endsWith(".gzip")) {
      return new GZIPInputStream(in, 1 << 16);
    }
    return in;
  }

  /** The files of {@code folder/glob}, sorted; matching nothing is an error, as in Beam. */
  static List<Path> match(String filepattern) {
    ReadRecords.checkFilepattern(filepattern, "LocalRecords");
    Path pattern = Path.of(filepattern);
    Path folder = pattern.getParent() == null ? Path.of(".") : pattern.getParent();
    String glob = pattern.getFileName().toString();
    if (folder.toString().matches(".*[*?\\[{].*")) {
      throw new IllegalArgumentException("LocalRecords takes wildcards in file names only, not "
          + "in folders: " + filepattern);
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, glob)) {
      for (Path file : stream) {
        if (Files.isRegularFile(file)) {
          files.add(file);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + folder, e);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("No file matches " + filepattern);
    }
    files.sort(null);
    return files;
  }
}
