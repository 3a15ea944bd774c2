package dev.audiencesegmenter.io.files;

/** A record that cannot be used, with the reason that goes to the dead-letter output. */
final class BadRecordException extends Exception {
  private static final long serialVersionUID = 1L;

  BadRecordException(String reason) {
    super(reason, null, false, false);
  }
}
