package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.SchemaCoders;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Parses raw JSON lines that arrive from elsewhere than files (Kafka record values, say) with
 * the same checks and dead-letter reasons as the file readers. Unlike them it does not drop
 * duplicates of (source, id): that needs every record at once. Element timestamps are kept.
 * Metrics in the given namespace: lines_read, records_parsed, dead_lettered.
 *
 * <pre>{@code
 * ReadResult<CustomerEvent> events = jsonLines.apply(ParseLines.customerEvents(
 *     LineParser.customerEvents(1 << 20), "ReadEventsFromKafka/Parse", "ReadFromKafka"));
 * }</pre>
 */
public final class ParseLines<T> extends PTransform<PCollection<String>, ReadResult<T>> {
  private final LineParser<T> parser;
  private final Class<T> type;
  private final String deadLetterStep;
  private final String metricsNamespace;

  private final boolean deadLettersInBand;

  private ParseLines(LineParser<T> parser, Class<T> type, String deadLetterStep,
      String metricsNamespace) {
    this(parser, type, deadLetterStep, metricsNamespace, false);
  }

  private ParseLines(LineParser<T> parser, Class<T> type, String deadLetterStep,
      String metricsNamespace, boolean deadLettersInBand) {
    this.parser = parser;
    this.type = type;
    this.deadLetterStep = deadLetterStep;
    this.metricsNamespace = metricsNamespace;
    this.deadLettersInBand = deadLettersInBand;
  }

  /** Records and rejected lines in one stream ({@link ReadResult#getChecked}). */
  public ParseLines<T> withDeadLettersInBand() {
    return new ParseLines<>(parser, type, deadLetterStep, metricsNamespace, true);
  }

  /**
   * Customer events; dead letters name {@code deadLetterStep} (e.g. {@code
   * ReadEventsFromKafka/Parse}).
   */
  public static ParseLines<CustomerEvent> customerEvents(LineParser<CustomerEvent> parser,
      String deadLetterStep, String metricsNamespace) {
    checkSettings(parser, deadLetterStep, metricsNamespace);
    return new ParseLines<>(parser, CustomerEvent.class, deadLetterStep, metricsNamespace);
  }

  /**
   * Profile attributes (rows of a database table rendered as JSON, say); dead letters name
   * {@code deadLetterStep}.
   */
  public static ParseLines<ProfileAttributes> profiles(LineParser<ProfileAttributes> parser,
      String deadLetterStep, String metricsNamespace) {
    checkSettings(parser, deadLetterStep, metricsNamespace);
    return new ParseLines<>(parser, ProfileAttributes.class, deadLetterStep, metricsNamespace);
  }

  private static void checkSettings(LineParser<?> parser, String deadLetterStep,
      String metricsNamespace) {
    if (parser == null) {
      throw new IllegalArgumentException("ParseLines needs a parser, got null");
    }
    if (deadLetterStep == null || deadLetterStep.isBlank()) {
      throw new IllegalArgumentException("ParseLines needs a step name for its dead letters, "
          + "got '" + deadLetterStep + "'");
    }
    if (metricsNamespace == null || metricsNamespace.isBlank()) {
      throw new IllegalArgumentException("ParseLines needs a metrics namespace, got '"
          + metricsNamespace + "'");
    }
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("type", type.getSimpleName()))
        .add(DisplayData.item("deadLetterStep", deadLetterStep))
        .add(DisplayData.item("deadLettersInBand", deadLettersInBand));
  }

  @Override
  public ReadResult<T> expand(PCollection<String> lines) {
    Coder<T> coder = SchemaCoders.of(lines.getPipeline(), type);
    TupleTag<KV<String, T>> parsed = new TupleTag<>("parsed") {};
    TupleTag<DeadLetter> rejected = new TupleTag<>("rejected") {};
    PCollectionTuple checked = lines
        .apply("AsRawLines", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.strings()))
            .via(line -> KV.of(line, (String) null)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), NullableCoder.of(StringUtf8Coder.of())))
        .apply("Parse", ParDo.of(new ParseLineFn<>(parser, deadLetterStep, metricsNamespace,
                parsed, rejected))
            .withOutputTags(parsed, TupleTagList.of(rejected)));
    PCollection<T> records = checked.get(parsed)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), coder))
        .apply("Records", Values.create())
        .setCoder(coder);
    PCollection<DeadLetter> deadLetters = checked.get(rejected)
        .setCoder(SchemaCoders.of(lines.getPipeline(), DeadLetter.class));
    if (!deadLettersInBand) {
      return new ReadResult<>(lines.getPipeline(), records, deadLetters);
    }
    Checked.Coder<T> checkedCoder = Checked.Coder.of(coder);
    return new ReadResult<>(lines.getPipeline(), PCollectionList
        .of(records.apply("Passed", ParDo.of(new PassedFn<T>())).setCoder(checkedCoder))
        .and(deadLetters.apply("Rejected", ParDo.of(new RejectedFn<T>()))
            .setCoder(checkedCoder))
        .apply("InBand", Flatten.pCollections()));
  }

  private static final class PassedFn<T> extends DoFn<T, Checked<T>> {
    @ProcessElement
    public void process(@Element T record, OutputReceiver<Checked<T>> out) {
      out.output(Checked.passed(record));
    }
  }

  private static final class RejectedFn<T> extends DoFn<DeadLetter, Checked<T>> {
    @ProcessElement
    public void process(@Element DeadLetter reject, OutputReceiver<Checked<T>> out) {
      out.output(Checked.rejected(reject));
    }
  }
}
