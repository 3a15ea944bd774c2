package dev.audiencesegmenter.clv;

/** The data cannot support a model fit; the message names the counts that fell short. */
public class ClvFitException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ClvFitException(String message) {
    super(message);
  }
}
