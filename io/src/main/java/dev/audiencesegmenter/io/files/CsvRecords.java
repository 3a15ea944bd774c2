package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.FilterReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads CSV files into the JSON shape of the same record, so that one parser checks both
 * formats. The header names the columns: top-level fields by their JSON names ({@code source},
 * {@code id}, {@code type}, {@code time}, {@code revenue}, {@code currency}) and nested maps
 * with a dotted prefix ({@code ids.email}, {@code props.sku}, {@code consent.email},
 * {@code attrs.city}). An empty cell is an absent value; other columns are ignored.
 */
final class CsvRecords {
  private CsvRecords() {}

  /**
   * Emits {@code (raw row as CSV, row as JSON)} for every row of one CSV file; false when broken
   * quoting left the rest of the file unreadable (then a last row says where) or the header is
   * unusable, or a record ran past {@code maxRecordChars} (an unclosed quote, a file without
   * line ends: the rest of the file is not held in memory to find its end). Shared with the
   * plain-Java benchmark baseline's reader (test sources).
   */
  static boolean readRows(Reader input, String fileName, Set<String> mapColumns,
      int maxRecordChars, BiConsumer<String, String> out) throws IOException {
    BoundedRecordReader reader = new BoundedRecordReader(input, maxRecordChars);
    // The header is read as a plain record, not by the parser (setHeader()), which throws out
    // of the job for an unreadable header or a blank name and allows a name twice.
    CSVFormat format = CSVFormat.DEFAULT.builder().setIgnoreEmptyLines(false).get();
    try (CSVParser csv = CSVParser.parse(reader, format)) {
      Iterator<CSVRecord> rows = csv.iterator();
      CSVRecord headerRecord;
      try {
        if (!rows.hasNext()) {
          return true;  // an empty file
        }
        headerRecord = rows.next();
        reader.recordEnded();
      } catch (UncheckedIOException e) {
        // An unclosed quote runs to the end of the file: nothing after it can be read.
        out.accept("(file " + fileName + ")", errorJson("the header cannot be read ("
            + e.getCause().getMessage() + "); the file is skipped"));
        return false;
      }
      List<String> header = new ArrayList<>(headerRecord.size());
      for (String name : headerRecord.values()) {
        // A byte order mark (Excel's "CSV UTF-8") is not part of the first column's name.
        if (header.isEmpty() && name.startsWith("\uFEFF")) {
          name = name.substring(1);
        }
        header.add(name.strip());
      }
      String headerError = headerError(header, mapColumns);
      try {
        while (rows.hasNext()) {
          CSVRecord row = rows.next();
          reader.recordEnded();
          String raw = CSVFormat.DEFAULT.format(row.values());
          // Rows under a bad header are kept whole in the dead letters, one by one.
          out.accept(raw, headerError != null
              ? errorJson(headerError + "; the row is skipped")
              : toJson(mapColumns, header, row));
        }
      } catch (UncheckedIOException e) {
        // Broken quoting, or a compressed file cut short, leaves the rest of the file
        // unreadable: say where, and go on.
        out.accept(LineParser.restOf(fileName),
            LineParser.isCorruptCompressedData(e.getCause())
                ? LineParser.unreadable(e.getCause())
                : errorJson(e.getCause().getMessage().replace("\"", "'")));
        return false;
      }
      return headerError == null;
    }
  }

  /**
   * Fails the read once a record has taken more than its limit of characters (plus what the
   * CSV parser reads ahead), so that one record never holds more than that in memory.
   */
  private static final class BoundedRecordReader extends FilterReader {
    /** Read-ahead allowance: the parser's buffer, twice. */
    private static final int SLACK = 16 * 1024;
    private final int maxRecordChars;
    private long sinceRecord;

    BoundedRecordReader(Reader in, int maxRecordChars) {
      super(in);
      this.maxRecordChars = maxRecordChars;
    }

    void recordEnded() {
      sinceRecord = 0;
    }

    private void count(long n) throws IOException {
      if (n > 0) {
        sinceRecord += n;
        if (sinceRecord > (long) maxRecordChars + SLACK) {
          throw new IOException("a record runs past " + maxRecordChars + " characters (an "
              + "unclosed quote, or no line ends); the rest of the file is skipped");
        }
      }
    }

    @Override
    public int read() throws IOException {
      int c = super.read();
      count(c < 0 ? 0 : 1);
      return c;
    }

    @Override
    public int read(char[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      count(n);
      return n;
    }
  }

  /** Why the header cannot name the cells of its rows, or null. */
  private static @Nullable String headerError(List<String> header, Set<String> mapColumns) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < header.size(); i++) {
      String name = header.get(i);
      if (name.isEmpty()) {
        return "the header has a blank column name (column " + (i + 1) + ")";
      }
      if (!seen.add(name)) {
        // The JSON of a row could keep only one of the values.
        return "the header names column '" + JsonFields.abbreviate(name) + "' twice";
      }
    }
    for (String name : header) {
      int dot = name.indexOf('.');
      if (dot > 0 && mapColumns.contains(name.substring(0, dot))
          && seen.contains(name.substring(0, dot))) {
        // One cell would be the whole map and others its entries.
        return "the header has both column '" + name.substring(0, dot) + "' and column '"
            + JsonFields.abbreviate(name) + "'";
      }
    }
    return null;
  }

  /** The JSON of a row that the line parser rejects with {@code reason}. */
  private static String errorJson(String reason) {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("__csv_error", reason);
    return json.toString();
  }

  private static String toJson(Set<String> mapColumns, List<String> header, CSVRecord row) {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i < header.size() && i < row.size(); i++) {
      String column = header.get(i);
      String value = row.get(i);
      if (value == null || value.isEmpty()) {
        continue;
      }
      int dot = column.indexOf('.');
      if (dot > 0 && mapColumns.contains(column.substring(0, dot))) {
        String map = column.substring(0, dot);
        ObjectNode nested = json.has(map) ? (ObjectNode) json.get(map) : json.putObject(map);
        String key = column.substring(dot + 1);
        // consent cells stay text: the parser reads them by ConsentValue's table
        nested.put(key, value);
      } else if (column.equals("revenue") && isNumber(value)) {
        json.put(column, new BigDecimal(value.strip()));
      } else {
        json.put(column, value);
      }
    }
    if (row.size() != header.size()) {
      json.put("__csv_error", "row has " + row.size() + " cells, the header "
          + header.size());
    }
    return json.toString();
  }

  private static boolean isNumber(String value) {
    try {
      new BigDecimal(value.strip());
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
