package dev.audiencesegmenter.segments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RfmScoresTest {

  // The named-segment map of docs/domain.md, written out cell by cell: R score 5 down to 1
  // (rows), F score 1 to 5 (columns).
  private static final String[][] MAP = {
      {"new_customers", "potential_loyalist", "potential_loyalist", "champions", "champions"},
      {"promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"},
      {"about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"},
      {"hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"},
      {"lost", "hibernating", "at_risk", "at_risk", "cant_lose_them"},
  };

  @Test
  void everyCellOfTheGridHasItsNamedSegment() {
    for (int row = 0; row < 5; row++) {
      int r = 5 - row;
      for (int f = 1; f <= 5; f++) {
        assertEquals(MAP[row][f - 1], RfmScores.segment(r, f), "R " + r + ", F " + f);
      }
    }
  }

  @Test
  void scoresOutsideOneToFiveAreRefused() {
    assertEquals("RFM scores run from 1 to 5, got r=0, f=3",
        assertThrows(IllegalArgumentException.class, () -> RfmScores.segment(0, 3))
            .getMessage());
  }

  @Test
  void tiesFallInTheBinBelowABoundary() {
    // Most buyers bought once: q20 = q40 = q60 = 1, q80 = 2.
    double[] frequency = {1, 1, 1, 2};
    assertEquals(1, RfmScores.higherIsBetter(1, frequency));
    assertEquals(4, RfmScores.higherIsBetter(2, frequency));
    assertEquals(5, RfmScores.higherIsBetter(3, frequency));
    // Recency boundaries 10, 20, 30, 40 days: 10 or less is the most recent fifth.
    double[] recency = {10, 20, 30, 40};
    assertEquals(5, RfmScores.lowerIsBetter(0, recency));
    assertEquals(5, RfmScores.lowerIsBetter(10, recency));
    assertEquals(4, RfmScores.lowerIsBetter(11, recency));
    assertEquals(2, RfmScores.lowerIsBetter(40, recency));
    assertEquals(1, RfmScores.lowerIsBetter(41, recency));
  }

  @Test
  void haversineDistances() {
    // London (51.5074, -0.1278) to Paris (48.8566, 2.3522): 343.557 km on a sphere of
    // radius 6371.0088 km; one degree of longitude on the equator: 111.195 km.
    assertEquals(343.557, Haversine.km(51.5074, -0.1278, 48.8566, 2.3522), 0.001);
    assertEquals(111.195, Haversine.km(0, 0, 0, 1), 0.001);
    assertEquals(0.0, Haversine.km(10, 20, 10, 20), 0.0);
  }
}
