package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.grouping.EncodedBatches;
import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.progress.ProgressLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.ReadableFileCoder;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.range.OffsetRange;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * Reads records of one kind from JSON Lines and CSV files and checks them; the engine behind
 * {@link ReadCustomerEvents} and {@link ReadProfileAttributes}.
 *
 * <p>Steps: match the files (a pattern that matches nothing is an error); read JSON Lines
 * with {@link BoundedLineReader} (large uncompressed files in ranges, as TextIO would; no line
 * is held past the limit) and CSV per file; parse and check each line;
 * drop duplicates of (source, id), keeping the smallest raw line so that every runner keeps
 * the same one. Every line read leaves as a record or as a dead letter (or, through a
 * mapping's {@code keep} filter, as a count of records_skipped); a kept record also
 * leaves a dead letter per unreadable consent value it was read despite (counter
 * consent_values_unreadable).
 */
final class ReadRecords<T> extends PTransform<PBegin, ReadResult<T>> {
  /** Default of the readers' {@code withDuplicateGroups}. */
  static final int DEFAULT_DUPLICATE_GROUPS = 64;
  /** Uncompressed files are read in ranges of this size, as TextIO does. */
  static final long RANGE_BYTES = 64L << 20;

  private final String filepattern;
  private final FileFormat format;
  private final int groups;
  private final boolean deadLettersInBand;
  private final LineParser<T> lineParser;
  private final RecordParser<T> parser;
  private final Coder<T> coder;
  private final Coder<T> fastCoder;
  private final String stepPrefix;
  private final String metricsNamespace;

  static String checkFilepattern(String filepattern, String transform) {
    if (filepattern == null || filepattern.isBlank()) {
      throw new IllegalArgumentException(transform + " needs a file pattern, got '"
          + filepattern + "'");
    }
    return filepattern;
  }

  static int checkGroups(int groups) {
    if (groups < 1 || groups > 1_000_000) {
      throw new IllegalArgumentException("duplicate groups must be in [1, 1000000], got "
          + groups);
    }
    return groups;
  }

  static int checkMaxLineBytes(int maxLineBytes) {
    if (maxLineBytes < 16) {
      throw new IllegalArgumentException("maxLineBytes must be at least 16, got "
          + maxLineBytes);
    }
    return maxLineBytes;
  }

  static FileFormat checkFormat(FileFormat format) {
    if (format == null) {
      throw new IllegalArgumentException("format must not be null");
    }
    return format;
  }

  /**
   * {@code coder} is the output's (a schema coder); {@code fastCoder} the hand-written one the
   * records are shuffled and materialized with on the way.
   */
  ReadRecords(String filepattern, FileFormat format, int maxLineBytes, int maxIdentifiers,
      int groups, boolean deadLettersInBand, RecordParser<T> parser, Coder<T> coder,
      Coder<T> fastCoder, String stepPrefix, String metricsNamespace) {
    this.groups = groups;
    this.deadLettersInBand = deadLettersInBand;
    this.filepattern = filepattern;
    this.format = format;
    this.lineParser = new LineParser<>(parser, maxLineBytes, maxIdentifiers);
    this.parser = parser;
    this.coder = coder;
    this.fastCoder = fastCoder;
    this.stepPrefix = stepPrefix;
    this.metricsNamespace = metricsNamespace;
  }

  /** The settings a source shows in the runner's UI (the readers' common options). */
  static void displaySettings(DisplayData.Builder builder, String filepattern,
      FileFormat format, int maxLineBytes, int maxIdentifiersPerRecord, int duplicateGroups) {
    builder.add(DisplayData.item("filePattern", filepattern))
        .add(DisplayData.item("format", format.toString()))
        .add(DisplayData.item("maxLineBytes", maxLineBytes))
        .add(DisplayData.item("maxIdentifiersPerRecord", maxIdentifiersPerRecord))
        .add(DisplayData.item("duplicateGroups", duplicateGroups));
  }

  @Override
  public ReadResult<T> expand(PBegin begin) {
    return deduplicated(begin.getPipeline(), parsedLines(begin));
  }

  /**
   * Several sources of one kind read as one: each is matched, read and parsed on its own
   * (steps {@code Source-1}, {@code Source-2}, ...), and their lines meet in one duplicate
   * shuffle, so that (source, id) is unique across all of them, as it is within one. They
   * must share the duplicate groups and the way dead letters leave.
   */
  static <T> PTransform<PBegin, ReadResult<T>> together(List<ReadRecords<T>> sources) {
    if (sources.isEmpty()) {
      throw new IllegalArgumentException("no source to read");
    }
    ReadRecords<T> first = sources.get(0);
    for (ReadRecords<T> source : sources) {
      if (source.groups != first.groups || source.deadLettersInBand != first.deadLettersInBand) {
        throw new IllegalArgumentException("sources read together need the same duplicate "
            + "groups and dead-letter setting; " + source.filepattern + " has " + source.groups
            + " groups and in-band dead letters " + source.deadLettersInBand + ", "
            + first.filepattern + " " + first.groups + " and " + first.deadLettersInBand);
      }
    }
    return new PTransform<>() {
      @Override
      public ReadResult<T> expand(PBegin begin) {
        List<PCollection<KV<Integer, byte[]>>> parsed = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
          ReadRecords<T> source = sources.get(i);
          parsed.add(begin.apply("Source-" + (i + 1), new PTransform<PBegin,
              PCollection<KV<Integer, byte[]>>>() {
            @Override
            public PCollection<KV<Integer, byte[]>> expand(PBegin in) {
              return source.parsedLines(in);
            }
          }));
        }
        return first.deduplicated(begin.getPipeline(), PCollectionList.of(parsed)
            .apply("AllSources", Flatten.pCollections()));
      }
    };
  }

  /**
   * {@link #together} for a reader's public transforms: {@code records} gives each source's
   * {@code ReadRecords} once the pipeline is known.
   */
  static <S, T> PTransform<PBegin, ReadResult<T>> together(List<S> sources,
      BiFunction<S, Pipeline, ReadRecords<T>> records) {
    return new PTransform<>() {
      @Override
      public ReadResult<T> expand(PBegin begin) {
        List<ReadRecords<T>> all = new ArrayList<>();
        for (S source : sources) {
          all.add(records.apply(source, begin.getPipeline()));
        }
        return begin.apply("Sources", together(all));
      }
    };
  }

  /** Every line of this source, parsed, in batches per duplicate bucket. */
  private PCollection<KV<Integer, byte[]>> parsedLines(PBegin begin) {
    KvCoder<FileIO.ReadableFile, OffsetRange> rangeCoder =
        KvCoder.of(ReadableFileCoder.of(), OffsetRange.Coder.of());
    // One shuffle spreads the work: the ranges of JSON Lines files (64 MiB of an uncompressed
    // file, a compressed file whole) and CSV files whole. The match itself is not spread:
    // its shuffle would only move file names to the step that spreads them again.
    // Each range is read and parsed in one step, whatever its format: a Flatten of one stream
    // per format before the shuffle would be a task of its own on Flink, which decodes and
    // encodes every record once more (1,000,000 events: 2.2 to 3.2 s of a 60 to 75 s run).
    // Lines cross the shuffle in batches per bucket (see EncodedBatches).
    ParsedLine.LineCoder<T> lineCoder = new ParsedLine.LineCoder<>(fastCoder);
    return begin
        .apply("MatchFiles", new MatchFiles(filepattern))
        .apply("OpenFiles", FileIO.readMatches().withCompression(Compression.AUTO))
        .apply("SplitIntoRanges", ParDo.of(new SplitIntoRangesFn(RANGE_BYTES, format)))
        .setCoder(rangeCoder)
        .apply("SpreadRanges", Reshuffle.viaRandomKey())
        .apply("ReadAndParse", ParDo.of(new ReadAndParseFn<>(format, lineParser, parser,
            stepPrefix, metricsNamespace, groups, lineCoder)))
        .setCoder(KvCoder.of(VarIntCoder.of(), ByteArrayCoder.of()));
  }

  /** One record per (source, id) of {@code parsed}, the others dead letters. */
  private ReadResult<T> deduplicated(Pipeline pipeline, PCollection<KV<Integer, byte[]>> parsed) {
    ParsedLine.LineCoder<T> lineCoder = new ParsedLine.LineCoder<>(fastCoder);
    // One output: a step with two is shipped once per output on Flink.
    PCollection<Checked<T>> checked = parsed
        .apply("GroupDuplicates", GroupByKey.create())
        .apply("Deduplicate", ParDo.of(new KeepOneFn<>(parser, lineCoder, fastCoder,
            stepPrefix + "/Deduplicate", metricsNamespace)))
        .setCoder(Checked.Coder.of(fastCoder));
    if (deadLettersInBand) {
      return new ReadResult<>(pipeline, checked);
    }
    PCollection<T> records = checked
        .apply("Records", ParDo.of(new Checked.RecordsFn<T>()))
        .setCoder(coder);
    PCollection<DeadLetter> deadLetters = checked
        .apply("DeadLetters", ParDo.of(new Checked.DeadLettersFn<T>()))
        .setCoder(SchemaCoders.of(pipeline, DeadLetter.class));
    return new ReadResult<>(pipeline, records, deadLetters);
  }


  /** Ranges of a file that are read apart: {@link BoundedLineReader} says which lines. */
  static final class SplitIntoRangesFn
      extends DoFn<FileIO.ReadableFile, KV<FileIO.ReadableFile, OffsetRange>> {
    private final long rangeBytes;
    private final FileFormat format;

    SplitIntoRangesFn(long rangeBytes, FileFormat format) {
      this.rangeBytes = rangeBytes;
      this.format = format;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file,
        OutputReceiver<KV<FileIO.ReadableFile, OffsetRange>> out) {
      if (isCsv(format, file)) {
        // A CSV record may span lines: a CSV file is read whole.
        out.output(KV.of(file, new OffsetRange(0, Long.MAX_VALUE)));
        return;
      }
      if (file.getCompression() != Compression.UNCOMPRESSED
          || !file.getMetadata().isReadSeekEfficient()) {
        // Offsets of a compressed file are not those of its lines: read it whole.
        out.output(KV.of(file, new OffsetRange(0, Long.MAX_VALUE)));
        return;
      }
      long size = file.getMetadata().sizeBytes();
      for (OffsetRange range : new OffsetRange(0, size).split(rangeBytes, 0)) {
        out.output(KV.of(file, range));
      }
    }
  }

  /**
   * Passes the lines that start in a range of a JSON Lines file to {@code out} as {@code
   * (line, null)}; a line too long to hold as {@code (its start and length,
   * LineParser.OVERSIZED)}. Not TextIO.readFiles(): it holds a whole line in memory however
   * long it is.
   */
  static void readJsonLines(FileIO.ReadableFile file, OffsetRange range, int capBytes,
      int keepChars, BiConsumer<String, String> out) throws IOException {
    long from = range.getFrom();
    long to = range.getTo();
    BoundedLineReader.Sink sink = linesTo(out);
    ReadableByteChannel channel;
    if (from == 0) {
      channel = file.open();
    } else {
      SeekableByteChannel seekable = file.openSeekable();
      seekable.position(from - 1);
      channel = seekable;
    }
    try (InputStream in = Channels.newInputStream(channel)) {
      BoundedLineReader.read(in, from, to, capBytes, keepChars, sink);
    } catch (IOException e) {
      // A compressed file is read whole, in one range: its rest is one dead letter.
      if (file.getCompression() == Compression.UNCOMPRESSED
          || !LineParser.isCorruptCompressedData(e)) {
        throw e;
      }
      out.accept(LineParser.restOf(file.getMetadata().resourceId().toString()),
          LineParser.unreadable(e));
    }
  }

  /**
   * A line reader's sink that passes each line to {@code out} as {@code (line, null)}, and a
   * line too long to hold as {@code (its start and length, LineParser.OVERSIZED)}.
   */
  static BoundedLineReader.Sink linesTo(BiConsumer<String, String> out) {
    return new BoundedLineReader.Sink() {
      @Override
      public void line(String line) {
        out.accept(line, null);
      }

      @Override
      public void oversized(String start, long bytes) {
        out.accept(LineParser.oversizedRecord(start, bytes), LineParser.OVERSIZED);
      }
    };
  }

  /** Whether {@code file} is read as CSV: so named when the format is detected. */
  static boolean isCsv(FileFormat format, FileIO.ReadableFile file) {
    return format == FileFormat.CSV || (format == FileFormat.AUTO
        && FileFormat.isCsvName(file.getMetadata().resourceId().getFilename()));
  }

  /** The file patterns' files, matched where the pattern is (not spread: see expand). */
  private static final class MatchFiles
      extends PTransform<PBegin, PCollection<MatchResult.Metadata>> {
    private final String filepattern;

    MatchFiles(String filepattern) {
      this.filepattern = filepattern;
    }

    @Override
    public PCollection<MatchResult.Metadata> expand(PBegin begin) {
      return begin
          .apply("Filepattern", Create.of(filepattern).withCoder(StringUtf8Coder.of()))
          .apply("Match", FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW)
              .withOutputParallelization(false));
    }
  }

  /**
   * Reads one range (a CSV file whole, or a range of a JSON Lines file) and parses each raw
   * line (a CSV row comes with its row as JSON) into a {@link ParsedLine} in the bucket of its
   * (source, id); a line that is rejected carries its dead letter (in the bucket of its text).
   * The lines leave in batches per bucket, the last ones when the range is read.
   * Metrics: lines_read, records_parsed, dead_lettered, consent_values_unreadable,
   * records_skipped, csv_files_malformed.
   */
  private static final class ReadAndParseFn<T>
      extends DoFn<KV<FileIO.ReadableFile, OffsetRange>, KV<Integer, byte[]>> {
    private final FileFormat format;
    private final LineParser<T> parser;
    private final RecordParser<T> keys;
    private final String source;
    private final String step;
    private final int buckets;
    private final ParsedLine.LineCoder<T> lineCoder;
    private final int capBytes;
    private final Counter linesRead;
    private final Counter recordsParsed;
    private final Counter deadLettered;
    private final Counter unreadableConsent;
    private final Counter skipped;
    private final Counter csvMalformed;
    private transient ProgressLog.Count progress;

    ReadAndParseFn(FileFormat format, LineParser<T> parser, RecordParser<T> keys, String source,
        String namespace, int buckets, ParsedLine.LineCoder<T> lineCoder) {
      this.format = format;
      this.lineCoder = lineCoder;
      this.parser = parser;
      this.keys = keys;
      this.source = source;
      this.step = source + "/Parse";
      this.buckets = buckets;
      // Lines up to the limit are parsed (and rejected there when over it) as before; past
      // it, only as much as the dead letter keeps is held.
      this.capBytes = Math.max(parser.getMaxLineBytes(), 3 * parser.keepChars());
      this.linesRead = Metrics.counter(namespace, "lines_read");
      this.recordsParsed = Metrics.counter(namespace, "records_parsed");
      this.deadLettered = Metrics.counter(namespace, "dead_lettered");
      this.unreadableConsent = Metrics.counter(namespace, "consent_values_unreadable");
      this.skipped = Metrics.counter(namespace, "records_skipped");
      this.csvMalformed = Metrics.counter(namespace, "csv_files_malformed");
    }

    @Setup
    public void setup() {
      // the lines of events and of profiles are counted apart
      progress = ProgressLog.count("lines read by " + source);
    }

    @ProcessElement
    public void process(@Element KV<FileIO.ReadableFile, OffsetRange> range,
        OutputReceiver<KV<Integer, byte[]>> out) throws IOException {
      EncodedBatches<ParsedLine<T>> batches = EncodedBatches.writer(lineCoder, buckets);
      read(range.getKey(), range.getValue(), (raw, json) -> parse(raw, json, batches, out));
      batches.flush(out::output);
    }

    private void read(FileIO.ReadableFile file, OffsetRange range,
        BiConsumer<String, String> parse) throws IOException {
      if (!isCsv(format, file)) {
        readJsonLines(file, range, capBytes, parser.keepChars(), parse);
        return;
      }
      // Malformed bytes become U+FFFD, which the parser rejects as not UTF-8.
      try (Reader reader = new InputStreamReader(Channels.newInputStream(file.open()),
          StandardCharsets.UTF_8)) {
        if (!CsvRecords.readRows(reader, file.getMetadata().resourceId().toString(),
            keys.csvMapColumns(), parser.getMaxLineBytes(), parse)) {
          csvMalformed.inc();
        }
      }
    }

    private void parse(String raw, String json, EncodedBatches<ParsedLine<T>> batches,
        OutputReceiver<KV<Integer, byte[]>> out) {
      linesRead.inc();
      progress.add(1);
      try {
        LineParser.Noted<T> parsed = parser.parseNoted(raw, json);
        if (parsed.isSkipped()) {
          skipped.inc();  // the mapping does not read this kind of record
          return;
        }
        T record = parsed.record();
        recordsParsed.inc();
        List<DeadLetter> notes = new ArrayList<>(parsed.notes().size());
        for (String note : parsed.notes()) {
          unreadableConsent.inc();
          notes.add(DeadLetter.create(step, note, parser.shorten(raw)));
        }
        batches.add(Math.floorMod(keys.duplicateKey(record).hashCode(), buckets),
            ParsedLine.parsed(raw, record, notes), out::output);
      } catch (BadRecordException e) {
        deadLettered.inc();
        batches.add(Math.floorMod(raw.hashCode(), buckets), ParsedLine.rejected(
            DeadLetter.create(step, e.getMessage(), parser.deadLetterRecord(raw, json))),
            out::output);
      }
    }
  }

  /**
   * Of the records sharing (source, id), keeps the one with the smallest raw line; passes the
   * parser's dead letters on, and the notes of the kept record (a dropped duplicate has its
   * own dead letter).
   */
  /**
   * Whether the duplicate {@code (raw, record)} is kept over {@code (otherRaw, otherRecord)}:
   * the smaller raw line; for equal raw lines (CSV rows are compared without their header,
   * which can make them different records) the smaller encoded record. So every runner keeps
   * the same one, whatever the order they arrive in.
   */
  static <T> boolean precedes(String raw, T record, String otherRaw, T otherRecord,
      Coder<T> coder) {
    int byRaw = raw.compareTo(otherRaw);
    if (byRaw != 0) {
      return byRaw < 0;
    }
    try {
      return java.util.Arrays.compareUnsigned(CoderUtils.encodeToByteArray(coder, record),
          CoderUtils.encodeToByteArray(coder, otherRecord)) < 0;
    } catch (CoderException e) {
      throw new IllegalStateException("cannot encode a record with " + coder, e);
    }
  }

  private static final class KeepOneFn<T> extends DoFn<KV<Integer, Iterable<byte[]>>,
      Checked<T>> {
    private final RecordParser<T> parser;
    private final ParsedLine.LineCoder<T> lineCoder;
    private final Coder<T> recordCoder;
    private final String step;
    private final Counter duplicates;

    KeepOneFn(RecordParser<T> parser, ParsedLine.LineCoder<T> lineCoder, Coder<T> recordCoder,
        String step, String namespace) {
      this.parser = parser;
      this.lineCoder = lineCoder;
      this.recordCoder = recordCoder;
      this.step = step;
      this.duplicates = Metrics.counter(namespace, "duplicates");
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<byte[]>> bucket,
        OutputReceiver<Checked<T>> out) {
      Map<String, ParsedLine<T>> kept = new HashMap<>();
      for (ParsedLine<T> candidate : EncodedBatches.decodeAll(lineCoder, bucket.getValue())) {
        if (candidate.rejected != null) {
          out.output(Checked.rejected(candidate.rejected));
          continue;
        }
        String key = parser.duplicateKey(candidate.record);
        ParsedLine<T> previous = kept.get(key);
        if (previous == null) {
          kept.put(key, candidate);
          continue;
        }
        ParsedLine<T> loser = candidate;
        if (precedes(candidate.raw, candidate.record, previous.raw, previous.record,
            recordCoder)) {
          kept.put(key, candidate);
          loser = previous;
        }
        duplicates.inc();
        out.output(Checked.rejected(DeadLetter.create(step,
            "duplicate (source, id): another record with the same source and id was kept",
            loser.raw)));
      }
      for (ParsedLine<T> line : kept.values()) {
        out.output(Checked.passed(line.record));
        for (DeadLetter note : line.notes) {
          out.output(Checked.rejected(note));
        }
      }
    }
  }
}
