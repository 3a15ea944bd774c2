package dev.audiencesegmenter.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ProgressLogTest {
  @Test
  void namesTheCountedStagesInTheOrderTheyWereFirstReached() {
    ProgressLog.restart();
    ProgressLog.Count read = ProgressLog.count("test lines read");
    ProgressLog.Count folded = ProgressLog.count("test customers folded");
    ProgressLog.Count written = ProgressLog.count("test lines written");
    // nothing counted since the restart: nothing to say (every stage of earlier runs is zero)
    assertNull(ProgressLog.line());
    folded.add(12);
    read.add(1_234_567);
    assertEquals("progress: 1,234,567 test lines read, 12 test customers folded",
        ProgressLog.line());
    written.add(3);
    folded.add(1);
    assertSame(folded, ProgressLog.count("test customers folded"), "one count per stage");
    assertEquals("progress: 1,234,567 test lines read, 13 test customers folded, "
        + "3 test lines written", ProgressLog.line());
    ProgressLog.restart();
    assertNull(ProgressLog.line());
  }
}
