package dev.audiencesegmenter.io.files;

import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;

/**
 * {@link ReadCustomerEvents} for Beam YAML and the other SDKs: event files to rows of the
 * {@code CustomerEvent} schema ({@code events}), ready for the segment_customers schema
 * transform, and the rejected lines ({@code dead_letters}).
 *
 * <pre>{@code
 * - type: beam:schematransform:dev.audiencesegmenter:read_customer_events:v1
 *   name: ReadEvents
 *   config: {file_pattern: "gs://bucket/events/*.jsonl.gz"}
 * }</pre>
 */
public final class ReadCustomerEventsSchemaTransformProvider
    extends FileSourceSchemaTransformProvider {
  public static final String IDENTIFIER =
      "beam:schematransform:dev.audiencesegmenter:read_customer_events:v1";

  @Override
  public String identifier() {
    return IDENTIFIER;
  }

  @Override
  public String description() {
    return "Reads customer events from JSON Lines or CSV files into rows; rejected lines are "
        + "dead letters with their reason.";
  }

  @Override
  String recordsName() {
    return "events";
  }

  @Override
  PTransform<PBegin, ? extends ReadResult<?>> source(String pattern, FileFormat format) {
    return ReadCustomerEvents.from(pattern).withFormat(format);
  }
}
