package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.DeadLetter;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/**
 * What a source produces: the good records, and every rejected line with its reason; or, read
 * with dead letters in band, both in one stream ({@link #getChecked}).
 */
public final class ReadResult<T> implements POutput {
  private final Pipeline pipeline;
  private final @Nullable PCollection<T> records;
  private final @Nullable PCollection<DeadLetter> deadLetters;
  private final @Nullable PCollection<Checked<T>> checked;

  ReadResult(Pipeline pipeline, PCollection<T> records, PCollection<DeadLetter> deadLetters) {
    this.pipeline = pipeline;
    this.records = records;
    this.deadLetters = deadLetters;
    this.checked = null;
  }

  ReadResult(Pipeline pipeline, PCollection<Checked<T>> checked) {
    this.pipeline = pipeline;
    this.records = null;
    this.deadLetters = null;
    this.checked = checked;
  }

  /** The records that passed every check (file readers: one per (source, id)). */
  public PCollection<T> getRecords() {
    if (records == null) {
      throw new IllegalStateException("read with dead letters in band: use getChecked()");
    }
    return records;
  }

  /** Rejected lines: step, reason, and the raw line. */
  public PCollection<DeadLetter> getDeadLetters() {
    if (deadLetters == null) {
      throw new IllegalStateException("read with dead letters in band: use getChecked()");
    }
    return deadLetters;
  }

  /** Records and rejected lines in one stream (readers' {@code withDeadLettersInBand()}). */
  public PCollection<Checked<T>> getChecked() {
    if (checked == null) {
      throw new IllegalStateException("dead letters are in a stream of their own: use "
          + "getRecords() and getDeadLetters(), or read withDeadLettersInBand()");
    }
    return checked;
  }

  @Override
  public Pipeline getPipeline() {
    return pipeline;
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    if (checked != null) {
      return Map.of(new TupleTag<Checked<T>>("checked"), checked);
    }
    return Map.of(new TupleTag<T>("records"), records,
        new TupleTag<DeadLetter>("deadLetters"), deadLetters);
  }

  @Override
  public void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
