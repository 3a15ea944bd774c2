package dev.audiencesegmenter.io.rails;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Issue 17, item 5: when a run may remove what the previous one left. */
class ChangeLimitsTest {
  static final ChangeLimits DEFAULTS = ChangeLimits.defaults();

  static ChangeCounts counts(long previousCustomers, long currentCustomers,
      long previousMemberships, long endingMemberships) {
    return ChangeCounts.create(previousCustomers, currentCustomers, previousMemberships,
        endingMemberships);
  }

  @Test
  void smallChangesAndFirstRunsPass() {
    assertFalse(DEFAULTS.check("hubspot", counts(0, 0, 0, 0)).isRefused());
    assertFalse(DEFAULTS.check("hubspot", counts(0, 500, 0, 0)).isRefused());
    // exactly at the limits: 20 % fewer customers, 20 % of memberships ending
    Verdict atLimits = DEFAULTS.check("hubspot", counts(1000, 800, 2000, 400));
    assertFalse(atLimits.isRefused());
    assertEquals("hubspot: customers 1000 -> 800, 400 of 2000 memberships ending: within the "
        + "limits", atLimits.getMessage());
  }

  @Test
  void aLargeDropOrManyExitsAreRefused() {
    Verdict drop = DEFAULTS.check("postgresql", counts(1000, 799, 2000, 0));
    assertTrue(drop.isRefused());
    assertEquals("postgresql: customers fell from 1000 to 799 (-20.1%), more than "
        + "--maxCustomerDrop=0.2 allows", drop.getMessage());
    Verdict exits = DEFAULTS.check("hubspot", counts(1000, 1000, 2000, 401));
    assertTrue(exits.isRefused());
    assertEquals("hubspot: 401 of the 2000 memberships it holds would end (20.1%), more than "
        + "--maxExitShare=0.2 allows", exits.getMessage());
    assertFalse(DEFAULTS.withAllowLargeChanges(true)
        .check("hubspot", counts(1000, 10, 2000, 1990)).isRefused());
    assertFalse(DEFAULTS.withMaxCustomerDrop(0.5).withMaxExitShare(1.0)
        .check("hubspot", counts(1000, 500, 2000, 2000)).isRefused());
  }

  @Test
  void anEmptyInputNeverRemovesAnything() {
    Verdict empty = DEFAULTS.withAllowLargeChanges(true).check("hubspot",
        counts(1000, 0, 2000, 2000));
    assertTrue(empty.isRefused());
    assertEquals("hubspot: this run has no customers (the last one had 1000): an empty input "
        + "never removes anything, not even with --allowLargeChanges", empty.getMessage());
  }

  @Test
  void limitsAreShares() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DEFAULTS.withMaxCustomerDrop(20));
    assertEquals("--maxCustomerDrop must be a share in [0, 1], got 20.0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withMaxExitShare(-0.1));
    assertEquals("--maxExitShare must be a share in [0, 1], got -0.1", e.getMessage());
  }
}
