package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import java.math.BigDecimal;
import java.math.RoundingMode;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Each customer's {@link PurchaseSummary} from purchases before {@code asOf}: revenue is summed
 * per customer and UTC day, then the days per customer, both with {@code Combine.perKey}, so a
 * customer's purchases are never held together. T runs to the last day before asOf.
 *
 * <pre>{@code
 * PCollection<KV<String, PurchaseSummary>> summaries =
 *     keyedEvents.apply(new SummarizePurchases(asOf));
 * }</pre>
 */
public final class SummarizePurchases
    extends PTransform<PCollection<KV<String, CustomerEvent>>, PCollection<KV<String,
        PurchaseSummary>>> {
  static final long DAY_MILLIS = 86_400_000L;

  private final Instant asOf;

  public SummarizePurchases(Instant asOf) {
    this.asOf = asOf;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("asOf", asOf.toString()).withLabel("Purchases before"));
  }

  @Override
  public PCollection<KV<String, PurchaseSummary>> expand(
      PCollection<KV<String, CustomerEvent>> events) {
    long lastDay = Math.floorDiv(asOf.getMillis() - 1, DAY_MILLIS);
    return events
        .apply("PurchaseDays", ParDo.of(new PurchaseDays(Long.MIN_VALUE, asOf.getMillis())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), BigDecimalCoder.of()))
        .apply("RevenuePerDay", Combine.perKey(new SumDecimals()))
        .apply("ByCustomer", ParDo.of(new ByCustomer<BigDecimal>()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(),
            BigDecimalCoder.of())))
        .apply("DaysPerCustomer", Combine.perKey(new RepeatStatsFn()))
        .apply("Summaries", ParDo.of(new ToSummary(lastDay)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ValueCoders.purchaseSummary()));
  }

  /** {@code KV(customer \0 epoch day, revenue)} of purchases in [from, to). */
  static final class PurchaseDays extends DoFn<KV<String, CustomerEvent>, KV<String,
      BigDecimal>> {
    private final long from;
    private final long to;

    PurchaseDays(long from, long to) {
      this.from = from;
      this.to = to;
    }

    @ProcessElement
    public void process(@Element KV<String, CustomerEvent> e,
        OutputReceiver<KV<String, BigDecimal>> out) {
      BigDecimal revenue = purchaseRevenue(e.getValue(), from, to);
      if (revenue != null) {
        out.output(KV.of(e.getKey() + '\u0000' + Math.floorDiv(
            e.getValue().getEventTime().getMillis(), DAY_MILLIS), revenue));
      }
    }
  }

  /** The revenue of a purchase in [from, to) (0 when it has none); null for anything else. */
  static @Nullable BigDecimal purchaseRevenue(CustomerEvent event, long from, long to) {
    long time = event.getEventTime().getMillis();
    if (!EventTypes.PURCHASE.equals(event.getEventType()) || time < from || time >= to) {
      return null;
    }
    return event.getRevenue() == null ? BigDecimal.ZERO : event.getRevenue();
  }

  static final class SumDecimals
      implements org.apache.beam.sdk.transforms.SerializableBiFunction<BigDecimal, BigDecimal,
          BigDecimal> {
    @Override
    public BigDecimal apply(BigDecimal a, BigDecimal b) {
      return a.add(b);
    }
  }

  /** {@code KV(customer \0 day, v)} to {@code KV(customer, KV(day, v))}. */
  static final class ByCustomer<V> extends DoFn<KV<String, V>, KV<String, KV<Long, V>>> {
    @ProcessElement
    public void process(@Element KV<String, V> in, OutputReceiver<KV<String, KV<Long, V>>> out) {
      int sep = in.getKey().lastIndexOf('\u0000');
      out.output(KV.of(in.getKey().substring(0, sep),
          KV.of(Long.parseLong(in.getKey().substring(sep + 1)), in.getValue())));
    }
  }

  /** First and last purchase day, the first day's revenue, day count and total revenue. */
  static final class RepeatStats {
    long firstDay = Long.MAX_VALUE;
    BigDecimal firstDayRevenue = BigDecimal.ZERO;
    long lastDay = Long.MIN_VALUE;
    long days;
    BigDecimal total = BigDecimal.ZERO;
  }

  /** Days are distinct per customer (summed per day before), so merging is exact. */
  static final class RepeatStatsFn
      extends Combine.CombineFn<KV<Long, BigDecimal>, RepeatStats, RepeatStats> {
    @Override
    public RepeatStats createAccumulator() {
      return new RepeatStats();
    }

    @Override
    public RepeatStats addInput(RepeatStats acc, KV<Long, BigDecimal> day) {
      RepeatStats one = new RepeatStats();
      one.firstDay = day.getKey();
      one.lastDay = day.getKey();
      one.firstDayRevenue = day.getValue();
      one.days = 1;
      one.total = day.getValue();
      return merge(acc, one);
    }

    @Override
    public RepeatStats mergeAccumulators(Iterable<RepeatStats> accs) {
      RepeatStats merged = new RepeatStats();
      for (RepeatStats a : accs) {
        merge(merged, a);
      }
      return merged;
    }

    private static RepeatStats merge(RepeatStats into, RepeatStats other) {
      if (other.days == 0) {
        return into;
      }
      if (other.firstDay < into.firstDay) {
        into.firstDay = other.firstDay;
        into.firstDayRevenue = other.firstDayRevenue;
      }
      into.lastDay = Math.max(into.lastDay, other.lastDay);
      into.days += other.days;
      into.total = into.total.add(other.total);
      return into;
    }

    @Override
    public RepeatStats extractOutput(RepeatStats acc) {
      return acc;
    }

    @Override
    public Coder<RepeatStats> getAccumulatorCoder(CoderRegistry registry,
        Coder<KV<Long, BigDecimal>> inputCoder) {
      return ValueCoders.repeatStats();
    }

    @Override
    public Coder<RepeatStats> getDefaultOutputCoder(CoderRegistry registry,
        Coder<KV<Long, BigDecimal>> inputCoder) {
      return ValueCoders.repeatStats();
    }
  }

  private static final class ToSummary extends DoFn<KV<String, RepeatStats>, KV<String,
      PurchaseSummary>> {
    private final long lastDay;

    ToSummary(long lastDay) {
      this.lastDay = lastDay;
    }

    @ProcessElement
    public void process(@Element KV<String, RepeatStats> in,
        OutputReceiver<KV<String, PurchaseSummary>> out) {
      out.output(KV.of(in.getKey(), summary(in.getValue(), lastDay)));
    }
  }

  /** The model's statistics of one customer; {@code lastDay} is the epoch day before asOf. */
  static PurchaseSummary summary(RepeatStats s, long lastDay) {
    long x = s.days - 1;
    BigDecimal mean = x > 0 ? s.total.subtract(s.firstDayRevenue)
        .divide(BigDecimal.valueOf(x), 10, RoundingMode.HALF_EVEN) : null;
    return new PurchaseSummary(x, (s.lastDay - s.firstDay) / 7.0,
        (lastDay - s.firstDay) / 7.0, mean);
  }
}
