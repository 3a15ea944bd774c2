package dev.audiencesegmenter.io.sink;

import dev.audiencesegmenter.model.DeadLetter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.grouping.CoGroupInBuckets;
import dev.audiencesegmenter.io.files.WriteJsonLines;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The sync state folder, {@code <output>/sync-state/}: JSON Lines of {@link SyncStateEntry},
 * written as a fixed number of {@code part-SSSSS-of-NNNNN.jsonl} files so that a new state
 * replaces the old one file by file. Keep the shard count fixed for a folder (changing it leaves
 * the old files behind: empty the folder first). A missing or empty folder is an empty state
 * (the first sync sends everyone).
 *
 * <pre>{@code
 * String state = output + "/sync-state/hubspot";
 * PCollection<SyncStateEntry> previous = pipeline.apply("ReadState", SyncState.read(state));
 * DeltaSync.Result delta = DeltaSync.inputs(updates, previous).apply(DeltaSync.create());
 * SendContactUpdates.Result sent = delta.getChanges().apply(hubspot.sink());
 * SyncState.commitInputs(delta.getNewState(), previous, sent).apply(SyncState.commit(state));
 * }</pre>
 */
public final class SyncState {
  public static final int DEFAULT_SHARDS = 4;
  /** A commit's input: the state after the sync. */
  public static final TupleTag<SyncStateEntry> NEW_STATE = new TupleTag<>() {};
  /** A commit's input: the state before it, kept for customers the sink dead-lettered. */
  public static final TupleTag<SyncStateEntry> PREVIOUS_STATE = new TupleTag<>() {};
  /** A commit's input: the keys the sink sent ({@link SendContactUpdates.Result}). */
  public static final TupleTag<String> SENT_KEYS = new TupleTag<>() {};
  /** A commit's input: the keys the sink failed to deliver. */
  public static final TupleTag<String> FAILED_KEYS = new TupleTag<>() {};
  /** A commit's input: the sink's dead letters (the commit waits for them too). */
  public static final TupleTag<DeadLetter> SEND_DEAD_LETTERS = new TupleTag<>() {};

  private SyncState() {}

  /** Reads every {@code *.jsonl} of {@code folder}; a malformed line fails the run. */
  public static PTransform<PBegin, PCollection<SyncStateEntry>> read(String folder) {
    String dir = checkFolder(folder);
    return new PTransform<>() {
      @Override
      public PCollection<SyncStateEntry> expand(PBegin begin) {
        return begin
            .apply("ReadStateLines", TextIO.read().from(dir + "*.jsonl")
                .withEmptyMatchTreatment(EmptyMatchTreatment.ALLOW))
            .apply("ParseState", MapElements.into(TypeDescriptor.of(SyncStateEntry.class))
                .via(SyncState::parse));
      }
    };
  }

  static SyncStateEntry parse(String line) {
    JsonNode node = Json.parse(line);
    if (node == null || !node.hasNonNull("key") || !node.hasNonNull("payload_hash")) {
      throw new IllegalArgumentException("Not a sync state line: "
          + HttpStatusRules.cut(line.length() > 200 ? line.substring(0, 200) : line));
    }
    List<String> segments = new ArrayList<>();
    node.path("segments").forEach(segment -> segments.add(segment.asText()));
    return SyncStateEntry.create(node.get("key").asText(), node.get("payload_hash").asText(),
        segments, node.hasNonNull("email") ? node.get("email").asText() : null,
        node.hasNonNull("phone") ? node.get("phone").asText() : null,
        node.path("withdrawn").asBoolean(false), node.path("sms_withdrawn").asBoolean(false),
        node.path("push_withdrawn").asBoolean(false));
  }

  /**
   * Writes the state after a sync: the new entry of every customer, except those the sink
   * dead-lettered, who keep their previous entry (or none), so that the next run sends them
   * again. Runs once the sink has finished.
   */
  /**
   * A commit's input: the state after the sync ({@code next}), the state before it, and what
   * the sink did ({@code sync}).
   */
  public static PCollectionTuple commitInputs(PCollection<SyncStateEntry> next,
      PCollection<SyncStateEntry> previous, SendContactUpdates.Result sync) {
    if (next == null || previous == null || sync == null) {
      throw new IllegalArgumentException("A sync state commit needs the new state, the previous "
          + "state and the sink's result, got " + next + ", " + previous + " and " + sync);
    }
    return PCollectionTuple.of(NEW_STATE, next).and(PREVIOUS_STATE, previous)
        .and(SENT_KEYS, sync.getSentKeys()).and(FAILED_KEYS, sync.getFailedKeys())
        .and(SEND_DEAD_LETTERS, sync.getDeadLetters());
  }

  /** Writes {@link #commitInputs} to {@code folder}, in {@value #DEFAULT_SHARDS} files. */
  public static PTransform<PCollectionTuple, WriteFilesResult<Void>> commit(String folder) {
    return commit(folder, DEFAULT_SHARDS);
  }

  public static PTransform<PCollectionTuple, WriteFilesResult<Void>> commit(String folder,
      int shards) {
    String dir = checkFolder(folder);
    if (shards < 1) {
      throw new IllegalArgumentException("State shards must be at least 1, got " + shards);
    }
    return new PTransform<>() {
      @Override
      public WriteFilesResult<Void> expand(PCollectionTuple input) {
        return mergeAfterSync(input)
            .apply("WriteState", WriteJsonLines.<SyncStateEntry>to(dir).withNumShards(shards));
      }
    };
  }

  /**
   * The state to keep once the sink has finished: the new state, except the previous entry (or
   * none) for customers the sink dead-lettered.
   */
  static PCollection<SyncStateEntry> mergeAfterSync(PCollectionTuple input) {
    for (TupleTag<?> tag : List.of(NEW_STATE, PREVIOUS_STATE, SENT_KEYS, FAILED_KEYS,
        SEND_DEAD_LETTERS)) {
      if (!input.has(tag)) {
        throw new IllegalArgumentException("A sync state commit's input is "
            + "SyncState.commitInputs(next, previous, sentResult); got "
            + input.getAll().keySet());
      }
    }
    PCollection<SyncStateEntry> next = input.get(NEW_STATE);
    PCollection<SyncStateEntry> previous = input.get(PREVIOUS_STATE);
    TupleTag<SyncStateEntry> nextTag = new TupleTag<>("next");
    TupleTag<SyncStateEntry> previousTag = new TupleTag<>("previous");
    TupleTag<String> failedTag = new TupleTag<>("failed");
    PCollection<KV<String, String>> failed = input.get(FAILED_KEYS)
        .apply("KeyFailed", WithKeys.of((String key) -> key)
            .withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    return KeyedPCollectionTuple
        .of(nextTag, keyed(next, "KeyNext"))
        .and(previousTag, keyed(previous, "KeyPreviousState"))
        .and(failedTag, failed)
        .apply("JoinWithFailures", CoGroupInBuckets.of(CoGroupInBuckets.DEFAULT_BUCKETS))
        .apply("KeepPreviousForFailures",
            ParDo.of(new KeepPreviousForFailures(nextTag, previousTag, failedTag)))
        .setCoder(next.getCoder())
        .apply("AfterSync", Wait.on(input.get(SENT_KEYS), input.get(SEND_DEAD_LETTERS)))
        .setCoder(next.getCoder());
  }

  /** The next entry, or the previous one for a customer the sink dead-lettered. */
  private static final class KeepPreviousForFailures
      extends DoFn<KV<String, CoGbkResult>, SyncStateEntry> {
    private final TupleTag<SyncStateEntry> nextTag;
    private final TupleTag<SyncStateEntry> previousTag;
    private final TupleTag<String> failedTag;

    KeepPreviousForFailures(TupleTag<SyncStateEntry> nextTag,
        TupleTag<SyncStateEntry> previousTag, TupleTag<String> failedTag) {
      this.nextTag = nextTag;
      this.previousTag = previousTag;
      this.failedTag = failedTag;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> joined,
        OutputReceiver<SyncStateEntry> out) {
      boolean failedNow = joined.getValue().getAll(failedTag).iterator().hasNext();
      Iterator<SyncStateEntry> chosen = joined.getValue()
          .getAll(failedNow ? previousTag : nextTag).iterator();
      if (chosen.hasNext()) {
        out.output(chosen.next());
      }
    }
  }

  private static PCollection<KV<String, SyncStateEntry>> keyed(
      PCollection<SyncStateEntry> entries, String name) {
    return entries.apply(name, WithKeys.of(SyncStateEntry::getKey)
            .withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), entries.getCoder()));
  }

  private static String checkFolder(String folder) {
    if (folder == null || folder.isBlank()) {
      throw new IllegalArgumentException("Sync state needs a folder, got '" + folder + "'");
    }
    return folder.endsWith("/") ? folder : folder + "/";
  }
}
