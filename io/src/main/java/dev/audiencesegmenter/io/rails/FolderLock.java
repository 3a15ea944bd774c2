package dev.audiencesegmenter.io.rails;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer at a time for a sync state kept in files: a lock file ({@value #FILE}) in each
 * platform's folder, holding the launching host and process, the time it was taken and a random
 * token, and deleted by {@link #close()}. A second run on the same platform's state fails at
 * {@link #acquire} naming the holder, as {@link WriterLock} does for tables.
 *
 * <p>On a local file system the lock file is created atomically. On others (e.g. {@code gs://})
 * Beam's file systems offer no create-if-absent, so the file is checked, written and read back:
 * two launches within the same moment could both pass, so runs meant to exclude each other on
 * such a store should keep the state in PostgreSQL instead ({@code --syncState=jdbc:...}).
 *
 * <p>A file lock does not end with its process: a launcher that is killed leaves it behind. A
 * lock left by a process of this host that no longer runs is taken over (with a warning); any
 * other must be deleted by hand once its run is known to be gone, as the message says.
 */
public final class FolderLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FolderLock.class);
  public static final String FILE = ".writer-lock";
  private static final Pattern HOLDER = Pattern.compile("audience-segmenter on (.+) pid (\\d+)");

  private final List<String> names;
  private final List<String> files;
  private final String token;
  private final Instant since;

  private FolderLock(List<String> names, List<String> files, String token, Instant since) {
    this.names = names;
    this.files = files;
    this.token = token;
    this.since = since;
  }

  /**
   * Locks the folder {@code <folder>/<name>/} of every name (sorted, without repeats), or none:
   * when one is held, those already taken are released and an {@link IllegalStateException}
   * names the holder.
   */
  public static FolderLock acquire(String folder, List<String> names) {
    if (folder == null || folder.isBlank()) {
      throw new IllegalArgumentException("FolderLock needs a folder, got '" + folder + "'");
    }
    if (names == null || names.isEmpty()) {
      throw new IllegalArgumentException("FolderLock needs at least one name to lock");
    }
    String base = folder.endsWith("/") ? folder : folder + "/";
    List<String> sorted = new ArrayList<>(new TreeSet<>(names));
    String token = UUID.randomUUID().toString();
    Instant since = Instant.now();
    String content = WriterLock.applicationName() + "\n" + since + "\n" + token + "\n";
    List<String> taken = new ArrayList<>();
    try {
      for (String name : sorted) {
        String lockFile = base + name + "/" + FILE;
        take(base + name + "/", lockFile, content, token);
        taken.add(lockFile);
      }
    } catch (RuntimeException e) {
      taken.forEach(file -> release(file, token));
      throw e;
    }
    LOG.info("Holding the writer locks of the sync state {} for {}", base, sorted);
    return new FolderLock(sorted, taken, token, since);
  }

  private static void take(String folder, String lockFile, String content, String token) {
    for (int attempt = 0; attempt < 2; attempt++) {
      String held = isLocal(lockFile) ? createLocally(lockFile, content)
          : createElsewhere(lockFile, content, token);
      if (held == null) {
        return;
      }
      if (attempt == 0 && isGoneFromThisHost(held)) {
        LOG.warn("Taking over the lock {} of a run that is no longer running on this host ({})",
            lockFile, firstLine(held));
        delete(lockFile);
        continue;
      }
      String[] lines = held.split("\n", -1);
      throw new IllegalStateException("The sync state " + folder + " is being written by "
          + "another run: " + lines[0] + (lines.length > 1 && !lines[1].isBlank()
              ? ", since " + lines[1] : "")
          + ". Two runs syncing the same state undo each other's removals: wait for that run "
          + "to end. If it was killed, delete " + lockFile + ".");
    }
  }

  /** Creates the lock file atomically; null when created, else what the existing one holds. */
  private static @Nullable String createLocally(String lockFile, String content) {
    Path path = localPath(lockFile);
    try {
      Files.createDirectories(path.getParent());
      Files.writeString(path, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      return null;
    } catch (FileAlreadyExistsException held) {
      try {
        return Files.readString(path, StandardCharsets.UTF_8);
      } catch (NoSuchFileException released) {
        return createLocally(lockFile, content); // released between the two calls
      } catch (IOException e) {
        throw new IllegalStateException("Cannot read the lock " + lockFile + ": " + e, e);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot write the lock " + lockFile + ": " + e, e);
    }
  }

  /** Checks, writes and reads back; null when this run holds it, else the holder's content. */
  private static @Nullable String createElsewhere(String lockFile, String content,
      String token) {
    String existing = read(lockFile);
    if (existing != null) {
      return existing;
    }
    ResourceId id = FileSystems.matchNewResource(lockFile, false);
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(id, "text/plain"))) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot write the lock " + lockFile + ": " + e, e);
    }
    String after = read(lockFile);
    return after != null && after.contains(token) ? null : after;
  }

  private static @Nullable String read(String file) {
    if (isLocal(file)) {
      try {
        return Files.readString(localPath(file), StandardCharsets.UTF_8);
      } catch (NoSuchFileException absent) {
        return null;
      } catch (IOException e) {
        throw new IllegalStateException("Cannot read the lock " + file + ": " + e, e);
      }
    }
    try {
      MatchResult match = FileSystems.match(file);
      if (match.status() != MatchResult.Status.OK || match.metadata().isEmpty()) {
        return null;
      }
      try (InputStream in = Channels.newInputStream(
          FileSystems.open(match.metadata().get(0).resourceId()))) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read the lock " + file + ": " + e, e);
    }
  }

  /** Whether the holder is a process of this host that has ended. */
  private static boolean isGoneFromThisHost(String held) {
    Matcher holder = HOLDER.matcher(firstLine(held));
    Matcher self = HOLDER.matcher(WriterLock.applicationName());
    if (!holder.matches() || !self.matches() || !holder.group(1).equals(self.group(1))) {
      return false;
    }
    return ProcessHandle.of(Long.parseLong(holder.group(2))).map(p -> !p.isAlive())
        .orElse(true);
  }

  private static String firstLine(String text) {
    int end = text.indexOf('\n');
    return end < 0 ? text : text.substring(0, end);
  }

  private static boolean isLocal(String file) {
    return !file.matches("^[a-zA-Z][a-zA-Z0-9+.-]+://.*") || file.startsWith("file://");
  }

  private static Path localPath(String file) {
    return file.startsWith("file://") ? Paths.get(java.net.URI.create(file)) : Paths.get(file);
  }

  private static void delete(String file) {
    try {
      if (isLocal(file)) {
        Files.deleteIfExists(localPath(file));
      } else {
        FileSystems.delete(List.of(FileSystems.matchNewResource(file, false)),
            MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot delete the lock " + file + ": " + e, e);
    }
  }

  /** Deletes the lock file if it is still this run's. */
  private static void release(String file, String token) {
    try {
      String held = read(file);
      if (held != null && held.contains(token)) {
        delete(file);
      }
    } catch (RuntimeException e) {
      LOG.warn("Releasing the lock {} failed: {}", file, e.getMessage());
    }
  }

  /** The locked names, sorted. */
  public List<String> names() {
    return names;
  }

  /** When the locks were taken, as written in them. */
  public Instant since() {
    return since;
  }

  @Override
  public void close() {
    files.forEach(file -> release(file, token));
    LOG.info("Released the writer locks of the sync state for {}", names);
  }
}
