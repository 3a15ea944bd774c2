package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.model.CustomerEvent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
    for (CustomerEvent e : CdnowData.purchaseEvents()) {
      String id = e.getIdentifiers().get("user_id");
      events.add(KV.of("cust-" + id, e));
      Instant time = e.getEventTime();
      if (!time.isBefore(CALIBRATION_END) && time.isBefore(HOLDOUT_END)) {
        holdoutDays.add(id + "/" + time.toString().substring(0, 10));
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
