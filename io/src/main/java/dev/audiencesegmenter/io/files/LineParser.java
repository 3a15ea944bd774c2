package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Checks one raw line and parses it into a record, or says why not: the single per-line code
 * path of every reader (files, Kafka), so a line is accepted or rejected, with the same
 * reason, whichever way it arrives.
 */
public final class LineParser<T> implements Serializable {
  private static final long serialVersionUID = 1L;
  /**
   * Creates the parsers (a default JSON factory). No tree is read: {@link JsonRecord} keeps
   * numbers as written (42.50 stays 42.50) and rejects trailing tokens itself.
   */
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  /** Default of {@code maxIdentifiersPerRecord}: more than any one person has. */
  public static final int DEFAULT_MAX_IDENTIFIERS = 50;

  private final RecordParser<T> parser;
  private final int maxLineBytes;
  private final int maxIdentifiers;

  LineParser(RecordParser<T> parser, int maxLineBytes) {
    this(parser, maxLineBytes, DEFAULT_MAX_IDENTIFIERS);
  }

  LineParser(RecordParser<T> parser, int maxLineBytes, int maxIdentifiers) {
    this.parser = parser;
    this.maxLineBytes = ReadRecords.checkMaxLineBytes(maxLineBytes);
    this.maxIdentifiers = checkMaxIdentifiers(maxIdentifiers);
  }

  static int checkMaxIdentifiers(int maxIdentifiers) {
    if (maxIdentifiers < 1) {
      throw new IllegalArgumentException("maxIdentifiersPerRecord must be at least 1, got "
          + maxIdentifiers);
    }
    return maxIdentifiers;
  }

  /**
   * Customer events (data-formats.md), lines of at most {@code maxLineBytes} bytes, at most
   * {@link #DEFAULT_MAX_IDENTIFIERS} identifiers.
   */
  public static LineParser<CustomerEvent> customerEvents(int maxLineBytes) {
    return new LineParser<>(new EventParser(), maxLineBytes);
  }

  /** Customer events with at most {@code maxIdentifiers} identifiers per record. */
  public static LineParser<CustomerEvent> customerEvents(int maxLineBytes, int maxIdentifiers) {
    return new LineParser<>(new EventParser(), maxLineBytes, maxIdentifiers);
  }

  /**
   * Events of another tool's layout, read through {@code mapping} (an events mapping), from
   * JSON objects of at most {@code maxLineBytes} bytes with at most {@code maxIdentifiers}
   * identifiers.
   */
  public static LineParser<CustomerEvent> mappedEvents(SourceMapping mapping, int maxLineBytes,
      int maxIdentifiers) {
    return new LineParser<>(new MappedEventParser(mapping), maxLineBytes, maxIdentifiers);
  }

  /**
   * Profiles of another tool's layout, read through {@code mapping} (a profiles mapping), from
   * JSON objects of at most {@code maxLineBytes} bytes with at most {@code maxIdentifiers}
   * identifiers.
   */
  public static LineParser<ProfileAttributes> mappedProfiles(SourceMapping mapping,
      int maxLineBytes, int maxIdentifiers) {
    return new LineParser<>(new MappedProfileParser(mapping), maxLineBytes, maxIdentifiers);
  }

  public int getMaxLineBytes() {
    return maxLineBytes;
  }

  public int getMaxIdentifiers() {
    return maxIdentifiers;
  }

  /** The record of a good line, or null for a line that would be dead-lettered or skipped. */
  public @Nullable T parseOrNull(String raw) {
    try {
      return parse(raw, null);
    } catch (BadRecordException e) {
      return null;
    }
  }

  /**
   * Parses {@code raw}, or {@code csvAsJson} (a CSV row rendered as JSON) when given; raw is
   * what the size and encoding checks look at.
   */
  T parse(String raw, @Nullable String csvAsJson) throws BadRecordException {
    return parseNoted(raw, csvAsJson).record();
  }

  /**
   * A record, and the reasons of the dead letters it leaves although it is kept (unreadable
   * consent values, read as withdrawn; see {@link JsonRecord#notes}).
   */
  record Noted<T>(@Nullable T record, List<String> notes) {
    /** A record its mapping does not read (not a rejection): no record, no notes. */
    static <T> Noted<T> skipped() {
      return new Noted<>(null, List.of());
    }

    boolean isSkipped() {
      return record == null;
    }
  }

  /** {@link #parse}, with the record's notes. */
  Noted<T> parseNoted(String raw, @Nullable String csvAsJson) throws BadRecordException {
    Noted<T> noted = parser.read(JSON, checked(raw, csvAsJson));
    if (noted.isSkipped()) {
      return noted;
    }
    int identifiers = parser.identifiers(noted.record()).size();
    if (identifiers > maxIdentifiers) {
      // All of a record's identifiers become one customer: how many is bounded here.
      throw new BadRecordException("too many identifiers: " + identifiers + " in 'ids' (at most "
          + maxIdentifiers + ", see --maxIdentifiersPerRecord)");
    }
    return noted;
  }

  RecordParser<T> recordParser() {
    return parser;
  }

  /** The JSON text to parse, once the line's size and encoding have passed. */
  private String checked(String raw, @Nullable String csvAsJson) throws BadRecordException {
    if (OVERSIZED.equals(csvAsJson)) {
      throw new BadRecordException("line longer than " + maxLineBytes + " bytes");
    }
    if (csvAsJson != null && csvAsJson.startsWith(UNREADABLE)) {
      throw new BadRecordException(csvAsJson.substring(UNREADABLE.length()));
    }
    if (raw.isBlank()) {
      throw new BadRecordException("empty line");
    }
    // Worst case 3 bytes per char: count bytes only for lines that may be too long.
    if ((long) raw.length() * 3 > maxLineBytes
        && raw.getBytes(StandardCharsets.UTF_8).length > maxLineBytes) {
      throw new BadRecordException("line longer than " + maxLineBytes + " bytes");
    }
    if (raw.indexOf('\uFFFD') >= 0) {
      throw new BadRecordException("not valid UTF-8 (undecodable bytes)");
    }
    return csvAsJson != null ? csvAsJson : raw;
  }

  /** Oversized lines are kept in the dead letters in part, with their length. */
  String shorten(String raw) {
    int limit = keepChars();
    return raw.length() <= limit ? raw
        : raw.substring(0, limit) + "... [" + raw.length() + " characters]";
  }

  /** Characters of an oversized line that its dead letter keeps. */
  int keepChars() {
    return Math.max(1024, Math.min(maxLineBytes, 64 * 1024));
  }

  /**
   * The value that stands in for the JSON of a line too long to be read whole; the raw line is
   * then its {@link #oversizedRecord}. Not valid JSON, so no CSV row can be mistaken for it.
   */
  static final String OVERSIZED = "\u0000oversized line";

  /**
   * Stands in for the JSON of the rest of a file that cannot be decompressed (a truncated or
   * corrupt gzip file), followed by the reason; the raw line is then {@link #restOf}.
   */
  static final String UNREADABLE = "\u0000unreadable file\u0000";

  /**
   * Whether a read failed on the file's content: a compressed stream that ends early or is
   * corrupt. The same bytes fail the same way on every attempt, so the rest of the file is a
   * dead letter rather than a failed run; other I/O errors (a storage outage) still fail it.
   */
  static boolean isCorruptCompressedData(IOException e) {
    if (e instanceof java.io.EOFException || e instanceof java.util.zip.ZipException) {
      return true;
    }
    // Thrown by a decompressor itself (commons-compress, which Beam decompresses with).
    StackTraceElement[] at = e.getStackTrace();
    return at.length > 0 && (at[0].getClassName().startsWith("org.apache.commons.compress.")
        || at[0].getClassName().startsWith("java.util.zip."));
  }

  /** The value of the rest of a file that {@link #isCorruptCompressedData} stopped. */
  static String unreadable(IOException e) {
    return UNREADABLE + "truncated or corrupt compressed file (" + e.getMessage()
        + "); the rest of the file is skipped";
  }

  /** The raw line of the rest of a file that could not be read. */
  static String restOf(String fileName) {
    return "(rest of " + fileName + ")";
  }

  /** The dead letter's record of a line read only in part: its start and length. */
  static String oversizedRecord(String start, long bytes) {
    return start + "... [" + bytes + " bytes]";
  }

  /** The record a dead letter keeps of a rejected raw line and its value (see parse). */
  String deadLetterRecord(String raw, @Nullable String csvAsJson) {
    return OVERSIZED.equals(csvAsJson)
        || (csvAsJson != null && csvAsJson.startsWith(UNREADABLE)) ? raw : shorten(raw);
  }
}
