package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.util.List;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.testing.CoderProperties;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class ValueCodersTest {
  private static final PurchaseSummary SUMMARY =
      new PurchaseSummary(3, 30.5, 38.0, new BigDecimal("12.34"));
  private static final CustomerValue VALUE = new CustomerValue(3, 30.5, 38.0,
      new BigDecimal("12.34"), 0.81, 0.4, 1.6, 12.1, 19.36, "bg_nbd");

  @Test
  void roundTripWithAndWithoutAMeanRepeatValue() throws Exception {
    CoderProperties.coderDecodeEncodeEqual(ValueCoders.purchaseSummary(), SUMMARY);
    CoderProperties.coderDecodeEncodeEqual(ValueCoders.purchaseSummary(),
        new PurchaseSummary(0, 0, 38.0, null));
    CoderProperties.coderDecodeEncodeEqual(ValueCoders.customerValue(), VALUE);
    CoderProperties.coderDecodeEncodeEqual(ValueCoders.customerValue(),
        new CustomerValue(0, 0, 1, null, 1, 0, 0, 0, 0, "pareto_nbd_covariates"));
    CoderProperties.coderDeterministic(ValueCoders.customerValue(), VALUE, VALUE);
    CoderProperties.coderSerializable(ValueCoders.purchaseSummary());
  }

  @Test
  void aSummaryIsItsFieldsInBeamsFormats() throws Exception {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    VarLongCoder.of().encode(3L, expected);
    DoubleCoder.of().encode(30.5, expected);
    DoubleCoder.of().encode(38.0, expected);
    NullableCoder.of(BigDecimalCoder.of()).encode(new BigDecimal("12.34"), expected);
    assertArrayEquals(expected.toByteArray(),
        CoderUtils.encodeToByteArray(ValueCoders.purchaseSummary(), SUMMARY));
  }

  @Test
  void theRepeatStatisticsAccumulatorIsNotJavaSerialized() throws Exception {
    // one accumulator per customer: it crosses the shuffle of Combine.perKey
    org.apache.beam.sdk.coders.Coder<SummarizePurchases.RepeatStats> coder =
        new SummarizePurchases.RepeatStatsFn().getAccumulatorCoder(
            org.apache.beam.sdk.coders.CoderRegistry.createDefault(), null);
    org.junit.jupiter.api.Assertions.assertFalse(
        coder instanceof org.apache.beam.sdk.coders.SerializableCoder, coder.toString());
    SummarizePurchases.RepeatStats stats = new SummarizePurchases.RepeatStats();
    stats.firstDay = 19_000;
    stats.firstDayRevenue = new BigDecimal("12.50");
    stats.lastDay = 19_120;
    stats.days = 4;
    stats.total = new BigDecimal("80.25");
    SummarizePurchases.RepeatStats back = CoderUtils.decodeFromByteArray(coder,
        CoderUtils.encodeToByteArray(coder, stats));
    org.junit.jupiter.api.Assertions.assertEquals(List.of(19_000L, "12.50", 19_120L, 4L,
        "80.25"), List.of(back.firstDay, back.firstDayRevenue.toPlainString(), back.lastDay,
        back.days, back.total.toPlainString()));
    SummarizePurchases.RepeatStats empty = CoderUtils.decodeFromByteArray(coder,
        CoderUtils.encodeToByteArray(coder, new SummarizePurchases.RepeatStats()));
    org.junit.jupiter.api.Assertions.assertEquals(List.of(Long.MAX_VALUE, Long.MIN_VALUE, 0L),
        List.of(empty.firstDay, empty.lastDay, empty.days));
  }
}
