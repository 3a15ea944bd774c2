package dev.audiencesegmenter.io.rails;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderLockTest {

  @Test
  void aSecondWriterFailsFastNamingTheHolderUntilTheFirstReleases(@TempDir Path dir) {
    String state = dir.resolve("sync-state") + "/";
    Path hubspotLock = dir.resolve("sync-state").resolve("hubspot").resolve(FolderLock.FILE);
    try (FolderLock first = FolderLock.acquire(state, List.of("klaviyo", "hubspot"))) {
      assertEquals(List.of("hubspot", "klaviyo"), first.names());
      assertTrue(Files.exists(hubspotLock));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> FolderLock.acquire(state, List.of("hubspot")));
      assertEquals("The sync state " + state + "hubspot/ is being written by another run: "
          + WriterLock.applicationName() + ", since " + first.since() + ". Two runs syncing "
          + "the same state undo each other's removals: wait for that run to end. If it was "
          + "killed, delete " + state + "hubspot/" + FolderLock.FILE + ".", e.getMessage());
      // a run on another platform's state is not held back
      try (FolderLock other = FolderLock.acquire(state, List.of("braze"))) {
        assertEquals(List.of("braze"), other.names());
      }
    }
    assertFalse(Files.exists(hubspotLock), "released");
    try (FolderLock again = FolderLock.acquire(state, List.of("hubspot"))) {
      assertTrue(Files.exists(hubspotLock));
    }
  }

  @Test
  void aFailedAcquireReleasesWhatItTook(@TempDir Path dir) {
    String state = dir.resolve("sync-state") + "/";
    try (FolderLock held = FolderLock.acquire(state, List.of("mailchimp"))) {
      assertThrows(IllegalStateException.class,
          () -> FolderLock.acquire(state, List.of("braze", "mailchimp")));
      assertFalse(Files.exists(dir.resolve("sync-state").resolve("braze")
          .resolve(FolderLock.FILE)), "braze was locked before mailchimp failed: released");
    }
  }

  @Test
  void theLockOfAProcessThatIsGoneFromThisHostIsTakenOver(@TempDir Path dir)
      throws Exception {
    Path folder = dir.resolve("sync-state").resolve("hubspot");
    Files.createDirectories(folder);
    long deadPid = new ProcessBuilder("true").start().onExit().get().pid();
    String host = WriterLock.applicationName().replaceAll("^audience-segmenter on (.*) pid \\d+$",
        "$1");
    Files.writeString(folder.resolve(FolderLock.FILE), "audience-segmenter on " + host + " pid "
        + deadPid + "\n2026-01-01T00:00:00Z\nsome-token\n", StandardCharsets.UTF_8);
    try (FolderLock lock = FolderLock.acquire(dir.resolve("sync-state").toString(),
        List.of("hubspot"))) {
      assertTrue(Files.readString(folder.resolve(FolderLock.FILE))
          .startsWith(WriterLock.applicationName() + "\n"));
    }
  }
}
