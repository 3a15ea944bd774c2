package dev.audiencesegmenter.clv;

import java.util.Arrays;
import java.util.function.ToDoubleFunction;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.exception.TooManyEvaluationsException;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.SimpleBounds;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.BOBYQAOptimizer;

/**
 * Minimizes a negative log-likelihood over positive parameters with Powell's BOBYQA
 * (commons-math3), a derivative-free trust-region method that models the function by
 * quadratic interpolation: on these smooth likelihoods it needs fewer evaluations than a
 * Nelder-Mead simplex. It works on the parameters' logarithms, so every trial point is valid,
 * and restarts from its own optimum with a small trust region until a restart no longer
 * improves it (a guard against stopping early in the long, curved valleys these likelihoods
 * have). Deterministic: the same data and start give the same parameters. Regression
 * coefficients, which may be negative, are searched as they are ({@link #minimize(
 * ToDoubleFunction, double[], int)}).
 */
final class MaximumLikelihood {
  static final int MAX_EVALUATIONS = 20_000;

  private MaximumLikelihood() {}

  record Optimum(double[] params, int evaluations, boolean converged, double value) {}

  /** {@code negLogLik} takes the parameters themselves (not their logarithms). */
  static Optimum minimize(ToDoubleFunction<double[]> negLogLik, double[] start) {
    return minimize(negLogLik, start, start.length);
  }

  /**
   * As {@link #minimize(ToDoubleFunction, double[])}, where only the first {@code positive}
   * parameters must be positive (searched on their logarithms) and the others are free.
   */
  static Optimum minimize(ToDoubleFunction<double[]> negLogLik, double[] start, int positive) {
    return minimize(negLogLik, start, positive, MAX_EVALUATIONS);
  }

  /**
   * As {@link #minimize(ToDoubleFunction, double[], int)}, with at most {@code maxEvaluations}
   * per BOBYQA run. A run that uses them all ends the search, not converged, at the best point
   * evaluated so far (BOBYQA itself gives up its point when it runs out).
   */
  static Optimum minimize(ToDoubleFunction<double[]> negLogLik, double[] start, int positive,
      int maxEvaluations) {
    int n = start.length;
    double[] logStart = new double[n];
    for (int i = 0; i < n; i++) {
      logStart[i] = i < positive ? Math.log(start[i]) : start[i];
    }
    double[] bestSeen = logStart.clone();
    double[] bestSeenValue = {Double.MAX_VALUE};
    ObjectiveFunction objective = new ObjectiveFunction(logParams -> {
      double[] p = new double[n];
      for (int i = 0; i < n; i++) {
        p[i] = i < positive ? Math.exp(logParams[i]) : logParams[i];
      }
      double v = negLogLik.applyAsDouble(p);
      double value = Double.isFinite(v) ? v : Double.MAX_VALUE;
      if (value < bestSeenValue[0]) {
        bestSeenValue[0] = value;
        System.arraycopy(logParams, 0, bestSeen, 0, n);
      }
      return value;
    });
    int evaluations = 0;
    boolean converged = true;
    double best = Double.MAX_VALUE;
    double[] point = logStart;
    for (int restart = 0; restart < 10; restart++) {
      BOBYQAOptimizer optimizer = new BOBYQAOptimizer(2 * n + 1,
          restart == 0 ? 0.5 : 0.05, 1e-9);
      PointValuePair result;
      try {
        result = optimizer.optimize(new MaxEval(maxEvaluations), objective, GoalType.MINIMIZE,
            new InitialGuess(point), SimpleBounds.unbounded(n));
      } catch (TooManyEvaluationsException e) {
        converged = false;
        evaluations += maxEvaluations;
        if (bestSeenValue[0] < best) {
          best = bestSeenValue[0];
          point = bestSeen;
        }
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
      params[i] = i < positive ? Math.exp(point[i]) : point[i];
    }
    return new Optimum(params, evaluations, converged, best);
  }

  /**
   * The parameters' asymptotic covariance at the optimum {@code p} of {@code logLikelihood}
   * (the total, not the mean): H⁻¹, with H the Hessian of the negative log-likelihood by
   * central differences (the observed information). All NaN when H is singular.
   */
  static double[][] covariance(ToDoubleFunction<double[]> logLikelihood, double[] p) {
    int n = p.length;
    double[] h = new double[n];
    for (int i = 0; i < n; i++) {
      h[i] = 1e-4 * Math.max(1, Math.abs(p[i]));
    }
    double[][] hessian = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = i; j < n; j++) {
        double v = (shifted(logLikelihood, p, i, h[i], j, h[j])
            - shifted(logLikelihood, p, i, h[i], j, -h[j])
            - shifted(logLikelihood, p, i, -h[i], j, h[j])
            + shifted(logLikelihood, p, i, -h[i], j, -h[j])) / (4 * h[i] * h[j]);
        hessian[i][j] = -v;
        hessian[j][i] = -v;
      }
    }
    LUDecomposition lu = new LUDecomposition(MatrixUtils.createRealMatrix(hessian));
    if (!lu.getSolver().isNonSingular()) {
      double[][] unknown = new double[n][n];
      for (double[] row : unknown) {
        Arrays.fill(row, Double.NaN);
      }
      return unknown;
    }
    return lu.getSolver().getInverse().getData();
  }

  private static double shifted(ToDoubleFunction<double[]> f, double[] p, int i, double di,
      int j, double dj) {
    double[] q = p.clone();
    q[i] += di;
    q[j] += dj;
    return f.applyAsDouble(q);
  }

  /** The square roots of a covariance matrix's diagonal; NaN where it is not positive. */
  static double[] standardErrors(double[][] covariance) {
    double[] se = new double[covariance.length];
    for (int i = 0; i < se.length; i++) {
      se[i] = covariance[i][i] > 0 ? Math.sqrt(covariance[i][i]) : Double.NaN;
    }
    return se;
  }
}
