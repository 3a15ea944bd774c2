package dev.audiencesegmenter.report;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Keys;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;

/**
 * The customers who converted in an outcome window {@code [from, to)}: made a purchase in it.
 * Input: resolved events keyed by customer id; output: each converted customer id once.
 *
 * <pre>{@code
 * PCollection<String> buyers = keyedEvents.apply(ConvertedCustomers.between(
 *     Instant.parse("2024-06-01T00:00:00Z"), Instant.parse("2024-07-01T00:00:00Z")));
 * }</pre>
 */
public final class ConvertedCustomers
    extends PTransform<PCollection<KV<String, CustomerEvent>>, PCollection<String>> {
  private final Instant from;
  private final Instant to;

  private ConvertedCustomers(Instant from, Instant to) {
    this.from = from;
    this.to = to;
  }

  /** Purchases at or after {@code from} and before {@code to}. */
  public static ConvertedCustomers between(Instant from, Instant to) {
    if (from == null || to == null || !from.isBefore(to)) {
      throw new IllegalArgumentException("the outcome window must be [from, to) with from "
          + "before to, got [" + from + ", " + to + ")");
    }
    return new ConvertedCustomers(from, to);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("from", from.toString()))
        .add(DisplayData.item("to", to.toString()));
  }

  @Override
  public PCollection<String> expand(PCollection<KV<String, CustomerEvent>> events) {
    return events
        .apply("PurchasesInWindow", ParDo.of(new InWindowFn(from, to)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), VoidCoder.of()))
        // One id per customer however many purchases: a combine, not a group of all of them.
        .apply("OncePerCustomer", Combine.perKey(values -> null))
        .apply("Ids", Keys.create());
  }

  private static final class InWindowFn extends DoFn<KV<String, CustomerEvent>, KV<String, Void>> {
    private final Instant from;
    private final Instant to;
    private final Counter purchases = Metrics.counter(ConvertedCustomers.class,
        "purchases_in_outcome_window");

    InWindowFn(Instant from, Instant to) {
      this.from = from;
      this.to = to;
    }

    @ProcessElement
    public void process(@Element KV<String, CustomerEvent> event,
        OutputReceiver<KV<String, Void>> out) {
      CustomerEvent e = event.getValue();
      if (EventTypes.PURCHASE.equals(e.getEventType()) && !e.getEventTime().isBefore(from)
          && e.getEventTime().isBefore(to)) {
        purchases.inc();
        out.output(KV.of(event.getKey(), null));
      }
    }
  }
}
