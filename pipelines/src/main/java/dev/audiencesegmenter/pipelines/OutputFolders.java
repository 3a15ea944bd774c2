package dev.audiencesegmenter.pipelines;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The output folders of a run. Part files of an earlier run are removed before the pipeline
 * starts: readers take a whole folder, and a run that writes fewer shards than the last one
 * would otherwise leave stale files behind that mix two runs.
 */
final class OutputFolders {
  private static final Logger LOG = LoggerFactory.getLogger(OutputFolders.class);

  static final String IDENTITIES = "identities";
  static final String FEATURES = "features";
  static final String SEGMENTS = "segments";
  static final String SUMMARY = "summary";
  static final String DEAD_LETTER = "dead-letter";
  static final String JUNK_IDENTIFIERS = "junk-identifiers";
  static final String MERGES = "merges";
  /** With --previousSegments: transition matrix cells. */
  static final String STABILITY = "stability";
  /** With --previousSegments and --previousAsOf: treatment against holdout per segment. */
  static final String RESPONSE = "response";
  /** index.html and summary.md, rewritten by each run; not a part-file folder. */
  static final String REPORT = "report";
  /** Holds clv.json, one file rewritten by each run; not a part-file folder. */
  static final String MODEL = "model";
  /** What the rails refused to remove, one {@code <destination>.jsonl} each; see Safety. */
  static final String REFUSED = "refused";
  /** One JSON line per destination: what the run's sync did there. */
  static final String SYNC_LOG = "sync-log";
  /** Copies of a previous run's outputs that this run replaces, read instead of them. */
  static final String PREVIOUS = "previous";
  static final List<String> ALL = List.of(IDENTITIES, FEATURES, SEGMENTS, SUMMARY, DEAD_LETTER,
      JUNK_IDENTIFIERS, MERGES);
  /** Part-file folders that only some runs write. */
  static final List<String> OPTIONAL = List.of(STABILITY, RESPONSE);

  private final String root;

  OutputFolders(String root) {
    this.root = root.endsWith("/") ? root : root + "/";
  }

  /** The output folder itself, e.g. {@code out/}. */
  String root() {
    return root;
  }

  /** The folder for one output, e.g. {@code out/features/}. */
  String folder(String name) {
    return root + name + "/";
  }

  /** The listing of what the rails refused to remove at {@code destination}, a prefix. */
  String refused(String destination) {
    return folder(REFUSED) + destination;
  }

  /** The {@code part-*} files left in the output folders by an earlier run. */
  List<ResourceId> earlierParts() {
    List<ResourceId> parts = new ArrayList<>();
    List<String> folders = new ArrayList<>(ALL);
    folders.addAll(OPTIONAL);
    for (String name : folders) {
      parts.addAll(match(folder(name) + "part-*", "Cannot list output folder " + folder(name)));
    }
    return parts;
  }

  /**
   * Deletes {@code part-*} files left in the output folders by an earlier run, and its
   * listings of refused removals (a run writes one only when it refuses).
   */
  void removeEarlierParts() {
    List<ResourceId> stale = earlierParts();
    stale.addAll(match(folder(REFUSED) + "*.jsonl", "Cannot list " + folder(REFUSED)));
    if (stale.isEmpty()) {
      return;
    }
    try {
      FileSystems.delete(stale, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      LOG.info("Removed {} part files of an earlier run under {}", stale.size(), root);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot remove earlier output under " + root, e);
    }
  }

  /**
   * The pattern to read a previous run's {@code name} output from ({@code --previousSegments},
   * {@code --previousIdentities}): {@code pattern} itself, unless it matches part files that
   * this run replaces (the same {@code --output}). Those are copied to
   * {@code previous/<name>/} first, replacing what an earlier copy left there, and read from
   * there: readers expand their patterns while the run writes, after the old parts are gone.
   */
  @Nullable String keepIfReplaced(@Nullable String pattern, String name) {
    if (pattern == null || pattern.isBlank()) {
      return pattern;
    }
    // the previous-run readers read a folder ending in '/' as its part files
    String files = pattern.endsWith("/") ? pattern + "part-*" : pattern;
    List<ResourceId> matched = match(files, "Cannot list " + pattern);
    Set<String> replaced = new HashSet<>();
    earlierParts().forEach(part -> replaced.add(part.toString()));
    if (matched.stream().noneMatch(file -> replaced.contains(file.toString()))) {
      return pattern;
    }
    String copy = root + PREVIOUS + "/" + name + "/";
    List<ResourceId> destinations = new ArrayList<>();
    for (int i = 0; i < matched.size(); i++) {
      destinations.add(FileSystems.matchNewResource(copy + String.format(
          "part-%05d-of-%05d.jsonl", i, matched.size()), false));
    }
    try {
      FileSystems.delete(match(copy + "part-*", "Cannot list " + copy),
          MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      FileSystems.copy(matched, destinations);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot copy " + pattern + " to " + copy
          + " before this run replaces it", e);
    }
    LOG.info("{} is output of this run's folder too: its {} files were copied to {}, which "
        + "the run reads instead", pattern, matched.size(), copy);
    return copy;
  }

  private static List<ResourceId> match(String pattern, String failure) {
    try {
      MatchResult match = FileSystems.match(pattern, EmptyMatchTreatment.ALLOW);
      List<ResourceId> files = new ArrayList<>();
      if (match.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata m : match.metadata()) {
          files.add(m.resourceId());
        }
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(failure, e);
    }
  }
}
