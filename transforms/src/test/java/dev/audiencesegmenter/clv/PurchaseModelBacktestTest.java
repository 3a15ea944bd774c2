package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.batch.SegmentCustomers;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The purchase model chosen on a backtest: CDNOW as of 1997-10-01 with a 13-week backtest, so
 * the models are fitted on purchases before 1997-07-02 and scored on each customer's purchase
 * days from then to asOf. The expected scores are computed here from the raw file with the
 * model classes; the run must name the model with the smaller error per customer, report both
 * scores in {@code model/clv.json}, and fit the chosen model on everything before asOf.
 */
@ExtendWith(TestPipelineExtension.class)
class PurchaseModelBacktestTest {
  private static final LocalDate FROM = LocalDate.parse("1997-07-02");
  private static final LocalDate AS_OF = LocalDate.parse("1997-10-01");

  private static List<CustomerEvent> events(Map<String, TreeSet<LocalDate>> daysBeforeAsOf) {
    List<CustomerEvent> events = CdnowData.purchaseEvents();
    for (CustomerEvent e : events) {
      LocalDate date = LocalDate.parse(e.getEventTime().toString().substring(0, 10));
      if (date.isBefore(AS_OF)) {
        daysBeforeAsOf.computeIfAbsent(e.getIdentifiers().get("user_id"),
            k -> new TreeSet<>()).add(date);
      }
    }
    return events;
  }

  /** One run of the flow, named {@code name}. */
  private static SegmentCustomers.Result run(TestPipeline p, String name,
      List<CustomerEvent> events, Duration backtest) {
    Instant asOf = Instant.parse("1997-10-01T00:00:00Z");
    return ResolveIdentities.inputs(p.apply("Events" + name, Create.of(events)
            .withCoder(SchemaCoders.of(p, CustomerEvent.class))), null)
        .apply(name, SegmentCustomers.of(SegmentDefinitions.parse("groups:\n  - name: all\n"
            + "    segments:\n      - name: everyone\n        when: tenure_days >= 0\n",
            "segments.yaml"), ComputeCustomerFeatures.create().withAsOf(asOf))
            .withValueModels(PredictCustomerValue.create().withAsOf(asOf)
                .withPurchaseModelChosenOnBacktest(backtest)));
  }

  @Test
  void theModelThatPredictsTheBacktestBetterIsFittedOnEverything(TestPipeline p) {
    Map<String, TreeSet<LocalDate>> days = new TreeMap<>();
    List<CustomerEvent> events = events(days);
    // x, t_x, T at the backtest's start (T up to its last day), and the days in the backtest
    record Cohort(int x, double tx, double t, long backtestDays) {}
    List<Cohort> cohort = new ArrayList<>();
    SummaryHistogram h = new SummaryHistogram();
    for (TreeSet<LocalDate> d : days.values()) {
      TreeSet<LocalDate> before = new TreeSet<>(d.headSet(FROM));
      if (before.isEmpty()) {
        continue;
      }
      LocalDate first = before.first();
      Cohort c = new Cohort(before.size() - 1,
          ChronoUnit.DAYS.between(first, before.last()) / 7.0,
          ChronoUnit.DAYS.between(first, FROM.minusDays(1)) / 7.0, d.tailSet(FROM).size());
      cohort.add(c);
      h.add(c.x(), c.tx(), c.t(), null);
    }
    BgNbdModel bg = BgNbdModel.fit(h, 0).model();
    ParetoNbdModel pareto = ParetoNbdModel.fit(h, 0).model();
    double bgError = 0;
    double paretoError = 0;
    for (Cohort c : cohort) {
      bgError += Math.abs(bg.expectedPurchases(13, c.x(), c.tx(), c.t()) - c.backtestDays());
      paretoError += Math.abs(pareto.expectedPurchases(13, c.x(), c.tx(), c.t())
          - c.backtestDays());
    }
    double bgMae = bgError / cohort.size();
    double paretoMae = paretoError / cohort.size();
    String expected = paretoMae < bgMae ? "pareto_nbd" : "bg_nbd";
    System.out.printf("CDNOW 13-week backtest: %d customers, MAE BG/NBD %.4f, Pareto/NBD %.4f%n",
        cohort.size(), bgMae, paretoMae);

    SegmentCustomers.Result result = run(p, "Chosen", events, Duration.standardDays(91));
    int customers = cohort.size();
    PAssert.thatSingleton(result.getModelJson()).satisfies(json -> {
      try {
        JsonNode m = new ObjectMapper().readTree(json);
        assertEquals(expected, m.get("purchase_model").asText());
        JsonNode backtest = m.get("backtest");
        assertEquals("1997-07-02T00:00:00.000Z", backtest.get("calibration_end").asText());
        assertEquals(customers, backtest.get("customers").asInt());
        assertEquals(expected, backtest.get("chosen_model").asText());
        assertEquals(bgMae, backtest.get("models").get(0).get("mean_absolute_error")
            .asDouble(), 5e-5);
        assertEquals(paretoMae, backtest.get("models").get(1).get("mean_absolute_error")
            .asDouble(), 5e-5);
        // the chosen model, fitted on all 2,357 customers to asOf: the published estimates
        if (expected.equals("pareto_nbd")) {
          assertEquals(0.553, m.get("pareto_nbd").get("r").asDouble(), 0.001);
        }
        assertEquals(2357, m.get("bg_nbd").get("customers").asInt());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    p.run().waitUntilFinish();
  }

  @Test
  void aBacktestTooLongToFitKeepsBgNbd(TestPipeline p) {
    // 40 weeks before asOf is 1996-12-25: nobody had bought yet
    // (the first 400 purchases are enough: the fit on all purchases needs 10 repeat buyers)
    SegmentCustomers.Result result = run(p, "TooLong",
        events(new TreeMap<>()).subList(0, 400), Duration.standardDays(280));
    PAssert.thatSingleton(result.getModelJson()).satisfies(json -> {
      try {
        JsonNode m = new ObjectMapper().readTree(json);
        assertEquals("bg_nbd", m.get("purchase_model").asText());
        JsonNode backtest = m.get("backtest");
        assertEquals(0, backtest.get("customers").asInt());
        assertEquals(true, backtest.get("predicted_repeat_purchases").isNull());
        assertEquals(false, backtest.get("models").get(0).get("fitted").asBoolean());
        // nobody bought before the backtest: no cohort, so no customer to fit on
        assertEquals("no customer in the calibration cohort",
            backtest.get("models").get(0).get("reason").asText());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    p.run().waitUntilFinish();
  }
}
