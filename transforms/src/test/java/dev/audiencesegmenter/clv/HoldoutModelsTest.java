package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which holdout models stand, and what the report is told about those that do not. */
class HoldoutModelsTest {
  private static final ValueModelFit FIT = ValueModelFit.of(PredictCustomerValue.create());

  /** {@code repeat} customers with 2 repeat purchases and {@code once} with none, over 52 weeks. */
  private static SummaryHistogram customers(int repeat, int once) {
    SummaryHistogram h = new SummaryHistogram();
    for (int i = 0; i < repeat; i++) {
      h.add(2, 10 + i % 30, 52, 20.0 + i % 7);
    }
    for (int i = 0; i < once; i++) {
      h.add(0, 0, 40 + i % 12, null);
    }
    return h;
  }

  @Test
  void aBacktestTooShortForBgNbdLeavesBothModelsOutWithTheFitsReason() {
    HoldoutModels models = HoldoutModels.tryFit(customers(9, 50), FIT);
    assertNull(models.valueModels());
    assertNull(models.paretoNbd());
    String why = "BG/NBD needs at least 10 customers with a repeat purchase to fit; the data "
        + "has 9 of 59 customers";
    assertEquals(Map.of("bg_nbd", why, "pareto_nbd", why), models.notFitted());
  }

  @Test
  void modelsThatFitHaveNoReason() {
    HoldoutModels models = HoldoutModels.fit(customers(40, 60), FIT);
    assertNotNull(models.paretoNbd());
    assertEquals(Map.of(), models.notFitted());
  }

  @Test
  void aParetoNbdSearchThatDidNotConvergeIsNotACandidate() {
    SummaryHistogram h = customers(40, 60);
    ParetoNbdModel.Fit pareto = ParetoNbdModel.fit(h, 0);
    ParetoNbdModel.Fit unconverged = new ParetoNbdModel.Fit(pareto.model(),
        new FitDiagnostics(20_000, false, pareto.diagnostics().meanLogLikelihood(), 100));
    HoldoutModels models = HoldoutModels.of(FIT.fit(h), unconverged);
    assertNull(models.paretoNbd());
    String why = models.notFitted().get("pareto_nbd");
    assertTrue(why.startsWith("Pareto/NBD did not converge in 20000 evaluations"), why);
    assertEquals(1, models.notFitted().size());
  }
}
