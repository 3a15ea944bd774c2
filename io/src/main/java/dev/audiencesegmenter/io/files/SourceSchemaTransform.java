package dev.audiencesegmenter.io.files;

import org.apache.beam.sdk.schemas.transforms.Convert;
import org.apache.beam.sdk.schemas.transforms.SchemaTransform;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollectionRowTuple;

/**
 * A source of the project ({@link ReadResult}: records and dead letters) as a schema transform:
 * the records as rows under {@code recordsName}, the dead letters as rows under
 * {@code dead_letters}. What the file and Kafka source providers build.
 *
 * <pre>{@code
 * PCollectionRowTuple read = PCollectionRowTuple.empty(pipeline).apply("ReadEvents",
 *     new SourceSchemaTransform(ReadCustomerEvents.from("data/events/*.jsonl"), "events"));
 * read.get("events");        // rows of the CustomerEvent schema
 * read.get("dead_letters");  // rows of the DeadLetter schema
 * }</pre>
 */
public final class SourceSchemaTransform extends SchemaTransform {
  private final PTransform<PBegin, ? extends ReadResult<?>> source;
  private final String recordsName;

  public SourceSchemaTransform(PTransform<PBegin, ? extends ReadResult<?>> source,
      String recordsName) {
    this.source = source;
    this.recordsName = recordsName;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.include("source", source);
  }

  @Override
  public PCollectionRowTuple expand(PCollectionRowTuple input) {
    ReadResult<?> result = PBegin.in(input.getPipeline()).apply("Read", source);
    return PCollectionRowTuple
        .of(recordsName, result.getRecords().apply("RecordRows", Convert.toRows()))
        .and("dead_letters", result.getDeadLetters().apply("DeadLetterRows",
            Convert.toRows()));
  }
}
