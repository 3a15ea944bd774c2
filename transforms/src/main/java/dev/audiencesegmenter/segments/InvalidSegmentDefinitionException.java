package dev.audiencesegmenter.segments;

/** A segment file that cannot be used; the message names the file, line and column. */
public final class InvalidSegmentDefinitionException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  InvalidSegmentDefinitionException(String source, int line, int column, String problem) {
    super(source + ":" + line + ":" + column + ": " + problem);
  }
}
