package dev.audiencesegmenter.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.clv.BgNbdCovariateModel;
import dev.audiencesegmenter.clv.BgNbdModel;
import dev.audiencesegmenter.clv.CovariatePurchaseModel;
import dev.audiencesegmenter.clv.GammaGammaModel;
import dev.audiencesegmenter.clv.ParetoNbdCovariateModel;
import dev.audiencesegmenter.clv.ParetoNbdModel;
import dev.audiencesegmenter.clv.PredictCustomerValue;
import dev.audiencesegmenter.clv.PurchaseCovariates;
import dev.audiencesegmenter.clv.PurchaseModel;
import dev.audiencesegmenter.clv.RepeatPurchaseModel;
import dev.audiencesegmenter.clv.SummaryHistogram;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * BG/NBD with a covariate inside the whole flow: 300 customers who buy in the app and 200 on
 * the web (a {@code channel} prop on every purchase, so preferred_channel is that channel), the
 * web customers buying about half as often. Independently of the flow, this test computes each
 * buyer's (x, t_x, T) from the purchase days it generated, fits {@link BgNbdCovariateModel}
 * with one 0/1 variable, {@code preferred_channel=web} (app, the more common, is the baseline),
 * and expects the run's {@code bg_nbd_covariates} parameters and every buyer's p_alive and
 * expected purchases from the model of their channel.
 */
@ExtendWith(TestPipelineExtension.class)
class SegmentCustomersCovariatesTest {
  private static final String SEGMENTS = "groups:\n  - name: all\n    segments:\n"
      + "      - name: everyone\n        when: tenure_days >= 0\n";
  private static final long DAY = 86_400_000L;

  /** A customer's purchase days (days before asOf, distinct) and channel. */
  private record Buyer(String user, String channel, TreeSet<Integer> daysBefore) {}

  private static List<Buyer> buyers() {
    return buyers(500, 7);
  }

  /** {@code count} buyers, three in five in the app. */
  private static List<Buyer> buyers(int count, long seed) {
    Random random = new Random(seed);
    List<Buyer> buyers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String channel = i < count * 3 / 5 ? "app" : "web";
      double perWeek = channel.equals("app") ? 0.30 : 0.15;
      int first = 200 + random.nextInt(160);
      TreeSet<Integer> days = new TreeSet<>();
      days.add(first);
      boolean alive = true;
      for (int d = first - 1; d > 0 && alive; d--) {
        if (random.nextDouble() < perWeek / 7) {
          days.add(d);
          alive = random.nextDouble() >= 0.15; // dropout after a purchase
        }
      }
      buyers.add(new Buyer("u" + i, channel, days));
    }
    return buyers;
  }

  /**
   * {@code count} buyers as Pareto/NBD tells it, three in five in the app: each buyer's
   * purchase rate is exponentially distributed around the channel's, and each dies at a daily
   * hazard that varies too. (On the buyers of {@link #buyers}, all alike within a channel,
   * Pareto/NBD runs to its limit of no heterogeneity, huge parameters where every
   * hypergeometric series is slow: 20 s for 120 buyers.)
   */
  private static List<Buyer> paretoBuyers(int count, long seed) {
    Random random = new Random(seed);
    List<Buyer> buyers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String channel = i < count * 3 / 5 ? "app" : "web";
      double perWeek = (channel.equals("app") ? 0.30 : 0.15) * -Math.log(1 - random.nextDouble());
      double deathPerDay = 0.004 * -Math.log(1 - random.nextDouble());
      int first = 200 + random.nextInt(160);
      TreeSet<Integer> days = new TreeSet<>();
      days.add(first);
      for (int d = first - 1; d > 0 && random.nextDouble() >= deathPerDay; d--) {
        if (random.nextDouble() < perWeek / 7) {
          days.add(d);
        }
      }
      buyers.add(new Buyer("u" + i, channel, days));
    }
    return buyers;
  }

  /** {@code events} as the identity step's input. */
  private static PCollectionTuple events(TestPipeline p, List<CustomerEvent> events) {
    return ResolveIdentities.inputs(p.apply(Create.of(events)
        .withCoder(SchemaCoders.of(p, CustomerEvent.class))), null);
  }

  /** The flow of these tests: one segment of everyone, features as of asOf. */
  private static SegmentCustomers segmentCustomers() {
    return SegmentCustomers.of(SegmentDefinitions.parse(SEGMENTS, "segments.yaml"),
        ComputeCustomerFeatures.create().withAsOf(TestCustomers.AS_OF));
  }

  private static List<CustomerEvent> events(List<Buyer> buyers) {
    List<CustomerEvent> events = new ArrayList<>();
    for (Buyer b : buyers) {
      for (int d : b.daysBefore()) {
        CustomerEvent e = TestCustomers.event(b.user(), "purchase", d, new BigDecimal("10.00"));
        events.add(e.toBuilder().setProperties(Map.of("channel", b.channel())).build());
      }
    }
    // a visitor who never bought has no cell and no value columns
    events.add(TestCustomers.event("visitor", "page_view", 10, null));
    return events;
  }

  /** x, t_x and T in weeks as of the last day before asOf, as the models' papers define them. */
  private static double[] xTxT(Buyer b) {
    long lastDay = Math.floorDiv(TestCustomers.AS_OF.getMillis() - 1, DAY);
    long asOfDay = TestCustomers.AS_OF.getMillis() / DAY;
    long firstDay = asOfDay - b.daysBefore().last();
    long latestDay = asOfDay - b.daysBefore().first();
    return new double[] {b.daysBefore().size() - 1, (latestDay - firstDay) / 7.0,
        (lastDay - firstDay) / 7.0};
  }

  private static BgNbdCovariateModel expectedModel(List<Buyer> buyers) {
    return BgNbdCovariateModel.fit(List.of("preferred_channel=web"), cells(buyers));
  }

  /** The buyers' histograms by their one 0/1 variable, preferred_channel=web. */
  private static Map<List<Double>, SummaryHistogram> cells(List<Buyer> buyers) {
    Map<List<Double>, SummaryHistogram> cells = new HashMap<>();
    for (Buyer b : buyers) {
      double[] s = xTxT(b);
      cells.computeIfAbsent(List.of(b.channel().equals("web") ? 1.0 : 0.0),
          k -> new SummaryHistogram()).add((int) s[0], s[1], s[2], s[0] > 0 ? 10.0 : null);
    }
    return cells;
  }

  /**
   * Per buyer's customer id: p_alive and expected purchases in 365 days, to 6 decimals as the
   * columns have them, from the model of their channel.
   */
  private static Map<String, double[]> expectedPerCustomer(List<Buyer> buyers,
      CovariatePurchaseModel expected) throws Exception {
    Map<String, double[]> perCustomer = new HashMap<>();
    for (Buyer b : buyers) {
      double[] s = xTxT(b);
      RepeatPurchaseModel model =
          expected.forCustomer(new double[] {b.channel().equals("web") ? 1 : 0});
      perCustomer.put(customerId(b.user()), new double[] {
          round6(model.pAlive((int) s[0], s[1], s[2])),
          round6(model.expectedPurchases(365 / 7.0, (int) s[0], s[1], s[2]))});
    }
    return perCustomer;
  }

  private static double round6(double v) {
    return BigDecimal.valueOf(v).setScale(6, RoundingMode.HALF_EVEN).doubleValue();
  }

  @Test
  void everyBuyerIsPredictedByTheModelOfTheirChannel(TestPipeline p) throws Exception {
    List<Buyer> buyers = buyers();
    BgNbdCovariateModel expected = expectedModel(buyers);
    assertTrue(expected.purchaseCoefficients()[0] < 0, "web buys less often in this data: "
        + expected.purchaseCoefficients()[0]);
    Map<String, double[]> expectedPerCustomer = expectedPerCustomer(buyers, expected);

    SegmentCustomers.Result result = events(p, events(buyers)).apply(segmentCustomers()
        .withValueModels(PredictCustomerValue.create()
            .withPurchaseCovariates(List.of("preferred_channel"))));
    PCollection<CustomerFeatures> features = result.getFeatures();
    PAssert.that(features).satisfies(rows -> {
      int buyersSeen = 0;
      for (CustomerFeatures f : rows) {
        if (f.getFrequency() == 0) {
          assertEquals(null, f.getPAlive(), "no purchase, no p_alive");
          continue;
        }
        buyersSeen++;
        double[] want = expectedPerCustomer.get(f.getCustomerId());
        assertEquals(want[0], f.getPAlive(), 0.0, "p_alive of " + f.getCustomerId());
        assertEquals(want[1], f.getExpectedPurchases365d(), 0.0,
            "expected purchases of " + f.getCustomerId());
        assertEquals("bg_nbd_covariates", f.getChurnModel(), "churn_model of a buyer");
      }
      assertEquals(500, buyersSeen);
      return null;
    });
    PAssert.thatSingleton(result.getModelJson()).satisfies(json -> {
      try {
        JsonNode model = new ObjectMapper().readTree(json).get("bg_nbd_covariates");
        assertEquals("preferred_channel", model.get("covariates").get(0).get("name").asText());
        assertEquals("app", model.get("covariates").get(0).get("baseline").asText());
        assertEquals("[\"preferred_channel=web\"]", model.get("variables").toString());
        assertParameters(expected.parameters(), model, "r", "alpha0", "a0", "b0",
            "purchase_coefficients", "dropout_a_coefficients", "dropout_b_coefficients");
        assertEquals(500, model.get("customers").asLong());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    p.run().waitUntilFinish();
  }

  /** The data contract's customer id of a one-identifier customer: c- and SHA-256's first 8 bytes. */
  private static String customerId(String user) throws Exception {
    byte[] hash = MessageDigest.getInstance("SHA-256")
        .digest(("user_id:" + user).getBytes(StandardCharsets.UTF_8));
    return "c-" + HexFormat.of().formatHex(hash, 0, 8);
  }

  /**
   * With a holdout, the covariate model is scored on it as a third model of the report: the
   * sums over the calibration cohort of each buyer's actual purchase days in [asOf, holdoutEnd)
   * and of the model of their channel's expectation, its P(alive) calibration, its weekly curve
   * and the choice among the three, computed here from the generated days.
   */
  @Test
  void theCovariateModelIsScoredOnTheHoldout(TestPipeline p) throws Exception {
    // few buyers: the holdout report also fits Pareto/NBD, whose likelihood costs
    // hypergeometric series per distinct (x, t_x, T) (500 of these buyers took 147 s)
    List<Buyer> buyers = buyers(HOLDOUT_BUYERS, 3);
    BgNbdCovariateModel expected = expectedModel(buyers);
    Random random = new Random(11);
    List<CustomerEvent> events = events(buyers);
    Map<String, Integer> holdoutDays = new HashMap<>();
    for (Buyer b : buyers) {
      int days = 0;
      for (int d = 1; d < HOLDOUT_DAYS; d++) {
        if (random.nextDouble() < 0.02) {
          CustomerEvent e = TestCustomers.event(b.user(), "purchase", -d,
              new BigDecimal("10.00"));
          events.add(e.toBuilder().setProperties(Map.of("channel", b.channel())).build());
          days++;
        }
      }
      holdoutDays.put(b.user(), days);
    }
    double weeks = HOLDOUT_DAYS / 7.0;
    SummaryHistogram everyone = new SummaryHistogram();
    for (Buyer b : buyers) {
      double[] s = xTxT(b);
      everyone.add((int) s[0], s[1], s[2], s[0] > 0 ? 10.0 : null);
    }
    GammaGammaModel spend = GammaGammaModel.fit(everyone, 0).model();
    BgNbdModel bgNbd = BgNbdModel.fit(everyone, 0).model();
    ParetoNbdModel paretoNbd = ParetoNbdModel.fit(everyone, 0).model();
    double predicted = 0;
    double absoluteError = 0;
    double predictedSpend = 0;
    long actual = 0;
    double[] otherErrors = new double[2]; // BG/NBD's and Pareto/NBD's, for the choice
    int[] inTenth = new int[10]; // the covariate model's P(alive) calibration
    int[] boughtInTenth = new int[10];
    for (Buyer b : buyers) {
      double[] s = xTxT(b);
      BgNbdModel ofChannel =
          expected.forCustomer(new double[] {b.channel().equals("web") ? 1 : 0});
      double e = ofChannel.expectedPurchases(weeks, (int) s[0], s[1], s[2]);
      int days = holdoutDays.get(b.user());
      predicted += e;
      actual += days;
      absoluteError += Math.abs(e - days);
      predictedSpend += e * (s[0] > 0 ? spend.conditionalExpectedAverageValue((int) s[0], 10.0)
          : spend.populationMeanValue());
      otherErrors[0] += Math.abs(bgNbd.expectedPurchases(weeks, (int) s[0], s[1], s[2]) - days);
      otherErrors[1] +=
          Math.abs(paretoNbd.expectedPurchases(weeks, (int) s[0], s[1], s[2]) - days);
      int tenth = Math.min(9, (int) (ofChannel.pAlive((int) s[0], s[1], s[2]) * 10));
      inTenth[tenth]++;
      boughtInTenth[tenth] += days > 0 ? 1 : 0;
    }
    String wantChosen = absoluteError < Math.min(otherErrors[0], otherErrors[1])
        ? "bg_nbd_covariates" : otherErrors[1] < otherErrors[0] ? "pareto_nbd" : "bg_nbd";
    List<String> wantBins = new ArrayList<>();
    for (int tenth = 0; tenth < 10; tenth++) {
      if (inTenth[tenth] > 0) {
        wantBins.add(tenth + ":" + inTenth[tenth] + ":" + String.format(java.util.Locale.ROOT,
            "%.4f", boughtInTenth[tenth] / (double) inTenth[tenth]));
      }
    }
    String wantSpend = String.format(java.util.Locale.ROOT, "%.2f", predictedSpend);
    String wantPredicted = String.format(java.util.Locale.ROOT, "%.2f", predicted);
    String wantError = String.format(java.util.Locale.ROOT, "%.4f",
        (predicted - actual) / actual);
    String wantMae = String.format(java.util.Locale.ROOT, "%.4f",
        absoluteError / HOLDOUT_BUYERS);
    long wantActual = actual;

    SegmentCustomers.Result result = events(p, events).apply(segmentCustomers()
        .withValueModels(PredictCustomerValue.create()
            .withPurchaseCovariates(List.of("preferred_channel")))
        .withHoldoutEnd(TestCustomers.AS_OF.plus(
                org.joda.time.Duration.standardDays(HOLDOUT_DAYS))));
    PAssert.thatSingleton(result.getHoldoutJson()).satisfies(json -> {
      try {
        JsonNode report = new ObjectMapper().readTree(json);
        assertEquals(HOLDOUT_BUYERS, report.get("customers").asLong(), json);
        assertEquals(wantActual, report.get("actual_repeat_purchases").asLong());
        JsonNode scores = report.get("models").get(2);
        assertEquals("bg_nbd_covariates", scores.get("model").asText());
        assertEquals(wantPredicted, scores.get("predicted_repeat_purchases").asText());
        assertEquals(wantError, scores.get("error_of_total").asText());
        assertEquals(wantMae, scores.get("mean_absolute_error").asText());
        assertEquals(wantSpend, scores.get("predicted_spend").asText());
        assertEquals(wantChosen, report.get("chosen_model").asText(), json);
        JsonNode calibration = report.get("p_alive_calibration").get(2);
        assertEquals("bg_nbd_covariates", calibration.get("model").asText());
        List<String> bins = new ArrayList<>();
        for (JsonNode bin : calibration.get("bins")) {
          bins.add(Math.round(bin.get("from").asDouble() * 10) + ":"
              + bin.get("customers").asInt() + ":" + String.format(java.util.Locale.ROOT,
              "%.4f", bin.get("share_bought").asDouble()));
        }
        assertEquals(wantBins, bins);
        JsonNode curve = report.get("cumulative_repeat_purchases").get("bg_nbd_covariates");
        assertEquals(13, curve.size(), "13 weeks, the last ending at the holdout's end");
        assertEquals(wantPredicted, curve.get(12).asText(), "the curve ends at the total");
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    p.run().waitUntilFinish();
  }

  private static final int HOLDOUT_DAYS = 91;
  private static final int HOLDOUT_BUYERS = 60;

  /**
   * A run that chooses its purchase model on a backtest (the 13 weeks before asOf) scores each
   * purchase model with the covariates too. Computed here: each model fitted on the buyers'
   * purchases before the backtest, its mean absolute error over the backtest's purchase days,
   * the choice (the smallest; ties to the first), and the chosen model fitted again on all
   * purchases, which must give every buyer's p_alive.
   */
  @Test
  void aRunChoosingOnABacktestWeighsTheCovariateModelsToo(TestPipeline p) throws Exception {
    List<Buyer> buyers = paretoBuyers(PARETO_BUYERS, 9);
    long asOfDay = TestCustomers.AS_OF.getMillis() / DAY;
    int backtestDays = 91;
    double weeks = backtestDays / 7.0;
    // the backtest's calibration: purchases at least 92 days before asOf, T to the day before
    Map<List<Double>, SummaryHistogram> before = new HashMap<>();
    SummaryHistogram everyone = new SummaryHistogram();
    List<double[]> cohort = new ArrayList<>(); // x, t_x, T, actual days, web
    for (Buyer b : buyers) {
      TreeSet<Integer> calibration = new TreeSet<>(b.daysBefore().tailSet(backtestDays + 1));
      if (calibration.isEmpty()) {
        continue;
      }
      long firstDay = asOfDay - calibration.last();
      double[] row = {calibration.size() - 1,
          (asOfDay - calibration.first() - firstDay) / 7.0,
          (asOfDay - backtestDays - 1 - firstDay) / 7.0,
          b.daysBefore().headSet(backtestDays, true).size(), b.channel().equals("web") ? 1 : 0};
      cohort.add(row);
      before.computeIfAbsent(List.of(row[4]), k -> new SummaryHistogram())
          .add((int) row[0], row[1], row[2], null);
      everyone.add((int) row[0], row[1], row[2], null);
    }
    List<String> names = List.of("bg_nbd", "pareto_nbd", "bg_nbd_covariates",
        "pareto_nbd_covariates");
    // web is the less common channel, so the variable is preferred_channel=web as above
    BgNbdModel plainBg = BgNbdModel.fit(everyone, 0).model();
    ParetoNbdModel plainPareto = ParetoNbdModel.fit(everyone, 0).model();
    BgNbdCovariateModel bgCov = BgNbdCovariateModel.fit(List.of("web"), before);
    ParetoNbdCovariateModel paretoCov = ParetoNbdCovariateModel.fit(List.of("web"), before);
    double[] errors = new double[4];
    for (double[] row : cohort) {
      double[] z = {row[4]};
      RepeatPurchaseModel[] models = {plainBg, plainPareto, bgCov.forCustomer(z),
          paretoCov.forCustomer(z)};
      for (int m = 0; m < 4; m++) {
        errors[m] += Math.abs(models[m].expectedPurchases(weeks, (int) row[0], row[1], row[2])
            - row[3]);
      }
    }
    int best = 0;
    for (int m = 1; m < 4; m++) {
      if (errors[m] < errors[best]) {
        best = m;
      }
    }
    String chosen = names.get(best);
    // the chosen model on all purchases before asOf
    SummaryHistogram all = new SummaryHistogram();
    cells(buyers).values().forEach(all::merge);
    Map<String, Double> expectedPAlive = new HashMap<>();
    BgNbdCovariateModel allBg = BgNbdCovariateModel.fit(List.of("web"), cells(buyers));
    ParetoNbdCovariateModel allPareto =
        ParetoNbdCovariateModel.fit(List.of("web"), cells(buyers));
    for (Buyer b : buyers) {
      double[] s = xTxT(b);
      double[] z = {b.channel().equals("web") ? 1 : 0};
      RepeatPurchaseModel model = switch (best) {
        case 0 -> BgNbdModel.fit(all, 0).model();
        case 1 -> ParetoNbdModel.fit(all, 0).model();
        case 2 -> allBg.forCustomer(z);
        default -> allPareto.forCustomer(z);
      };
      expectedPAlive.put(customerId(b.user()), round6(model.pAlive((int) s[0], s[1], s[2])));
    }
    String wantMae = String.format(java.util.Locale.ROOT, "%.4f", errors[best] / cohort.size());

    // with a holdout too, which scores every model with the covariates on the run's own cells
    SegmentCustomers.Result result = events(p, events(buyers)).apply(segmentCustomers()
        .withValueModels(PredictCustomerValue.create()
            .withPurchaseModelChosenOnBacktest(org.joda.time.Duration.standardDays(backtestDays))
            .withPurchaseCovariates(List.of("preferred_channel")))
        .withHoldoutEnd(TestCustomers.AS_OF.plus(org.joda.time.Duration.standardDays(30))));
    PAssert.thatSingleton(result.getModelJson()).satisfies(json -> {
      try {
        JsonNode doc = new ObjectMapper().readTree(json);
        JsonNode backtest = doc.get("backtest");
        List<String> scored = new ArrayList<>();
        backtest.get("models").forEach(m -> scored.add(m.get("model").asText()));
        assertEquals(names, scored);
        assertEquals(cohort.size(), backtest.get("customers").asInt());
        assertEquals(chosen, backtest.get("chosen_model").asText(), json);
        JsonNode winner = backtest.get("models").get(names.indexOf(chosen));
        assertEquals(wantMae, String.format(java.util.Locale.ROOT, "%.4f",
            winner.get("mean_absolute_error").asDouble()));
        String base = chosen.replace("_covariates", "");
        assertEquals(base, doc.get("purchase_model").asText());
        assertEquals(chosen.endsWith("_covariates"), doc.has(base + "_covariates"), json);
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    PAssert.that(result.getFeatures()).satisfies(rows -> {
      int buyersSeen = 0;
      for (CustomerFeatures f : rows) {
        if (f.getPAlive() != null) {
          buyersSeen++;
          assertEquals(expectedPAlive.get(f.getCustomerId()), f.getPAlive(), 0.0,
              "p_alive of " + f.getCustomerId() + " under " + chosen);
          assertEquals(chosen, f.getChurnModel(), "churn_model of " + f.getCustomerId());
        }
      }
      assertEquals(PARETO_BUYERS, buyersSeen);
      return null;
    });
    org.apache.beam.sdk.PipelineResult run = p.run();
    run.waitUntilFinish();
    System.out.printf("backtest errors %s, chosen %s%n", java.util.Arrays.toString(errors),
        chosen);
    // two on the backtest's cells, two on the run's for the holdout; the chosen one is shared
    long fits = 0;
    for (org.apache.beam.sdk.metrics.MetricResult<Long> c : run.metrics().queryMetrics(
        org.apache.beam.sdk.metrics.MetricsFilter.builder().addNameFilter(
            org.apache.beam.sdk.metrics.MetricNameFilter.named(PredictCustomerValue.class,
                PurchaseCovariates.FITS)).build()).getCounters()) {
      fits += c.getAttempted();
    }
    assertEquals(4, fits, "covariate model fits");
  }

  /**
   * With Pareto/NBD as the purchase model, the covariates go with it: each buyer's p_alive and
   * expected purchases come from {@link ParetoNbdCovariateModel}'s model of their channel, fitted
   * here on the buyers' own (x, t_x, T), and {@code model/clv.json} has its parameters.
   */
  @Test
  void withParetoNbdTheCovariatesGoWithIt(TestPipeline p) throws Exception {
    List<Buyer> buyers = paretoBuyers(PARETO_BUYERS, 5);
    ParetoNbdCovariateModel expected =
        ParetoNbdCovariateModel.fit(List.of("preferred_channel=web"), cells(buyers));
    Map<String, double[]> expectedPerCustomer = expectedPerCustomer(buyers, expected);
    SegmentCustomers.Result result = events(p, events(buyers)).apply(segmentCustomers()
        .withValueModels(PredictCustomerValue.create()
            .withPurchaseModel(PurchaseModel.PARETO_NBD)
            .withPurchaseCovariates(List.of("preferred_channel"))));
    PAssert.that(result.getFeatures()).satisfies(rows -> {
      int buyersSeen = 0;
      for (CustomerFeatures f : rows) {
        if (f.getPAlive() != null) { // a buyer
          buyersSeen++;
          double[] want = expectedPerCustomer.get(f.getCustomerId());
          assertEquals(want[0], f.getPAlive(), 0.0, "p_alive of " + f.getCustomerId());
          assertEquals(want[1], f.getExpectedPurchases365d(), 0.0,
              "expected purchases of " + f.getCustomerId());
          assertEquals("pareto_nbd_covariates", f.getChurnModel());
        }
      }
      assertEquals(PARETO_BUYERS, buyersSeen);
      return null;
    });
    PAssert.thatSingleton(result.getModelJson()).satisfies(json -> {
      try {
        JsonNode doc = new ObjectMapper().readTree(json);
        assertEquals("pareto_nbd", doc.get("purchase_model").asText());
        assertTrue(doc.get("bg_nbd_covariates") == null, json);
        JsonNode model = doc.get("pareto_nbd_covariates");
        assertParameters(expected.parameters(), model, "r", "alpha0", "s", "beta0",
            "purchase_coefficients", "dropout_coefficients");
        assertEquals(6, model.get("standard_errors").size());
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      return null;
    });
    p.run().waitUntilFinish();
  }

  private static final int PARETO_BUYERS = 300;

  /**
   * A covariate model's parameters in {@code model/clv.json}, by field (a coefficient vector's
   * one value: these runs have one 0/1 variable), against {@code want}.
   */
  private static void assertParameters(double[] want, JsonNode model, String... fields) {
    for (int i = 0; i < want.length; i++) {
      JsonNode value = model.get(fields[i]);
      double got = value.isArray() ? value.get(0).asDouble() : value.asDouble();
      assertEquals(want[i], got, 1e-12 * Math.max(1, Math.abs(want[i])), fields[i]);
    }
  }
}
