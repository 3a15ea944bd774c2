package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.model.CustomerEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * CDNOW's classic check: calibrate on purchases to 1997-09-30, predict the 39 weeks to
 * 1998-06-30, compare with the actual repeat purchase days. Expected figures are computed here
 * from the raw transactions and the model classes, independently of the pipeline steps.
 */
@ExtendWith(TestPipelineExtension.class)
class ValidateHoldoutTest {
  private static final Instant CALIBRATION_END = Instant.parse("1997-10-01T00:00:00Z");
  private static final Instant HOLDOUT_END = Instant.parse("1998-07-01T00:00:00Z");

  @Test
  void predictedAndActualHoldoutPurchasesOnCdnow(TestPipeline p) throws Exception {
    List<KV<String, CustomerEvent>> events = new ArrayList<>();
    Set<String> holdoutDays = new HashSet<>();
    // Each customer's holdout spend, and the weeks of the holdout's purchase days (CDNOW's
    // times are midnights, so a day's purchases fall in one week).
    Map<Integer, Double> spend = new HashMap<>();
    long[] daysByWeek = new long[39];
    for (CustomerEvent e : CdnowData.purchaseEvents()) {
      String id = e.getIdentifiers().get("user_id");
      events.add(KV.of("cust-" + id, e));
      Instant time = e.getEventTime();
      if (!time.isBefore(CALIBRATION_END) && time.isBefore(HOLDOUT_END)) {
        if (holdoutDays.add(id + "/" + time.toString().substring(0, 10))) {
          daysByWeek[(int) ((time.getMillis() - CALIBRATION_END.getMillis())
              / (7 * 86_400_000L))]++;
        }
        spend.merge(Integer.parseInt(id), e.getRevenue().doubleValue(), Double::sum);
      }
    }
    SummaryHistogram h = new SummaryHistogram();
    CdnowData.fromTransactions().values().forEach(c -> h.add(c.x(), c.tx(), c.t(), c.zbar()));
    BgNbdModel model = BgNbdModel.fit(h, 0).model();
    double predicted = 0;
    for (CdnowData.Customer c : CdnowData.fromTransactions().values()) {
      predicted += model.expectedPurchases(39, c.x(), c.tx(), c.t());
    }
    double expectedPredicted = predicted;
    ParetoNbdModel pareto = ParetoNbdModel.fit(h, 0).model();
    double paretoPredicted = 0;
    for (CdnowData.Customer c : CdnowData.fromTransactions().values()) {
      paretoPredicted += pareto.expectedPurchases(39, c.x(), c.tx(), c.t());
    }
    double expectedPareto = paretoPredicted;
    // Spend: expected purchase days times Gamma-Gamma's value of one, per customer.
    GammaGammaModel gg = GammaGammaModel.fit(h, 0).model();
    double bgSpend = 0;
    double bgSpendError = 0;
    double actualSpend = 0;
    double[] bgByWeek = new double[39];
    double[] paretoByWeek = new double[39];
    for (CdnowData.Customer c : CdnowData.fromTransactions().values()) {
      double value = c.x() > 0 && c.zbar() > 0
          ? gg.conditionalExpectedAverageValue(c.x(), c.zbar()) : gg.populationMeanValue();
      double predictedSpend = model.expectedPurchases(39, c.x(), c.tx(), c.t()) * value;
      double actual = spend.getOrDefault(c.id(), 0.0);
      bgSpend += predictedSpend;
      bgSpendError += Math.abs(predictedSpend - actual);
      actualSpend += actual;
      for (int w = 1; w <= 39; w++) {
        bgByWeek[w - 1] += model.expectedPurchases(w, c.x(), c.tx(), c.t());
        paretoByWeek[w - 1] += pareto.expectedPurchases(w, c.x(), c.tx(), c.t());
      }
    }
    double expectedBgSpend = bgSpend;
    double expectedSpendMae = bgSpendError / 2357;
    double expectedActualSpend = actualSpend;

    PCollection<String> report = p.apply(Create.of(events))
        .apply(ValidateHoldout.between(CALIBRATION_END, HOLDOUT_END));
    PAssert.thatSingleton(report).satisfies(json -> {
      try {
        JsonNode r = new ObjectMapper().readTree(json);
        assertEquals(2357, r.get("customers").asInt());
        assertEquals(holdoutDays.size(), r.get("actual_repeat_purchases").asInt());
        assertEquals(expectedPredicted, r.get("predicted_repeat_purchases").asDouble(), 0.01);
        assertEquals(8, r.get("by_frequency").size(), "x = 0..6 and 7+");
        // Every model side by side, BG/NBD first as at the top level.
        JsonNode models = r.get("models");
        assertEquals(2, models.size());
        assertEquals("bg_nbd", models.get(0).get("model").asText());
        assertEquals(expectedPredicted,
            models.get(0).get("predicted_repeat_purchases").asDouble(), 0.01);
        assertEquals("pareto_nbd", models.get(1).get("model").asText());
        assertEquals(true, models.get(1).get("fitted").asBoolean());
        assertEquals(expectedPareto,
            models.get(1).get("predicted_repeat_purchases").asDouble(), 0.01);
        assertEquals((expectedPareto - holdoutDays.size()) / holdoutDays.size(),
            models.get(1).get("error_of_total").asDouble(), 1e-4);
        assertEquals(expectedActualSpend, r.get("actual_spend").asDouble(), 0.006);
        assertEquals(expectedBgSpend, models.get(0).get("predicted_spend").asDouble(), 0.006);
        assertEquals(expectedSpendMae,
            models.get(0).get("spend_mean_absolute_error").asDouble(), 1e-4);
        // Week by week, cumulative, as in the papers' tracking plots.
        JsonNode curve = r.get("cumulative_repeat_purchases");
        assertEquals(39, curve.get("weeks").size());
        long actualSoFar = 0;
        for (int w = 1; w <= 39; w++) {
          actualSoFar += daysByWeek[w - 1];
          assertEquals(w, curve.get("weeks").get(w - 1).asInt());
          assertEquals(actualSoFar, curve.get("actual").get(w - 1).asLong(), "week " + w);
          assertEquals(bgByWeek[w - 1], curve.get("bg_nbd").get(w - 1).asDouble(), 0.006);
          assertEquals(paretoByWeek[w - 1], curve.get("pareto_nbd").get(w - 1).asDouble(),
              0.006);
        }
        assertEquals(holdoutDays.size(), actualSoFar);
        System.out.println("CDNOW holdout: " + json);
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    PipelineResult run = p.run();
    run.waitUntilFinish();
    // The holdout's value models are a value-model fit like the job's: counted as one.
    assertEquals(1L, run.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(PredictCustomerValue.class, "model_fits"))
        .build()).getCounters().iterator().next().getCommitted());
  }
}
