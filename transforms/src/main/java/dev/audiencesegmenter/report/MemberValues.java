package dev.audiencesegmenter.report;

import java.io.Serializable;
import java.math.BigDecimal;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The trait values of one segment member, as {@link TraitColumns} extracted them from the
 * customer's feature row: numbers (booleans as 0 / 1, null when missing) and category values.
 *
 * @param reachable consented on a channel of the segment's plan; null when unknown
 */
record MemberValues(boolean holdout, @Nullable Boolean reachable, BigDecimal[] numbers,
    String[] categories) implements Serializable {

  MemberValues withMembership(boolean holdout, @Nullable Boolean reachable) {
    return new MemberValues(holdout, reachable, numbers, categories);
  }
}
