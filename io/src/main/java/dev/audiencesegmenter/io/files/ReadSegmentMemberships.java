package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.model.SegmentMembership;
import java.io.IOException;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * Reads a previous run's {@code segments/} (JSON Lines of customer_id, segment, group,
 * holdout), to measure movement between runs and response. Like the previous identities, this
 * is the job's own state: a folder that matches nothing or a line that is not a membership row
 * fails the run, naming the problem but not the line (it holds a customer id).
 *
 * <pre>{@code
 * PCollection<SegmentMembership> previous =
 *     pipeline.apply(ReadSegmentMemberships.from("out/segments/"));
 * }</pre>
 */
public final class ReadSegmentMemberships
    extends PTransform<PBegin, PCollection<SegmentMembership>> {
  private final String filePattern;

  private ReadSegmentMemberships(String filePattern) {
    this.filePattern = filePattern;
  }

  /** {@code filePattern}: e.g. {@code out/segments/*} or a folder ending in '/'. */
  public static ReadSegmentMemberships from(String filePattern) {
    if (filePattern == null || filePattern.isBlank()) {
      throw new IllegalArgumentException("previous segments pattern must not be blank");
    }
    return new ReadSegmentMemberships(filePattern.endsWith("/") ? filePattern + "part-*"
        : filePattern);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("filePattern", filePattern));
  }

  @Override
  public PCollection<SegmentMembership> expand(PBegin input) {
    return input
        .apply("ReadLines", TextIO.read().from(filePattern)
            .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
        .apply("Parse", ParDo.of(new ParseMembership(filePattern)))
        .setCoder(SchemaCoders.of(input.getPipeline(), SegmentMembership.class));
  }

  private static final class ParseMembership extends DoFn<String, SegmentMembership> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String pattern;

    ParseMembership(String pattern) {
      this.pattern = pattern;
    }

    @ProcessElement
    public void process(@Element String line, OutputReceiver<SegmentMembership> out) {
      if (line.isBlank()) {
        return;
      }
      try {
        if (JSON.readTree(line) instanceof ObjectNode row) {
          JsonNode holdout = row.get("holdout");
          if (holdout != null && !holdout.isBoolean()) {
            throw new BadRecordException("'holdout' must be true or false");
          }
          out.output(SegmentMembership.create(JsonFields.requiredString(row, "customer_id"),
              JsonFields.requiredString(row, "segment"),
              JsonFields.requiredString(row, "group"),
              holdout != null && holdout.booleanValue()));
          return;
        }
        throw new BadRecordException("not a JSON object");
      } catch (IOException | BadRecordException e) {
        throw new IllegalArgumentException("Previous segments (" + pattern + ") hold a line "
            + "of " + line.length() + " characters that is not a membership row: "
            + (e instanceof BadRecordException ? e.getMessage() : "not valid JSON"));
      }
    }
  }
}
