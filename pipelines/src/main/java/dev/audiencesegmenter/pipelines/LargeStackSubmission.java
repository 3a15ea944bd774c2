package dev.audiencesegmenter.pipelines;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;

/**
 * Starts a pipeline from a thread with a large stack.
 *
 * <p>Why: the Flink runner's local mode copies the job graph with Java serialization, which
 * recurses once per operator along the longest path of the graph. A job with every segment
 * family (clusters, lookalikes, the report) is deep enough to overflow the JVM's default 1 MB
 * thread stack, depending on how much of the serialization code the JIT has compiled yet.
 * The stack is reserved, not committed: only the pages used cost memory.
 */
public final class LargeStackSubmission {
  /** Stack size of the submitting thread. */
  public static final long STACK_BYTES = 256L << 20;

  private LargeStackSubmission() {}

  /** Runs {@code pipeline.run()} on a thread with a {@link #STACK_BYTES} stack. */
  public static PipelineResult run(Pipeline pipeline) {
    AtomicReference<PipelineResult> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread submitter = new Thread(null, () -> {
      try {
        result.set(pipeline.run());
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "pipeline-submission", STACK_BYTES);
    submitter.setContextClassLoader(Thread.currentThread().getContextClassLoader());
    submitter.start();
    try {
      submitter.join();
    } catch (InterruptedException e) {
      submitter.interrupt();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while the pipeline was being submitted", e);
    }
    Throwable t = failure.get();
    if (t instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (t instanceof Error error) {
      throw error;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
    return result.get();
  }
}
