package dev.audiencesegmenter.clv;

import dev.audiencesegmenter.model.CompactBytes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * Coders of the per-customer value records, which travel between steps once per customer: the
 * fields in Beam's own formats, in declaration order, rather than Java serialization (several
 * times larger, slower, and tied to the class's shape).
 */
public final class ValueCoders {
  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final DoubleCoder DOUBLE = DoubleCoder.of();
  private static final Coder<BigDecimal> DECIMAL = NullableCoder.of(BigDecimalCoder.of());
  private static final StringUtf8Coder NAME = StringUtf8Coder.of();

  private ValueCoders() {}

  /** The coder of {@link PurchaseSummary}. */
  public static Coder<PurchaseSummary> purchaseSummary() {
    return PurchaseSummaryCoder.INSTANCE;
  }

  /** The coder of {@link CustomerValue}. */
  public static Coder<CustomerValue> customerValue() {
    return CustomerValueCoder.INSTANCE;
  }

  /** The coder of {@link HoldoutPurchases.Outcome}. */
  static Coder<HoldoutPurchases.Outcome> holdoutOutcome() {
    return HoldoutOutcomeCoder.INSTANCE;
  }

  /** The coder of the per-customer accumulator of {@link SummarizePurchases}. */
  static Coder<SummarizePurchases.RepeatStats> repeatStats() {
    return RepeatStatsCoder.INSTANCE;
  }

  private static final class RepeatStatsCoder extends AtomicCoder<SummarizePurchases.RepeatStats> {
    static final RepeatStatsCoder INSTANCE = new RepeatStatsCoder();

    @Override
    public void encode(SummarizePurchases.RepeatStats s, OutputStream out) throws IOException {
      LONG.encode(s.firstDay, out);
      DECIMAL.encode(s.firstDayRevenue, out);
      LONG.encode(s.lastDay, out);
      LONG.encode(s.days, out);
      DECIMAL.encode(s.total, out);
    }

    @Override
    public SummarizePurchases.RepeatStats decode(InputStream in) throws IOException {
      SummarizePurchases.RepeatStats s = new SummarizePurchases.RepeatStats();
      s.firstDay = LONG.decode(in);
      s.firstDayRevenue = DECIMAL.decode(in);
      s.lastDay = LONG.decode(in);
      s.days = LONG.decode(in);
      s.total = DECIMAL.decode(in);
      return s;
    }
  }

  private static final class HoldoutOutcomeCoder extends AtomicCoder<HoldoutPurchases.Outcome> {
    static final HoldoutOutcomeCoder INSTANCE = new HoldoutOutcomeCoder();

    @Override
    public void encode(HoldoutPurchases.Outcome outcome, OutputStream out) throws IOException {
      CompactBytes b = CompactBytes.writer();
      outcome.writeTo(b);
      b.writeTo(out);
    }

    @Override
    public HoldoutPurchases.Outcome decode(InputStream in) throws IOException {
      CompactBytes b = CompactBytes.readFrom(in);
      HoldoutPurchases.Outcome outcome = HoldoutPurchases.Outcome.readFrom(b);
      b.checkFullyRead();
      return outcome;
    }
  }

  private static final class PurchaseSummaryCoder extends AtomicCoder<PurchaseSummary> {
    static final PurchaseSummaryCoder INSTANCE = new PurchaseSummaryCoder();

    @Override
    public void encode(PurchaseSummary s, OutputStream out) throws IOException {
      LONG.encode(s.x(), out);
      DOUBLE.encode(s.tx(), out);
      DOUBLE.encode(s.t(), out);
      DECIMAL.encode(s.meanRepeatValue(), out);
    }

    @Override
    public PurchaseSummary decode(InputStream in) throws IOException {
      return new PurchaseSummary(LONG.decode(in), DOUBLE.decode(in), DOUBLE.decode(in),
          DECIMAL.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }

  private static final class CustomerValueCoder extends AtomicCoder<CustomerValue> {
    static final CustomerValueCoder INSTANCE = new CustomerValueCoder();

    @Override
    public void encode(CustomerValue v, OutputStream out) throws IOException {
      LONG.encode(v.repeatPurchases(), out);
      DOUBLE.encode(v.recencyWeeks(), out);
      DOUBLE.encode(v.ageWeeks(), out);
      DECIMAL.encode(v.meanRepeatValue(), out);
      DOUBLE.encode(v.pAlive(), out);
      DOUBLE.encode(v.expectedPurchases90d(), out);
      DOUBLE.encode(v.expectedPurchases365d(), out);
      DOUBLE.encode(v.expectedAvgOrderValue(), out);
      DOUBLE.encode(v.predictedClv365d(), out);
      NAME.encode(v.model(), out);
    }

    @Override
    public CustomerValue decode(InputStream in) throws IOException {
      return new CustomerValue(LONG.decode(in), DOUBLE.decode(in), DOUBLE.decode(in),
          DECIMAL.decode(in), DOUBLE.decode(in), DOUBLE.decode(in), DOUBLE.decode(in),
          DOUBLE.decode(in), DOUBLE.decode(in), NAME.decode(in));
    }

    @Override
    public void verifyDeterministic() {}
  }
}
