package dev.audiencesegmenter.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class CustomerFeaturesCoderTest {

  /** Every column set, each to a value of its own, through the builder's setters. */
  private static CustomerFeatures everyColumnSet(int seed) throws Exception {
    CustomerFeatures.Builder builder = CustomerFeatures.builder();
    int i = seed;
    for (Method setter : CustomerFeatures.Builder.class.getMethods()) {
      if (!setter.getName().startsWith("set") || setter.getParameterCount() != 1) {
        continue;
      }
      i++;
      Class<?> type = setter.getParameterTypes()[0];
      Object value;
      if (type == String.class) {
        value = "v" + i + "-é";
      } else if (type == long.class || type == Long.class) {
        value = (long) (i * 1000 - 7);
      } else if (type == Integer.class || type == int.class) {
        value = i;
      } else if (type == double.class || type == Double.class) {
        value = i + 0.25;
      } else if (type == boolean.class || type == Boolean.class) {
        value = i % 2 == 0;
      } else if (type == BigDecimal.class) {
        value = new BigDecimal(i + ".50");
      } else if (type == Instant.class) {
        value = new Instant(1_700_000_000_000L + i);
      } else if (type == Map.class) {
        value = new TreeMap<>(Map.of("plan", "pro" + i, "age_band", "30-39"));
      } else {
        throw new AssertionError("no test value for a column of type " + type
            + " (" + setter.getName() + "): add one here and to CustomerFeaturesCoder");
      }
      setter.invoke(builder, value);
    }
    return builder.build();
  }

  @Test
  void everyColumnRoundTrips() throws Exception {
    CustomerFeatures f = everyColumnSet(0);
    assertEquals(f, CoderUtils.clone(CustomerFeaturesCoder.of(), f));
    assertNotEquals(f, everyColumnSet(1), "the test values must tell columns apart");
  }

  @Test
  void nullColumnsRoundTrip() throws Exception {
    CustomerFeatures f = CustomerFeatures.builder().setCustomerId("c-1")
        .setFirstSeen(new Instant(0)).setLastSeen(new Instant(5)).setTenureDays(0)
        .setFrequency(0).setMonetaryTotal(BigDecimal.ZERO.setScale(2)).setPurchases30d(0)
        .setPurchases90d(0).setPurchases180d(0).setPurchases365d(0).setEmailOpens90d(0)
        .setEmailClicks90d(0).setSiteVisits30d(0).setSiteVisits90d(0)
        .setCartAbandoned24h(false).build();
    assertEquals(f, CoderUtils.clone(CustomerFeaturesCoder.of(), f));
  }
}
