package dev.audiencesegmenter.pipelines;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
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
  static final List<String> ALL = List.of(IDENTITIES, FEATURES, SEGMENTS, SUMMARY, DEAD_LETTER,
      JUNK_IDENTIFIERS, MERGES);
  /** Part-file folders that only some runs write. */
  static final List<String> OPTIONAL = List.of(STABILITY, RESPONSE);

  private final String root;

  OutputFolders(String root) {
    this.root = root.endsWith("/") ? root : root + "/";
  }

  /** The folder for one output, e.g. {@code out/features/}. */
  String folder(String name) {
    return root + name + "/";
  }

  /** Deletes {@code part-*} files left in the output folders by an earlier run. */
  void removeEarlierParts() {
    List<ResourceId> stale = new ArrayList<>();
    List<String> folders = new ArrayList<>(ALL);
    folders.addAll(OPTIONAL);
    for (String name : folders) {
      try {
        MatchResult match = FileSystems.match(folder(name) + "part-*", EmptyMatchTreatment.ALLOW);
        if (match.status() == MatchResult.Status.OK) {
          for (MatchResult.Metadata m : match.metadata()) {
            stale.add(m.resourceId());
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot list output folder " + folder(name), e);
      }
    }
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
}
