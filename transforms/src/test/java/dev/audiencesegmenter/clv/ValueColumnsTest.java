package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.audiencesegmenter.model.CustomerFeatures;
import java.math.BigDecimal;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** The value columns at the edges of the models: what is written, and that it agrees. */
class ValueColumnsTest {
  private static CustomerFeatures row() {
    return CustomerFeatures.builder().setCustomerId("c1")
        .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
        .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(182L)
        .setRecencyDays(29L).setFrequency(2L)
        .setMonetaryTotal(new BigDecimal("100.00"))
        .setMonetaryAvg(null).setPurchases30d(0L).setPurchases90d(0L).setPurchases180d(0L)
        .setPurchases365d(2L).setEmailOpens90d(0L).setEmailClicks90d(0L)
        .setSiteVisits30d(0L).setSiteVisits90d(0L).setCartAbandoned24h(false).build();
  }

  private static CustomerValue value(double pAlive) {
    return new CustomerValue(1, 10, 20, new BigDecimal("50.00"), pAlive, 0.1, 0.4, 50, 20,
        "bg_nbd");
  }

  @Test
  void gammaGammaExpectsAnInfiniteValueWherePxPlusQIsAtMostOne() {
    // p (γ + x m) / (p x + q - 1) holds only for p x + q > 1: 0.1 * 60 / -0.1 would be -60
    GammaGammaModel heavyTailed = new GammaGammaModel(0.1, 0.8, 10);
    assertEquals(Double.POSITIVE_INFINITY, heavyTailed.conditionalExpectedAverageValue(1, 50));
    assertEquals(Double.POSITIVE_INFINITY, heavyTailed.conditionalExpectedAverageValue(2, 50));
    // 0.1 * 3 + 0.8 = 1.1: finite again, 0.1 * (10 + 150) / 0.1 = 160
    assertEquals(160, heavyTailed.conditionalExpectedAverageValue(3, 50), 1e-9);
  }

  @Test
  void theBandIsTheBandOfTheRiskAsWritten() {
    // 1 - 0.70000049 = 0.29999951, written as 0.3: the band of 0.3 is medium
    CustomerFeatures f = AddCustomerValue.withValue(row(), value(0.70000049));
    assertEquals(0.3, f.getChurnRisk());
    assertEquals("medium", f.getChurnRiskBand());
  }

  @Test
  void noRiskMeansNoBand() {
    CustomerFeatures f = AddCustomerValue.withValue(row(), value(Double.NaN));
    assertNull(f.getChurnRisk());
    assertNull(f.getChurnRiskBand());
  }
}
