package dev.audiencesegmenter.io.sink;

import dev.audiencesegmenter.model.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/** Helpers shared by the sink tests. */
public final class SinkTesting {
  private SinkTesting() {}

  /** Contacts c-0000.. with emails user-N@example.com, consenting, in one segment. */
  public static List<ContactUpdate> contacts(int count) {
    List<ContactUpdate> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(contact(String.format("c-%04d", i), "user-" + i + "@example.com"));
    }
    return out;
  }

  public static ContactUpdate contact(String key, String email) {
    return ContactUpdate.builder(key).setEmail(email).setEmailConsent(true)
        .setFields(Map.of("first_name", "N" + key, "monetary_total", "42.50"))
        .setSegmentsCurrent(List.of("loyal_customers"))
        .setSegmentsEntered(List.of("loyal_customers")).build();
  }

  private static final Map<String, Queue<Object>> SINKS = new ConcurrentHashMap<>();

  /** Collects a PCollection's elements into a JVM-wide queue named {@code name}. */
  public static <T> Queue<T> collect(PCollection<T> collection, String name) {
    Queue<Object> queue = new ConcurrentLinkedQueue<>();
    SINKS.put(name, queue);
    collection.apply("Collect" + name, ParDo.of(new Collect<T>(name)));
    @SuppressWarnings("unchecked")
    Queue<T> typed = (Queue<T>) (Queue<?>) queue;
    return typed;
  }

  private static final class Collect<T> extends DoFn<T, Void> {
    private final String name;

    Collect(String name) {
      this.name = name;
    }

    @ProcessElement
    public void process(@Element T element) {
      SINKS.get(name).add(element);
    }
  }

  public static long counter(PipelineResult result, String namespace, String name) {
    long total = 0;
    for (MetricResult<Long> counter : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(namespace, name)).build()).getCounters()) {
      total += counter.getAttempted();
    }
    return total;
  }

  /** Fails if any text of a dead letter contains {@code secret}. */
  public static void assertNoSecret(Iterable<DeadLetter> deadLetters, String secret) {
    for (DeadLetter letter : deadLetters) {
      String all = letter.getStep() + letter.getReason() + letter.getRecord();
      if (all.contains(secret)) {
        throw new AssertionError("dead letter shows the secret: " + letter);
      }
    }
  }
}
