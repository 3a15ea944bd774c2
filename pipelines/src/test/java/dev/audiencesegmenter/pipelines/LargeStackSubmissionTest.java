package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

class LargeStackSubmissionTest {
  /** A linked chain, serialized recursively: one stack frame group per link. */
  static final class Link implements Serializable {
    final Link next;

    Link(Link next) {
      this.next = next;
    }
  }

  /** Stands in for a runner whose submission serializes a deep graph (Flink's local mode). */
  static final class DeepSubmissionPipeline extends Pipeline {
    final int depth;
    String thread;

    DeepSubmissionPipeline(int depth) {
      super(PipelineOptionsFactory.create());
      this.depth = depth;
    }

    @Override
    public PipelineResult run() {
      thread = Thread.currentThread().getName();
      Link chain = null;
      for (int i = 0; i < depth; i++) {
        chain = new Link(chain);
      }
      try (ObjectOutputStream out = new ObjectOutputStream(new ByteArrayOutputStream())) {
        out.writeObject(chain);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return null;
    }
  }

  @Test
  void aGraphTooDeepForTheDefaultStackIsSubmitted() throws Exception {
    // 100,000 links need far more than a 1 MB stack (about 5 frames of 100+ bytes per link).
    DeepSubmissionPipeline onCaller = new DeepSubmissionPipeline(100_000);
    AtomicReference<Throwable> onSmallStack = new AtomicReference<>();
    Thread small = new Thread(null, () -> {
      try {
        onCaller.run();
      } catch (Throwable t) {
        onSmallStack.set(t);
      }
    }, "small-stack", 1L << 20);
    small.start();
    small.join();
    assertInstanceOf(StackOverflowError.class, onSmallStack.get());

    DeepSubmissionPipeline deep = new DeepSubmissionPipeline(100_000);
    LargeStackSubmission.run(deep);
    assertEquals("pipeline-submission", deep.thread);
  }

  @Test
  void aFailedSubmissionReachesTheCallerUnchanged() {
    IllegalArgumentException bad = new IllegalArgumentException("bad option --foo=1");
    Pipeline failing = new Pipeline(PipelineOptionsFactory.create()) {
      @Override
      public PipelineResult run() {
        throw bad;
      }
    };
    assertSame(bad, assertThrows(IllegalArgumentException.class,
        () -> LargeStackSubmission.run(failing)));
  }
}
