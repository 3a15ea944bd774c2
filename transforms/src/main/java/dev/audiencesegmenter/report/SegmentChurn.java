package dev.audiencesegmenter.report;

import java.io.Serializable;

/** A segment's membership against the previous run: who entered, left, stayed. */
record SegmentChurn(long entered, long exited, long stayed) implements Serializable {
  SegmentChurn plus(SegmentChurn o) {
    return new SegmentChurn(entered + o.entered, exited + o.exited, stayed + o.stayed);
  }

  /** (entered + exited) / (previous size + size); 0 when both are empty. */
  double churn() {
    long both = (exited + stayed) + (entered + stayed);
    return both == 0 ? 0 : (double) (entered + exited) / both;
  }
}
