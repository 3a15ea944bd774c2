package dev.audiencesegmenter.clv;

import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.exception.TooManyEvaluationsException;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.NelderMeadSimplex;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.SimplexOptimizer;

/**
 * Minimizes a negative log-likelihood over positive parameters with the Nelder-Mead simplex
 * (commons-math3), working on their logarithms so that every trial point is valid. The search
 * is restarted from its own optimum until a restart no longer improves it: a single simplex
 * run can stall on the long, curved valleys these likelihoods have. Deterministic: the same
 * data and start give the same parameters.
 */
final class MaximumLikelihood {
  static final int MAX_EVALUATIONS = 20_000;

  private MaximumLikelihood() {}

  record Optimum(double[] params, int evaluations, boolean converged, double value) {}

  /** {@code negLogLik} takes the parameters themselves (not their logarithms). */
  static Optimum minimize(ToDoubleFunction<double[]> negLogLik, double[] start) {
    int n = start.length;
    double[] logStart = new double[n];
    for (int i = 0; i < n; i++) {
      logStart[i] = Math.log(start[i]);
    }
    ObjectiveFunction objective = new ObjectiveFunction(logParams -> {
      double[] p = new double[n];
      for (int i = 0; i < n; i++) {
        p[i] = Math.exp(logParams[i]);
      }
      double v = negLogLik.applyAsDouble(p);
      return Double.isFinite(v) ? v : Double.MAX_VALUE;
    });
    int evaluations = 0;
    boolean converged = true;
    double best = Double.MAX_VALUE;
    double[] point = logStart;
    for (int restart = 0; restart < 10; restart++) {
      SimplexOptimizer optimizer = new SimplexOptimizer(1e-12, 1e-12);
      PointValuePair result;
      try {
        result = optimizer.optimize(new MaxEval(MAX_EVALUATIONS), objective, GoalType.MINIMIZE,
            new InitialGuess(point), new NelderMeadSimplex(n, restart == 0 ? 1.0 : 0.1));
      } catch (TooManyEvaluationsException e) {
        converged = false;
        evaluations += MAX_EVALUATIONS;
        break;
      }
      evaluations += optimizer.getEvaluations();
      boolean improved = result.getValue() < best - 1e-12 * Math.abs(best);
      if (result.getValue() < best) {
        best = result.getValue();
        point = result.getPoint();
      }
      if (!improved && restart > 0) {
        break;
      }
    }
    double[] params = new double[n];
    for (int i = 0; i < n; i++) {
      params[i] = Math.exp(point[i]);
    }
    return new Optimum(params, evaluations, converged, best);
  }
}
