package dev.audiencesegmenter.io.files;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.progress.ProgressLog;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Contextful;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes several schema'd PCollections as JSON Lines, each into its own folder under one root
 * (the tag's id names the folder), with one file write for all of them: the lines and files of
 * {@link WriteJsonLines} applied to each, at the cost of one write. A runner pays per step, not
 * per folder: on Flink the batch job's eight folder writes were about nine vertices each,
 * nearly half of the job's.
 *
 * <p>Files are {@code <root><folder>/part-00000-of-00004.jsonl}; a folder whose input is empty
 * still gets its empty file(s), as with {@link WriteJsonLines}. Metrics in namespace
 * {@link WriteJsonLines}: rows_written.
 *
 * <pre>{@code
 * PCollectionTuple.of(new TupleTag<>("features"), features)
 *     .and(new TupleTag<>("segments"), memberships)
 *     .apply("WriteOutputs", WriteJsonLinesFolders.under("out/"));
 * }</pre>
 */
@AutoValue
public abstract class WriteJsonLinesFolders extends PTransform<PCollectionTuple, PDone> {

  /** The root folder, always ending with {@code /}. */
  public abstract String getRoot();

  /** The number of files per folder; 0 lets the runner decide. */
  public abstract int getNumShards();

  abstract Builder toBuilder();

  /** Writes folders under {@code root} (a local path or any Beam file system URL). */
  public static WriteJsonLinesFolders under(String root) {
    if (root == null || root.isBlank()) {
      throw new IllegalArgumentException("WriteJsonLinesFolders needs a root folder, got '"
          + root + "'");
    }
    return new AutoValue_WriteJsonLinesFolders.Builder()
        .setRoot(root.endsWith("/") ? root : root + "/")
        .setNumShards(0)
        .build();
  }

  /** Number of files per folder; 0 (the default) lets the runner decide. */
  public WriteJsonLinesFolders withNumShards(int numShards) {
    if (numShards < 0) {
      throw new IllegalArgumentException("numShards must be 0 or more, got " + numShards);
    }
    return toBuilder().setNumShards(numShards).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setRoot(String root);

    abstract Builder setNumShards(int numShards);

    abstract WriteJsonLinesFolders build();
  }

  @Override
  public PDone expand(PCollectionTuple input) {
    List<String> folders = new ArrayList<>();
    PCollectionList<KV<String, String>> lines = PCollectionList.empty(input.getPipeline());
    for (Map.Entry<TupleTag<?>, PCollection<?>> entry : input.getAll().entrySet()) {
      String folder = entry.getKey().getId();
      if (folder.isBlank() || folder.contains("/") || folders.contains(folder)) {
        throw new IllegalArgumentException("WriteJsonLinesFolders needs one plain folder name "
            + "per input, got '" + folder + "'");
      }
      folders.add(folder);
      lines = lines.and(toLines(folder, entry.getValue()));
    }
    int numShards = getNumShards();
    FileIO.Write<String, KV<String, String>> write =
        FileIO.<String, KV<String, String>>writeDynamic()
            .by(KV::getKey)
            .withDestinationCoder(StringUtf8Coder.of())
            .via(Contextful.fn(KV::getValue), TextIO.sink())
            .to(getRoot())
            .withNaming(folder -> (window, pane, shards, shard, compression) ->
                partName(folder, shard, shards));
    if (numShards > 0) {
      write = write.withNumShards(numShards);
    }
    WriteFilesResult<String> written = lines
        .apply("Flatten", Flatten.pCollections())
        .apply("WriteFiles", write);
    PCollection<String> names = written.getPerDestinationOutputFilenames()
        .apply("WrittenFiles", MapElements.into(TypeDescriptors.strings())
            .via(file -> file.getKey() + "/"
                + FileSystems.matchNewResource(file.getValue(), false).getFilename()));
    // An empty name makes the set exist when no file was written. Not Combine's default
    // value: that is a side input, and the Direct runner re-runs a step waiting on a side
    // input each time any other step makes progress, here for the whole run.
    PCollectionList.of(names)
        .and(input.getPipeline().apply("NoFile", Create.of("")))
        .apply("NamesAndNoFile", Flatten.pCollections())
        .apply("AllWrittenFiles", Combine.globally(new NameSet()).withoutDefaults())
        .apply("FinishFolders", ParDo.of(new FinishFolders(getRoot(), folders, numShards)));
    return PDone.in(input.getPipeline());
  }

  private static <T> PCollection<KV<String, String>> toLines(String folder,
      PCollection<T> rows) {
    if (!rows.hasSchema()) {
      throw new IllegalArgumentException("WriteJsonLinesFolders to folder " + folder
          + " needs a PCollection with a schema, got one with coder " + rows.getCoder());
    }
    return rows
        .apply("ToJsonLines." + folder, ParDo.of(new ToFolderLine<>(folder,
            rows.getToRowFunction())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
  }

  /** {@code folder/part-SSSSS-of-NNNNN.jsonl}, as {@link WriteJsonLines} names its files. */
  static String partName(String folder, int shard, int shards) {
    return String.format("%s/part-%05d-of-%05d.jsonl", folder, shard, shards);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("root", getRoot()).withLabel("Root folder"))
        .add(DisplayData.item("numShards", getNumShards())
            .withLabel("Number of files per folder (0: the runner decides)"));
  }

  /** One element as its folder and its line. */
  private static final class ToFolderLine<T> extends DoFn<T, KV<String, String>> {
    private final String folder;
    private final SerializableFunction<T, Row> toRow;
    private final Counter written = Metrics.counter(WriteJsonLines.class, "rows_written");
    private transient ProgressLog.Count progress;

    ToFolderLine(String folder, SerializableFunction<T, Row> toRow) {
      this.folder = folder;
      this.toRow = toRow;
    }

    @Setup
    public void setup() {
      progress = ProgressLog.count("output lines written");
    }

    @ProcessElement
    public void process(@Element T element, OutputReceiver<KV<String, String>> out) {
      out.output(KV.of(folder, WriteJsonLines.toJson(toRow.apply(element))));
      written.inc();
      progress.add(1);
    }
  }

  /** The files written, as {@code folder/part-...}. */
  private static final class NameSet
      extends Combine.CombineFn<String, Set<String>, Set<String>> {
    @Override
    public Set<String> createAccumulator() {
      return new TreeSet<>();
    }

    @Override
    public Set<String> addInput(Set<String> names, String name) {
      if (!name.isEmpty()) {
        names.add(name);
      }
      return names;
    }

    @Override
    public Set<String> mergeAccumulators(Iterable<Set<String>> accumulators) {
      Set<String> all = new TreeSet<>();
      accumulators.forEach(all::addAll);
      return all;
    }

    @Override
    public Set<String> extractOutput(Set<String> names) {
      return names;
    }
  }

  /**
   * Empty files where TextIO would write them: one in a folder that got none (its input was
   * empty), and with a fixed number of shards every shard that got no line. Then removes the
   * write's temporary folder, which FileIO leaves behind (empty) where TextIO does not.
   */
  private static final class FinishFolders extends DoFn<Set<String>, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(FinishFolders.class);
    private final String root;
    private final List<String> folders;
    private final int numShards;

    FinishFolders(String root, List<String> folders, int numShards) {
      this.root = root;
      this.folders = folders;
      this.numShards = numShards;
    }

    @ProcessElement
    public void process(@Element Set<String> written) throws IOException {
      for (String folder : folders) {
        if (numShards == 0 && written.stream().anyMatch(name -> name.startsWith(folder + "/"))) {
          continue;
        }
        int shards = Math.max(1, numShards);
        for (int shard = 0; shard < shards; shard++) {
          String name = partName(folder, shard, shards);
          if (!written.contains(name)) {
            ResourceId file = FileSystems.matchNewResource(root + name, false);
            FileSystems.create(file, "text/plain").close();
          }
        }
      }
      try {
        FileSystems.delete(List.of(FileSystems.matchNewResource(root + ".temp-beam/", true)),
            MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      } catch (IOException | RuntimeException e) {
        // not empty (another write under the same root) or no folders on this file system
        LOG.debug("Temporary folder {}.temp-beam/ left in place: {}", root, e.toString());
      }
    }
  }
}
