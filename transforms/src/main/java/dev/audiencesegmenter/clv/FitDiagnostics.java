package dev.audiencesegmenter.clv;

import java.io.Serializable;

/**
 * How a maximum-likelihood fit went: the objective's evaluations, whether the optimizer met its
 * tolerance, and the mean log-likelihood per customer at the optimum (without the penalty).
 */
public record FitDiagnostics(int evaluations, boolean converged, double meanLogLikelihood,
    long customers) implements Serializable {}
