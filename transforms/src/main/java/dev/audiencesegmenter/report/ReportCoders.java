package dev.audiencesegmenter.report;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * Coders of the summary's per-member and per-customer values, which cross a shuffle once per
 * membership: field by field, not Java serialization (a tenth of the bytes, and no class
 * descriptors to write and read for every element).
 */
final class ReportCoders {
  private static final VarIntCoder INT = VarIntCoder.of();
  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final Coder<BigDecimal> DECIMAL = NullableCoder.of(BigDecimalCoder.of());
  private static final Coder<String> TEXT = NullableCoder.of(StringUtf8Coder.of());

  private ReportCoders() {}

  /** The coder of {@link SegmentChurn}. */
  static Coder<SegmentChurn> churn() {
    return ChurnCoder.INSTANCE;
  }

  /** The coder of the response counts: a {@code long[]} of any length. */
  static Coder<long[]> counts() {
    return CountsCoder.INSTANCE;
  }

  /** The coder of {@link SegmentStatistics}. */
  static Coder<SegmentStatistics> statistics() {
    return StatisticsCoder.INSTANCE;
  }

  /** The coder of {@link MemberValues}. */
  static Coder<MemberValues> memberValues() {
    return MemberValuesCoder.INSTANCE;
  }

  private static final class ChurnCoder extends AtomicCoder<SegmentChurn> {
    static final ChurnCoder INSTANCE = new ChurnCoder();

    @Override
    public void encode(SegmentChurn churn, OutputStream out) throws IOException {
      LONG.encode(churn.entered(), out);
      LONG.encode(churn.exited(), out);
      LONG.encode(churn.stayed(), out);
    }

    @Override
    public SegmentChurn decode(InputStream in) throws IOException {
      return new SegmentChurn(LONG.decode(in), LONG.decode(in), LONG.decode(in));
    }
  }

  private static final class CountsCoder extends AtomicCoder<long[]> {
    static final CountsCoder INSTANCE = new CountsCoder();

    @Override
    public void encode(long[] counts, OutputStream out) throws IOException {
      INT.encode(counts.length, out);
      for (long count : counts) {
        LONG.encode(count, out);
      }
    }

    @Override
    public long[] decode(InputStream in) throws IOException {
      long[] counts = new long[INT.decode(in)];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = LONG.decode(in);
      }
      return counts;
    }
  }

  /** Flags (holdout; reachable known; reachable), then the numbers and the categories. */
  private static final class MemberValuesCoder extends AtomicCoder<MemberValues> {
    static final MemberValuesCoder INSTANCE = new MemberValuesCoder();

    @Override
    public void encode(MemberValues v, OutputStream out) throws IOException {
      int flags = (v.holdout() ? 1 : 0) | (v.reachable() != null ? 2 : 0)
          | (Boolean.TRUE.equals(v.reachable()) ? 4 : 0);
      out.write(flags);
      INT.encode(v.numbers().length, out);
      for (BigDecimal number : v.numbers()) {
        DECIMAL.encode(number, out);
      }
      INT.encode(v.categories().length, out);
      for (String category : v.categories()) {
        TEXT.encode(category, out);
      }
    }

    @Override
    public MemberValues decode(InputStream in) throws IOException {
      int flags = in.read();
      if (flags < 0) {
        throw new IOException("MemberValues: end of input");
      }
      BigDecimal[] numbers = new BigDecimal[INT.decode(in)];
      for (int i = 0; i < numbers.length; i++) {
        numbers[i] = DECIMAL.decode(in);
      }
      String[] categories = new String[INT.decode(in)];
      for (int i = 0; i < categories.length; i++) {
        categories[i] = TEXT.decode(in);
      }
      return new MemberValues((flags & 1) != 0, (flags & 2) == 0 ? null : (flags & 4) != 0,
          numbers, categories);
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      throw new NonDeterministicException(this, "equal decimals of different scales (1.0, "
          + "1.00) code apart");
    }
  }

  /**
   * {@link SegmentStatistics} field by field, sums as exact decimals (scale kept): the partial
   * statistics a runner ships between its combine steps (Java serialization also made Beam warn
   * at every start that it could not verify their equals).
   */
  private static final class StatisticsCoder extends AtomicCoder<SegmentStatistics> {
    static final StatisticsCoder INSTANCE = new StatisticsCoder();
    private static final BigDecimalCoder EXACT = BigDecimalCoder.of();
    private static final StringUtf8Coder NAME = StringUtf8Coder.of();

    @Override
    public void encode(SegmentStatistics s, OutputStream outStream) throws IOException {
      DataOutputStream out = new DataOutputStream(outStream);
      VarInt.encode(s.members, out);
      VarInt.encode(s.holdouts, out);
      VarInt.encode(s.reachabilityKnown, out);
      VarInt.encode(s.reachable, out);
      VarInt.encode(s.count.length, out);
      for (int i = 0; i < s.count.length; i++) {
        VarInt.encode(s.count[i], out);
        EXACT.encode(s.sum[i], out);
        EXACT.encode(s.sumOfSquares[i], out);
      }
      VarInt.encode(s.categories.size(), out);
      for (TreeMap<String, Long> values : s.categories) {
        VarInt.encode(values.size(), out);
        for (Map.Entry<String, Long> e : values.entrySet()) {
          NAME.encode(e.getKey(), out);
          VarInt.encode(e.getValue(), out);
        }
      }
      out.writeBoolean(s.clv != null);
      if (s.clv != null) {
        s.clv.encode(out);
      }
      out.flush();
    }

    @Override
    public SegmentStatistics decode(InputStream inStream) throws IOException {
      DataInputStream in = new DataInputStream(inStream);
      long members = VarInt.decodeLong(in);
      long holdouts = VarInt.decodeLong(in);
      long reachabilityKnown = VarInt.decodeLong(in);
      long reachable = VarInt.decodeLong(in);
      int numbers = VarInt.decodeInt(in);
      long[] count = new long[numbers];
      BigDecimal[] sum = new BigDecimal[numbers];
      BigDecimal[] sumOfSquares = new BigDecimal[numbers];
      for (int i = 0; i < numbers; i++) {
        count[i] = VarInt.decodeLong(in);
        sum[i] = EXACT.decode(in);
        sumOfSquares[i] = EXACT.decode(in);
      }
      int categoryColumns = VarInt.decodeInt(in);
      List<TreeMap<String, Long>> categories = new ArrayList<>(categoryColumns);
      for (int i = 0; i < categoryColumns; i++) {
        TreeMap<String, Long> values = new TreeMap<>();
        int n = VarInt.decodeInt(in);
        for (int j = 0; j < n; j++) {
          values.put(NAME.decode(in), VarInt.decodeLong(in));
        }
        categories.add(values);
      }
      ClvMedian clv = in.readBoolean() ? ClvMedian.decode(in) : null;
      return SegmentStatistics.decoded(members, holdouts, reachabilityKnown, reachable, count, sum,
          sumOfSquares, categories, clv);
    }
  }
}
