package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

/** The holdout report's sums per model, by hand on three customers. */
class HoldoutReportTest {
  private static HoldoutReport threeCustomers() {
    return new HoldoutReport()
        .add(0, 1, 0.5, 1.25)
        .add(2, 0, 1.5, 0.25)
        .add(9, 3, 2.0, 4.0);
  }

  @Test
  void eachModelHasItsTotalItsErrorAndItsMeansPerFrequency() throws Exception {
    JsonNode r = new ObjectMapper().readTree(threeCustomers().toJson("c", "h"));
    assertEquals(3, r.get("customers").asInt());
    assertEquals(4, r.get("actual_repeat_purchases").asInt());
    // BG/NBD at the top level: 0.5 + 1.5 + 2.0; |0.5-1| + |1.5-0| + |2-3| = 3 over 3.
    assertEquals(4.0, r.get("predicted_repeat_purchases").asDouble(), 1e-9);
    assertEquals(1.0, r.get("mean_absolute_error").asDouble(), 1e-9);
    JsonNode pareto = r.get("models").get(1);
    assertEquals("pareto_nbd", pareto.get("model").asText());
    assertTrue(pareto.get("fitted").asBoolean());
    // 1.25 + 0.25 + 4.0 = 5.5: (5.5 - 4) / 4; |0.25| + |0.25| + |1.0| = 1.5 over 3.
    assertEquals(5.5, pareto.get("predicted_repeat_purchases").asDouble(), 1e-9);
    assertEquals(0.375, pareto.get("error_of_total").asDouble(), 1e-9);
    assertEquals(0.5, pareto.get("mean_absolute_error").asDouble(), 1e-9);
    JsonNode top = r.get("by_frequency").get(2);
    assertEquals("7+", top.get("frequency").asText());
    assertEquals(2.0, top.get("mean_predicted").asDouble(), 1e-9);
    assertEquals(3.0, top.get("mean_actual").asDouble(), 1e-9);
    assertEquals(4.0, top.get("mean_predicted_pareto_nbd").asDouble(), 1e-9);
    // Pareto/NBD misses the total by more (1.5 against 0) but each customer by less
    assertEquals("pareto_nbd", r.get("chosen_model").asText());
  }

  @Test
  void pAliveIsCalibratedPerTenthAgainstWhoBought() throws Exception {
    HoldoutReport r = new HoldoutReport()
        .addPAlive(true, 0.95, 0.42)
        .addPAlive(false, 0.91, 0.48)
        .addPAlive(false, 0.05, Double.NaN)
        .addPAlive(true, 1.0, 0.0);
    HoldoutReport parts = new HoldoutReport().addPAlive(true, 1.0, 0.0)
        .merge(new HoldoutReport().addPAlive(false, 0.05, Double.NaN).addPAlive(true, 0.95, 0.42)
            .addPAlive(false, 0.91, 0.48));
    assertEquals(r, parts);
    assertEquals(r, CoderUtils.clone(HoldoutReport.coder(), r));
    JsonNode models = new ObjectMapper().readTree(r.toJson("c", "h")).get("p_alive_calibration");
    // BG/NBD: 0.05 in the first tenth; 0.95, 0.91 and 1.0 in the last (1.0 belongs there)
    JsonNode bg = models.get(0).get("bins");
    assertEquals(2, bg.size());
    assertEquals(0.0, bg.get(0).get("from").asDouble());
    assertEquals(1, bg.get(0).get("customers").asInt());
    assertEquals(0.0, bg.get(0).get("share_bought").asDouble());
    assertEquals(0.9, bg.get(1).get("from").asDouble());
    assertEquals(3, bg.get(1).get("customers").asInt());
    assertEquals((0.95 + 0.91 + 1.0) / 3, bg.get(1).get("mean_p_alive").asDouble(), 1e-4);
    assertEquals(2.0 / 3, bg.get(1).get("share_bought").asDouble(), 1e-4);
    // Pareto/NBD: 0.0 in the first tenth, 0.42 and 0.48 in the fifth; the NaN left out
    JsonNode pareto = models.get(1).get("bins");
    assertEquals(2, pareto.size());
    assertEquals(1, pareto.get(0).get("customers").asInt());
    assertEquals(0.4, pareto.get(1).get("from").asDouble());
    assertEquals(0.45, pareto.get(1).get("mean_p_alive").asDouble(), 1e-4);
    assertEquals(0.5, pareto.get(1).get("share_bought").asDouble(), 1e-4);
  }

  @Test
  void theSmallerErrorPerCustomerChoosesAndBgNbdKeepsATie() {
    assertEquals(PurchaseModel.PARETO_NBD, threeCustomers().chosenModel());
    // |1-2| + |3-2| = 2 for BG/NBD, |2-2| + |4-2| = 2 for Pareto/NBD
    assertEquals(PurchaseModel.BG_NBD,
        new HoldoutReport().add(1, 2, 1, 2).add(1, 2, 3, 4).chosenModel());
    // 0.1 + 0.1 for BG/NBD, 0.5 + 0.3 for Pareto/NBD
    assertEquals(PurchaseModel.BG_NBD, new HoldoutReport().add(1, 2, 1.9, 1.5)
        .add(0, 0, 0.1, 0.3).chosenModel());
    // a model that was not fitted is never chosen
    assertEquals(PurchaseModel.BG_NBD,
        new HoldoutReport().add(1, 2, 1.0, Double.NaN).chosenModel());
  }

  @Test
  void aModelThatWasNotFittedIsSaidSoAndTheOthersStand() throws Exception {
    JsonNode r = new ObjectMapper().readTree(new HoldoutReport()
        .add(1, 2, 1.5, Double.NaN).toJson("c", "h"));
    assertEquals(1.5, r.get("models").get(0).get("predicted_repeat_purchases").asDouble(),
        1e-9);
    JsonNode pareto = r.get("models").get(1);
    assertFalse(pareto.get("fitted").asBoolean());
    assertFalse(pareto.has("predicted_repeat_purchases"));
    assertTrue(r.get("by_frequency").get(0).get("mean_predicted_pareto_nbd").isNull());
    assertEquals("bg_nbd", r.get("chosen_model").asText());
  }

  @Test
  void aModelThatWasNotFittedSaysWhyThroughMergesAndTheCoder() throws Exception {
    String why = "Pareto/NBD did not converge in 20000 evaluations of its likelihood";
    HoldoutReport a = new HoldoutReport().add(1, 2, 1.5, Double.NaN)
        .notFitted(java.util.Map.of("pareto_nbd", why));
    HoldoutReport b = new HoldoutReport().add(0, 0, 0.5, Double.NaN)
        .notFitted(java.util.Map.of("pareto_nbd", why));
    HoldoutReport both = CoderUtils.clone(HoldoutReport.coder(), new HoldoutReport().merge(a)
        .merge(b));
    assertEquals(a.merge(b), both);
    JsonNode r = new ObjectMapper().readTree(both.toJson("c", "h"));
    assertEquals(why, r.get("models").get(1).get("reason").asText());
    assertFalse(r.get("models").get(0).has("reason"));
  }

  @Test
  void aFittedModelWhosePredictionsAreNotFiniteSaysSo() throws Exception {
    JsonNode r = new ObjectMapper().readTree(new HoldoutReport()
        .add(1, 2, 1.5, Double.POSITIVE_INFINITY - Double.POSITIVE_INFINITY).toJson("c", "h"));
    JsonNode pareto = r.get("models").get(1);
    assertFalse(pareto.get("fitted").asBoolean());
    assertTrue(pareto.get("reason").asText().startsWith("its prediction is not a finite "
        + "number for some customers"), pareto.toString());
  }

  @Test
  void anInfinitePredictionIsNotScoredAndTheJsonStaysValid() throws Exception {
    // bare Infinity is no JSON: the parser refuses it
    JsonNode r = new ObjectMapper().readTree(new HoldoutReport()
        .add(1, 2, 1.5, Double.POSITIVE_INFINITY).add(0, 0, 0.5, 0.25).toJson("c", "h"));
    JsonNode pareto = r.get("models").get(1);
    assertFalse(pareto.get("fitted").asBoolean());
    assertTrue(pareto.has("reason"));
    assertTrue(r.get("by_frequency").get(1).get("mean_predicted_pareto_nbd").isNull());
    assertEquals("bg_nbd", r.get("chosen_model").asText());
  }

  @Test
  void differingReasonsForOneModelMergeTheSameInAnyOrder() {
    HoldoutReport a = new HoldoutReport().notFitted(java.util.Map.of("pareto_nbd", "because a"));
    HoldoutReport b = new HoldoutReport().notFitted(java.util.Map.of("pareto_nbd", "because b"));
    HoldoutReport ab = new HoldoutReport().merge(a).merge(b);
    HoldoutReport ba = new HoldoutReport().merge(b).merge(a);
    assertEquals(ab, ba);
  }

  @Test
  void sumsAreTheSameWhateverTheRunnerMergesFirst() {
    // in doubles, (0.1 + 0.2) + 0.3 is 0.6000000000000001 and 0.1 + (0.2 + 0.3) is 0.6
    java.util.function.DoubleFunction<HoldoutReport> one = v -> new HoldoutReport()
        .add(1, 1, v, v).addPAlive(true, v, v).addSpend(v, v, v)
        .addCumulative(HoldoutPurchases.Outcome.NONE, new double[][] {{v, v}}, 1);
    HoldoutReport left = one.apply(0.1).merge(one.apply(0.2)).merge(one.apply(0.3));
    HoldoutReport right = one.apply(0.1).merge(one.apply(0.2).merge(one.apply(0.3)));
    assertEquals(left, right);
  }

  @Test
  void aReasonMustNameAModelOfTheReport() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new HoldoutReport().notFitted(java.util.Map.of("bg_nbd_covariates", "x")));
    assertTrue(e.getMessage().contains("bg_nbd_covariates"), e.getMessage());
  }

  @Test
  void withoutAPurchaseInTheHoldoutTheErrorOfTheTotalIsNull() throws Exception {
    JsonNode r = new ObjectMapper().readTree(new HoldoutReport()
        .add(0, 0, 0.25, 0.5).toJson("c", "h"));
    assertTrue(r.get("models").get(0).get("error_of_total").isNull());
    assertEquals(0.5, r.get("models").get(1).get("mean_absolute_error").asDouble(), 1e-9);
  }

  @Test
  void mergesInAnyOrderAndSurvivesItsCoder() throws Exception {
    HoldoutReport parts = new HoldoutReport().add(9, 3, 2.0, 4.0)
        .merge(new HoldoutReport().add(2, 0, 1.5, 0.25).add(0, 1, 0.5, 1.25));
    assertEquals(threeCustomers(), parts);
    assertEquals(parts, CoderUtils.clone(HoldoutReport.coder(), parts));
  }

  @Test
  void spendAndTheWeeklyCurveAddUpPerModelAndSurviveTheCoder() throws Exception {
    // Two customers: 1 purchase day in week 1 and 2 in week 3, spending 30; none, spending 0.
    HoldoutPurchases.Outcome first = new HoldoutPurchases.Outcome(new long[] {1, 0, 2},
        new java.math.BigDecimal("30.00"));
    HoldoutReport a = new HoldoutReport().add(1, 3, 2.0, 2.5).addSpend(30, 20, 25)
        .addCumulative(first, new double[][] {{0.5, 1}, {1, 1.5}, {2, 2.5}}, 2.5);
    HoldoutReport b = new HoldoutReport().add(0, 0, 0.5, 0.25).addSpend(0, 5, 2.5)
        .addCumulative(HoldoutPurchases.Outcome.NONE,
            new double[][] {{0.25, 0.125}, {0.375, 0.25}, {0.5, 0.25}}, 2.5);
    HoldoutReport both = CoderUtils.clone(HoldoutReport.coder(), a.merge(b));
    JsonNode r = new ObjectMapper().readTree(both.toJson("c", "h"));
    assertEquals(30.0, r.get("actual_spend").asDouble(), 1e-9);
    JsonNode bg = r.get("models").get(0);
    assertEquals(25.0, bg.get("predicted_spend").asDouble(), 1e-9);
    // |20 - 30| and |5 - 0| over two customers; |25 - 30| and |2.5 - 0|
    assertEquals(7.5, bg.get("spend_mean_absolute_error").asDouble(), 1e-9);
    assertEquals(3.75, r.get("models").get(1).get("spend_mean_absolute_error").asDouble(), 1e-9);
    JsonNode curve = r.get("cumulative_repeat_purchases");
    // A holdout of 2.5 weeks: its last point is its end.
    assertEquals("[1,2,2.5]", curve.get("weeks").toString());
    assertEquals("[1,1,3]", curve.get("actual").toString());
    assertEquals("[0.75,1.38,2.5]", curve.get("bg_nbd").toString());
    assertEquals("[1.13,1.75,2.75]", curve.get("pareto_nbd").toString());
  }

  @Test
  void aPurchaseDayCountsOnceInTheWeekOfItsFirstPurchase() {
    long start = 1_000L;
    long week = HoldoutPurchases.WEEK_MILLIS;
    HoldoutPurchases bought = new HoldoutPurchases(start);
    // Day of start + 7 weeks - 1 ms: its later purchase crosses into week 8, its first is in 7.
    long lastMoment = start + 7 * week - 1;
    bought.add(lastMoment + 1, new java.math.BigDecimal("2.50"));
    bought.add(lastMoment, new java.math.BigDecimal("1.25"));
    bought.add(start, java.math.BigDecimal.ZERO);
    HoldoutPurchases.Outcome outcome = bought.outcome();
    boolean sameDay = Math.floorDiv(lastMoment, SummarizePurchases.DAY_MILLIS)
        == Math.floorDiv(lastMoment + 1, SummarizePurchases.DAY_MILLIS);
    assertTrue(sameDay, "the two purchases share a UTC day");
    assertEquals(new HoldoutPurchases.Outcome(new long[] {1, 0, 0, 0, 0, 0, 1},
        new java.math.BigDecimal("3.75")), outcome);
    assertEquals(2, outcome.days());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bought.add(start - 1, java.math.BigDecimal.ONE));
    assertTrue(e.getMessage().contains("999 ms"), e.getMessage());
  }

  @Test
  void takesOnePredictionPerModel() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new HoldoutReport().add(0, 1, 0.5));
    assertTrue(e.getMessage().contains("got 1"), e.getMessage());
  }

  @Test
  void theCovariateModelIsAThirdCandidateWithItsOwnScoresCalibrationAndCurve() throws Exception {
    // Errors per customer: BG/NBD |0.5-1| + |1.5-0| = 2, Pareto/NBD |1.25-1| + |0.25-0| = 0.5,
    // with covariates |0.875-1| + |0.125-0| = 0.25: the smallest, so chosen.
    HoldoutReport a = ValidateHoldout.report(List.of("bg_nbd_covariates")).add(0, 1, 0.5, 1.25, 0.875)
        .addPAlive(true, 0.95, 0.42, 0.77).addSpend(10, 5, 12.5, 8.75)
        .addCumulative(new HoldoutPurchases.Outcome(new long[] {1},
            new java.math.BigDecimal("10")), new double[][] {{0.5, 1.25, 0.875}}, 1);
    HoldoutReport b = ValidateHoldout.report(List.of("bg_nbd_covariates")).add(2, 0, 1.5, 0.25, 0.125)
        .addPAlive(false, 0.91, 0.48, 0.05).addSpend(0, 15, 2.5, 1.25)
        .addCumulative(HoldoutPurchases.Outcome.NONE, new double[][] {{1.5, 0.25, 0.125}}, 1);
    HoldoutReport both = CoderUtils.clone(HoldoutReport.coder(), a.merge(b));
    assertEquals(List.of("bg_nbd", "pareto_nbd", "bg_nbd_covariates"), both.models());
    JsonNode r = new ObjectMapper().readTree(both.toJson("c", "h"));
    assertEquals("bg_nbd_covariates", r.get("chosen_model").asText());
    JsonNode covariates = r.get("models").get(2);
    assertEquals("bg_nbd_covariates", covariates.get("model").asText());
    assertEquals(1.0, covariates.get("predicted_repeat_purchases").asDouble(), 1e-9);
    assertEquals(0.125, covariates.get("mean_absolute_error").asDouble(), 1e-9);
    // |8.75 - 10| and |1.25 - 0| over two customers
    assertEquals(1.25, covariates.get("spend_mean_absolute_error").asDouble(), 1e-9);
    assertEquals(0.125, r.get("by_frequency").get(1).get("mean_predicted_bg_nbd_covariates")
        .asDouble(), 1e-9);
    // P(alive) 0.77 (bought) in the eighth tenth, 0.05 in the first
    JsonNode bins = r.get("p_alive_calibration").get(2).get("bins");
    assertEquals(0.7, bins.get(1).get("from").asDouble(), 1e-9);
    assertEquals(1.0, bins.get(1).get("share_bought").asDouble(), 1e-9);
    assertEquals("[1.0]", r.get("cumulative_repeat_purchases").get("bg_nbd_covariates")
        .toString());
    // a report of the covariate model is no candidate for the run's purchase model
    assertThrows(IllegalArgumentException.class, both::chosenModel);
  }

  @Test
  void reportsOfDifferentModelsDoNotAddUp() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new HoldoutReport().merge(ValidateHoldout.report(List.of("bg_nbd_covariates"))));
    assertTrue(e.getMessage().contains("bg_nbd_covariates"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new HoldoutReport(List.of("pareto_nbd", "bg_nbd")));
    assertTrue(e.getMessage().contains("bg_nbd first"), e.getMessage());
  }
}
