package dev.audiencesegmenter.io.files;

/** How input files are read. */
public enum FileFormat {
  /** By file name: {@code .csv} and {@code .csv.gz} (any compression suffix) are CSV. */
  AUTO,
  /** One JSON object per line. */
  JSONL,
  /** A header row, then one record per row; see {@link CsvRecords}. */
  CSV;

  static boolean isCsvName(String fileName) {
    String name = fileName.toLowerCase(java.util.Locale.ROOT)
        .replaceFirst("\\.(gz|gzip|bz2|zip|zst|deflate|lzo|snappy)$", "");
    return name.endsWith(".csv");
  }
}
