package dev.audiencesegmenter.clv;

import java.io.Serializable;
import java.math.BigDecimal;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A customer's purchase statistics as the value models see them: x repeat purchase days, t_x
 * and T in weeks, and the exact mean revenue of the repeat days (null when x is 0).
 */
public record PurchaseSummary(long x, double tx, double t, @Nullable BigDecimal meanRepeatValue)
    implements Serializable {}
