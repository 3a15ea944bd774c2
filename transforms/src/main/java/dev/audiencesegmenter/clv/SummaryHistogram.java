package dev.audiencesegmenter.clv;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The sufficient statistics of the value models: how many customers share each distinct
 * (x, t_x, T) — repeat purchases, recency and age — and each distinct (x, mean repeat value)
 * with x &gt; 0. Customers of one cohort share few distinct triples, so the models' likelihoods
 * cost one term per triple, not per customer. Merging adds counts: the order of merges does not
 * change the result.
 */
public final class SummaryHistogram implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One customer's statistics: t_x and T in the model's time unit (weeks here). */
  public record Triple(int x, double tx, double t) implements Serializable {}

  /** x and the mean value of the x repeat purchases. */
  public record Spend(int x, double mean) implements Serializable {}

  private static final Comparator<Triple> TRIPLES = Comparator.comparingInt(Triple::x)
      .thenComparingDouble(Triple::tx).thenComparingDouble(Triple::t);
  private static final Comparator<Spend> SPENDS = Comparator.comparingInt(Spend::x)
      .thenComparingDouble(Spend::mean);

  private final TreeMap<Triple, Long> triples = new TreeMap<>(TRIPLES);
  private final TreeMap<Spend, Long> spends = new TreeMap<>(SPENDS);

  /**
   * Adds one customer. {@code meanRepeatValue} is ignored when x is 0 and may be null; a
   * customer whose repeat purchases have no positive mean value is left out of the spend
   * statistics (Gamma-Gamma needs positive values) but still counts for frequency.
   */
  public SummaryHistogram add(int x, double tx, double t, Double meanRepeatValue) {
    if (x < 0 || tx < 0 || t < tx || Double.isNaN(tx) || Double.isNaN(t)) {
      throw new IllegalArgumentException("need 0 <= x, 0 <= t_x <= T; got x=" + x + ", t_x="
          + tx + ", T=" + t);
    }
    triples.merge(new Triple(x, tx, t), 1L, Long::sum);
    if (x > 0 && meanRepeatValue != null && meanRepeatValue > 0) {
      spends.merge(new Spend(x, meanRepeatValue), 1L, Long::sum);
    }
    return this;
  }

  public SummaryHistogram merge(SummaryHistogram other) {
    other.triples.forEach((k, v) -> triples.merge(k, v, Long::sum));
    other.spends.forEach((k, v) -> spends.merge(k, v, Long::sum));
    return this;
  }

  public Map<Triple, Long> triples() {
    return triples;
  }

  public Map<Spend, Long> spends() {
    return spends;
  }

  public long customers() {
    return triples.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Customers with at least one repeat purchase. */
  public long repeatCustomers() {
    return triples.entrySet().stream().filter(e -> e.getKey().x() > 0)
        .mapToLong(Map.Entry::getValue).sum();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SummaryHistogram h && triples.equals(h.triples)
        && spends.equals(h.spends);
  }

  @Override
  public int hashCode() {
    return triples.hashCode() * 31 + spends.hashCode();
  }

  /** Deterministic encoding (sorted entries). */
  public static final class HistogramCoder extends AtomicCoder<SummaryHistogram> {
    @Override
    public void encode(SummaryHistogram h, OutputStream out) throws IOException {
      VarIntCoder.of().encode(h.triples.size(), out);
      for (Map.Entry<Triple, Long> e : h.triples.entrySet()) {
        VarIntCoder.of().encode(e.getKey().x(), out);
        DoubleCoder.of().encode(e.getKey().tx(), out);
        DoubleCoder.of().encode(e.getKey().t(), out);
        VarLongCoder.of().encode(e.getValue(), out);
      }
      VarIntCoder.of().encode(h.spends.size(), out);
      for (Map.Entry<Spend, Long> e : h.spends.entrySet()) {
        VarIntCoder.of().encode(e.getKey().x(), out);
        DoubleCoder.of().encode(e.getKey().mean(), out);
        VarLongCoder.of().encode(e.getValue(), out);
      }
    }

    @Override
    public SummaryHistogram decode(InputStream in) throws IOException {
      SummaryHistogram h = new SummaryHistogram();
      int n = VarIntCoder.of().decode(in);
      for (int i = 0; i < n; i++) {
        h.triples.put(new Triple(VarIntCoder.of().decode(in), DoubleCoder.of().decode(in),
            DoubleCoder.of().decode(in)), VarLongCoder.of().decode(in));
      }
      int m = VarIntCoder.of().decode(in);
      for (int i = 0; i < m; i++) {
        h.spends.put(new Spend(VarIntCoder.of().decode(in), DoubleCoder.of().decode(in)),
            VarLongCoder.of().decode(in));
      }
      return h;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
