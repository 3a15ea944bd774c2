package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.model.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Reads records of one kind from JSON Lines and CSV files and checks them; the engine behind
 * {@link ReadCustomerEvents} and {@link ReadProfileAttributes}.
 *
 * <p>Steps: match the files (a pattern that matches nothing is an error); read JSON Lines
 * with {@link TextIO} (large files are split) and CSV per file; parse and check each line;
 * drop duplicates of (source, id), keeping the smallest raw line so that every runner keeps
 * the same one. Every line read leaves as a record or as a dead letter.
 */
final class ReadRecords<T> extends PTransform<PBegin, ReadResult<T>> {
  /** Duplicates are found per bucket of their key: few groups, each small. */
  private static final int DEDUP_BUCKETS = 64;

  private final String filepattern;
  private final FileFormat format;
  private final int maxLineBytes;
  private final RecordParser<T> parser;
  private final Coder<T> coder;
  private final String stepPrefix;
  private final String metricsNamespace;

  static String checkFilepattern(String filepattern, String transform) {
    if (filepattern == null || filepattern.isBlank()) {
      throw new IllegalArgumentException(transform + " needs a file pattern, got '"
          + filepattern + "'");
    }
    return filepattern;
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

  ReadRecords(String filepattern, FileFormat format, int maxLineBytes, RecordParser<T> parser,
      Coder<T> coder, String stepPrefix, String metricsNamespace) {
    this.filepattern = filepattern;
    this.format = format;
    this.maxLineBytes = maxLineBytes;
    this.parser = parser;
    this.coder = coder;
    this.stepPrefix = stepPrefix;
    this.metricsNamespace = metricsNamespace;
  }

  @Override
  public ReadResult<T> expand(PBegin begin) {
    TupleTag<FileIO.ReadableFile> jsonFiles = new TupleTag<>("jsonl") {};
    TupleTag<FileIO.ReadableFile> csvFiles = new TupleTag<>("csv") {};
    PCollectionTuple files = begin
        .apply("MatchFiles", FileIO.match().filepattern(filepattern)
            .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
        .apply("OpenFiles", FileIO.readMatches().withCompression(Compression.AUTO))
        .apply("SplitByFormat", ParDo.of(new SplitByFormat(format, jsonFiles, csvFiles))
            .withOutputTags(jsonFiles, TupleTagList.of(csvFiles)));

    KvCoder<String, String> rawCoder =
        KvCoder.of(StringUtf8Coder.of(), NullableCoder.of(StringUtf8Coder.of()));
    PCollection<KV<String, String>> jsonLines = files.get(jsonFiles)
        .apply("ReadJsonLines", TextIO.readFiles())
        .apply("AsRawLines", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
            .via(line -> KV.of(line, (String) null)))
        .setCoder(rawCoder);
    PCollection<KV<String, String>> csvRows = files.get(csvFiles)
        .apply("ReadCsv", ParDo.of(new CsvRecords(parser.csvMapColumns(), metricsNamespace)))
        .setCoder(rawCoder);

    TupleTag<KV<Integer, KV<String, T>>> parsed = new TupleTag<>("parsed") {};
    TupleTag<DeadLetter> rejected = new TupleTag<>("rejected") {};
    PCollectionTuple checked = PCollectionList.of(jsonLines).and(csvRows)
        .apply("AllLines", Flatten.pCollections())
        .apply("Parse", ParDo.of(new ParseFn<>(parser, maxLineBytes, stepPrefix + "/Parse",
                metricsNamespace, parsed, rejected))
            .withOutputTags(parsed, TupleTagList.of(rejected)));
    checked.get(parsed).setCoder(
        KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), coder)));
    checked.get(rejected).setCoder(
        SchemaCoders.of(begin.getPipeline(), DeadLetter.class));

    TupleTag<T> unique = new TupleTag<>("unique") {};
    TupleTag<DeadLetter> duplicates = new TupleTag<>("duplicates") {};
    PCollectionTuple deduplicated = checked.get(parsed)
        .apply("GroupDuplicates", GroupByKey.create())
        .apply("Deduplicate", ParDo.of(new KeepOneFn<>(parser, stepPrefix + "/Deduplicate",
                metricsNamespace, unique, duplicates))
            .withOutputTags(unique, TupleTagList.of(duplicates)));
    PCollection<T> records = deduplicated.get(unique).setCoder(coder);
    PCollection<DeadLetter> deadLetters = PCollectionList.of(checked.get(rejected))
        .and(deduplicated.get(duplicates).setCoder(checked.get(rejected).getCoder()))
        .apply("DeadLetters", Flatten.pCollections());
    return new ReadResult<>(begin.getPipeline(), records, deadLetters);
  }

  private static final class SplitByFormat extends DoFn<FileIO.ReadableFile,
      FileIO.ReadableFile> {
    private final FileFormat format;
    private final TupleTag<FileIO.ReadableFile> jsonl;
    private final TupleTag<FileIO.ReadableFile> csv;

    SplitByFormat(FileFormat format, TupleTag<FileIO.ReadableFile> jsonl,
        TupleTag<FileIO.ReadableFile> csv) {
      this.format = format;
      this.jsonl = jsonl;
      this.csv = csv;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, MultiOutputReceiver out) {
      boolean isCsv = format == FileFormat.CSV || (format == FileFormat.AUTO
          && FileFormat.isCsvName(file.getMetadata().resourceId().getFilename()));
      if (isCsv) {
        out.get(csv).output(file);
      } else {
        out.get(jsonl).output(file);
      }
    }
  }

  /** Checks one raw line (or CSV row, given as JSON) and parses it. */
  private static final class ParseFn<T> extends DoFn<KV<String, String>, KV<Integer,
      KV<String, T>>> {
    private static final ObjectMapper JSON = JsonMapper.builder()
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        // Keep amounts as written: 42.50 stays 42.50.
        .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
        .build();

    private final RecordParser<T> parser;
    private final int maxLineBytes;
    private final String step;
    private final TupleTag<KV<Integer, KV<String, T>>> parsedTag;
    private final TupleTag<DeadLetter> rejectedTag;
    private final Counter linesRead;
    private final Counter recordsParsed;
    private final Counter deadLettered;

    ParseFn(RecordParser<T> parser, int maxLineBytes, String step, String namespace,
        TupleTag<KV<Integer, KV<String, T>>> parsedTag, TupleTag<DeadLetter> rejectedTag) {
      this.parser = parser;
      this.maxLineBytes = maxLineBytes;
      this.step = step;
      this.parsedTag = parsedTag;
      this.rejectedTag = rejectedTag;
      this.linesRead = Metrics.counter(namespace, "lines_read");
      this.recordsParsed = Metrics.counter(namespace, "records_parsed");
      this.deadLettered = Metrics.counter(namespace, "dead_lettered");
    }

    @ProcessElement
    public void process(@Element KV<String, String> line, MultiOutputReceiver out) {
      linesRead.inc();
      String raw = line.getKey();
      try {
        T record = parser.parse(check(raw, line.getValue()));
        recordsParsed.inc();
        String key = parser.duplicateKey(record);
        out.get(parsedTag).output(
            KV.of(Math.floorMod(key.hashCode(), DEDUP_BUCKETS), KV.of(raw, record)));
      } catch (BadRecordException e) {
        deadLettered.inc();
        out.get(rejectedTag).output(DeadLetter.create(step, e.getMessage(), shorten(raw)));
      }
    }

    private ObjectNode check(String raw, String csvAsJson) throws BadRecordException {
      return checkLine(raw, csvAsJson, maxLineBytes);
    }

    private String shorten(String raw) {
      return shortenLine(raw, maxLineBytes);
    }
  }

  /**
   * Checks one raw line (or CSV row, given as JSON) and reads it as a JSON object; shared with
   * {@link LocalRecords}, so both readers reject the same lines for the same reasons.
   */
  static ObjectNode checkLine(String raw, String csvAsJson, int maxLineBytes)
      throws BadRecordException {
    if (raw.isBlank()) {
      throw new BadRecordException("empty line");
    }
    // Worst case 3 bytes per char: count bytes only for lines that may be too long.
    if ((long) raw.length() * 3 > maxLineBytes
        && raw.getBytes(StandardCharsets.UTF_8).length > maxLineBytes) {
      throw new BadRecordException("line longer than " + maxLineBytes + " bytes");
    }
    if (raw.indexOf('\uFFFD') >= 0) {
      throw new BadRecordException("not valid UTF-8 (undecodable bytes)");
    }
    JsonNode json;
    try {
      json = ParseFn.JSON.readTree(csvAsJson != null ? csvAsJson : raw);
    } catch (JsonProcessingException e) {
      throw new BadRecordException("invalid JSON: " + e.getOriginalMessage());
    }
    if (json == null || !json.isObject()) {
      throw new BadRecordException("invalid JSON: a line must be one JSON object");
    }
    if (json.has("__csv_error")) {
      throw new BadRecordException("malformed CSV: " + json.get("__csv_error").asText());
    }
    return (ObjectNode) json;
  }

  /** Oversized lines are kept in the dead letters in part, with their length. */
  static String shortenLine(String raw, int maxLineBytes) {
    int limit = Math.max(1024, Math.min(maxLineBytes, 64 * 1024));
    return raw.length() <= limit ? raw
        : raw.substring(0, limit) + "... [" + raw.length() + " characters]";
  }

  /** Of the records sharing (source, id), keeps the one with the smallest raw line. */
  private static final class KeepOneFn<T> extends DoFn<KV<Integer, Iterable<KV<String, T>>>,
      T> {
    private final RecordParser<T> parser;
    private final String step;
    private final TupleTag<T> uniqueTag;
    private final TupleTag<DeadLetter> duplicateTag;
    private final Counter duplicates;

    KeepOneFn(RecordParser<T> parser, String step, String namespace, TupleTag<T> uniqueTag,
        TupleTag<DeadLetter> duplicateTag) {
      this.parser = parser;
      this.step = step;
      this.uniqueTag = uniqueTag;
      this.duplicateTag = duplicateTag;
      this.duplicates = Metrics.counter(namespace, "duplicates");
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<String, T>>> bucket,
        MultiOutputReceiver out) {
      Map<String, KV<String, T>> kept = new HashMap<>();
      for (KV<String, T> candidate : bucket.getValue()) {
        String key = parser.duplicateKey(candidate.getValue());
        KV<String, T> previous = kept.get(key);
        if (previous == null) {
          kept.put(key, candidate);
          continue;
        }
        KV<String, T> loser = candidate;
        if (candidate.getKey().compareTo(previous.getKey()) < 0) {
          kept.put(key, candidate);
          loser = previous;
        }
        duplicates.inc();
        out.get(duplicateTag).output(DeadLetter.create(step,
            "duplicate (source, id): another record with the same source and id was kept",
            loser.getKey()));
      }
      for (KV<String, T> record : kept.values()) {
        out.get(uniqueTag).output(record.getValue());
      }
    }
  }
}
