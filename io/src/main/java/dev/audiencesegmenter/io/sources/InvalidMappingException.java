package dev.audiencesegmenter.io.sources;

/** A mistake in a mapping file, with the file, line and column it is at. */
public final class InvalidMappingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final int line;
  private final int column;

  InvalidMappingException(String file, int line, int column, String problem) {
    super(file + ":" + line + ":" + column + ": " + problem);
    this.file = file;
    this.line = line;
    this.column = column;
  }

  public String getFile() {
    return file;
  }

  public int getLine() {
    return line;
  }

  public int getColumn() {
    return column;
  }
}
