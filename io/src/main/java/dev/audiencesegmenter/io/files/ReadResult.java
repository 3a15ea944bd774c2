package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.DeadLetter;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;

/** What a source produces: the good records, and every rejected line with its reason. */
public final class ReadResult<T> implements POutput {
  private final Pipeline pipeline;
  private final PCollection<T> records;
  private final PCollection<DeadLetter> deadLetters;

  ReadResult(Pipeline pipeline, PCollection<T> records, PCollection<DeadLetter> deadLetters) {
    this.pipeline = pipeline;
    this.records = records;
    this.deadLetters = deadLetters;
  }

  /** The records that passed every check (file readers: one per (source, id)). */
  public PCollection<T> getRecords() {
    return records;
  }

  /** Rejected lines: step, reason, and the raw line. */
  public PCollection<DeadLetter> getDeadLetters() {
    return deadLetters;
  }

  @Override
  public Pipeline getPipeline() {
    return pipeline;
  }

  @Override
  public Map<TupleTag<?>, PValue> expand() {
    return Map.of(new TupleTag<T>("records"), records,
        new TupleTag<DeadLetter>("deadLetters"), deadLetters);
  }

  @Override
  public void finishSpecifyingOutput(
      String transformName, PInput input, PTransform<?, ?> transform) {}
}
