package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How categories become BG/NBD's 0/1 covariates: the most common category of each covariate
 * (by customers) is the baseline, the others are variables in name order, and a customer's
 * model is {@link BgNbdCovariateModel#forCustomer} of their 0/1 values.
 */
class PurchaseCovariatesTest {
  /** {@code customers} customers per cell, half of them repeat buyers, as a histogram. */
  private static SummaryHistogram customers(int customers, double repeatRate) {
    SummaryHistogram h = new SummaryHistogram();
    for (int i = 0; i < customers; i++) {
      int x = i % 2 == 0 ? 1 + (int) (repeatRate * (i % 7)) : 0;
      h.add(x, x == 0 ? 0 : 10 + i % 13, 30 + i % 17, x == 0 ? null : 20.0);
    }
    return h;
  }

  @Test
  void theMostCommonCategoryIsTheBaselineAndTheOthersAreVariablesByName() {
    Map<List<String>, SummaryHistogram> cells = new HashMap<>();
    cells.put(List.of("web", "pro"), customers(40, 1));
    cells.put(List.of("app", "pro"), customers(70, 2));
    cells.put(List.of("email", "free"), customers(50, 1));
    cells.put(List.of("app", "free"), customers(60, 3));
    PurchaseCovariates fitted = PurchaseCovariates.fit(List.of("channel", "plan"), cells);
    // app 130 customers, email 50, web 40; free 110, pro 110: a tie goes to the first by name
    assertEquals(List.of(List.of("app", "email", "web"), List.of("free", "pro")),
        fitted.categories());
    assertEquals(List.of("channel=email", "channel=web", "plan=pro"),
        fitted.model().covariates());

    Map<List<Double>, SummaryHistogram> coded = new HashMap<>();
    coded.put(List.of(0.0, 1.0, 1.0), customers(40, 1));
    coded.put(List.of(0.0, 0.0, 1.0), customers(70, 2));
    coded.put(List.of(1.0, 0.0, 0.0), customers(50, 1));
    coded.put(List.of(0.0, 0.0, 0.0), customers(60, 3));
    BgNbdCovariateModel byHand = BgNbdCovariateModel.fit(
        List.of("channel=email", "channel=web", "plan=pro"), coded);
    assertArrayEquals(byHand.parameters(), fitted.model().parameters(), 1e-12);

    RepeatPurchaseModel web = fitted.forCell(List.of("web", "pro"));
    BgNbdModel expected = byHand.forCustomer(new double[] {0, 1, 1});
    assertEquals(expected.pAlive(2, 20, 40), web.pAlive(2, 20, 40), 0.0);
    // a category the fit never saw counts as the baseline
    assertEquals(byHand.forCustomer(new double[] {0, 0, 1}).pAlive(2, 20, 40),
        fitted.forCell(List.of("sms", "pro")).pAlive(2, 20, 40), 0.0);
    assertEquals(PurchaseCovariates.merged(cells).customers(), 220);
  }

  @Test
  void theDocumentedColumnsAreTheColumns() {
    assertEquals(String.join(", ", PurchaseCovariates.COLUMNS), PurchaseCovariates.COLUMNS_DOC);
  }

  /** Runners gather the cells in different orders; the fit must not see it. */
  @Test
  void theFitDoesNotDependOnTheOrderTheCellsCameIn() {
    List<List<Double>> cells = List.of(List.of(0.0, 0.0), List.of(1.0, 0.0),
        List.of(0.0, 1.0), List.of(1.0, 1.0));
    Map<List<Double>, SummaryHistogram> forward = new LinkedHashMap<>();
    Map<List<Double>, SummaryHistogram> backward = new LinkedHashMap<>();
    for (int i = 0; i < cells.size(); i++) {
      forward.put(cells.get(i), customers(50 + 10 * i, 1 + i));
    }
    for (int i = cells.size() - 1; i >= 0; i--) {
      backward.put(cells.get(i), customers(50 + 10 * i, 1 + i));
    }
    assertArrayEquals(BgNbdCovariateModel.fit(List.of("a", "b"), forward).parameters(),
        BgNbdCovariateModel.fit(List.of("a", "b"), backward).parameters(), 0.0);
  }

  @Test
  void aCovariateWithOneCategoryHasNothingToFit() {
    Map<List<String>, SummaryHistogram> cells = Map.of(List.of("pro"), customers(100, 2));
    ClvFitException e = assertThrows(ClvFitException.class,
        () -> PurchaseCovariates.fit(List.of("plan"), cells));
    assertEquals("purchase covariate 'plan' has the single category pro among the customers "
        + "who bought: nothing to fit", e.getMessage());
  }

  @Test
  void aCandidateThatCannotBeFittedIsLeftOutWithItsReason() {
    Map<List<String>, SummaryHistogram> cells = Map.of(List.of("pro"), customers(100, 2));
    CovariateCandidates candidates = CovariateCandidates.fit(List.of("plan"), cells,
        List.of(PurchaseModel.BG_NBD, PurchaseModel.PARETO_NBD));
    assertEquals(null, candidates.fitted(PurchaseModel.BG_NBD));
    String why = "purchase covariate 'plan' has the single category pro among the customers "
        + "who bought: nothing to fit";
    assertEquals(Map.of("bg_nbd_covariates", why, "pareto_nbd_covariates", why),
        candidates.notFitted());
  }

  @Test
  void aCovariateWithMoreThanTwentyCategoriesIsRefused() {
    Map<List<String>, SummaryHistogram> cells = new HashMap<>();
    for (int i = 0; i < 21; i++) {
      cells.put(List.of("city" + i), customers(10, 1));
    }
    ClvFitException e = assertThrows(ClvFitException.class,
        () -> PurchaseCovariates.fit(List.of("city"), cells));
    assertEquals("purchase covariate 'city' has 21 categories among the customers who bought; "
        + "at most 20 (covariates are categorical: a plan, a channel, a trait)", e.getMessage());
  }

  @Test
  void namesAreCheckedWhereTheyAreGiven() {
    PredictCustomerValue value = PredictCustomerValue.create();
    assertEquals("purchase covariate 'plan' is named twice in [plan,  plan ]",
        assertThrows(IllegalArgumentException.class,
            () -> value.withPurchaseCovariates(List.of("plan", " plan "))).getMessage());
    assertEquals("at most 4 purchase covariates, got 5: [a, b, c, d, e]",
        assertThrows(IllegalArgumentException.class,
            () -> value.withPurchaseCovariates(List.of("a", "b", "c", "d", "e"))).getMessage());
  }
}
