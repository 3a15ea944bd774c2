package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Pareto/NBD's expected purchases where its closed form divides by s - 1. */
class ParetoNbdModelTest {
  @Test
  void expectedPurchasesAtSEqualToOneAreTheFormulasLimit() {
    ParetoNbdModel model = new ParetoNbdModel(0.55, 10.6, 1.0, 11.7);
    int x = 2;
    double tx = 20;
    double t = 38;
    double horizon = 39;
    // as s -> 1: (r + x)(β + T) / (α + T) ln((β + T + t) / (β + T)) P(alive)
    double limit = (0.55 + x) * (11.7 + t) / (10.6 + t)
        * Math.log((11.7 + t + horizon) / (11.7 + t)) * model.pAlive(x, tx, t);
    assertEquals(limit, model.expectedPurchases(horizon, x, tx, t), 1e-12 * limit);
    // and the closed form is continuous through it
    for (double s : new double[] {1 - 1e-9, 1 + 1e-9}) {
      ParetoNbdModel near = new ParetoNbdModel(0.55, 10.6, s, 11.7);
      assertEquals(limit, near.expectedPurchases(horizon, x, tx, t), 1e-7 * limit);
    }
  }

  @Test
  void awayFromOneItIsTheClosedForm() {
    ParetoNbdModel model = new ParetoNbdModel(0.55, 10.6, 0.61, 11.7);
    int x = 2;
    double t = 38;
    double closed = (0.55 + x) * (11.7 + t) / ((10.6 + t) * (0.61 - 1))
        * (1 - Math.pow((11.7 + t) / (11.7 + t + 39), 0.61 - 1)) * model.pAlive(x, 20, t);
    assertEquals(closed, model.expectedPurchases(39, x, 20, t), 1e-12 * closed);
  }
}
