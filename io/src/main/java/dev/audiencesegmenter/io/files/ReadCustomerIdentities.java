package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.SchemaCoders;
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
 * Reads a previous run's {@code identities/} (JSON Lines of customer_id, id_type, id_value),
 * to keep customer ids stable. This is the job's own state, not customer input: a folder that
 * matches nothing or a line that is not an identity row fails the run, naming the line, rather
 * than silently giving customers new ids.
 *
 * <pre>{@code
 * PCollection<CustomerIdentity> previous =
 *     pipeline.apply(ReadCustomerIdentities.from("out/identities/"));
 * }</pre>
 */
public final class ReadCustomerIdentities extends PTransform<PBegin,
    PCollection<CustomerIdentity>> {
  private final String filePattern;

  private ReadCustomerIdentities(String filePattern) {
    this.filePattern = filePattern;
  }

  /** {@code filePattern}: e.g. {@code out/identities/*} or a folder ending in '/'. */
  public static ReadCustomerIdentities from(String filePattern) {
    if (filePattern == null || filePattern.isBlank()) {
      throw new IllegalArgumentException("previous identities pattern must not be blank");
    }
    return new ReadCustomerIdentities(filePattern.endsWith("/") ? filePattern + "part-*"
        : filePattern);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("filePattern", filePattern));
  }

  @Override
  public PCollection<CustomerIdentity> expand(PBegin input) {
    return input
        .apply("ReadLines", TextIO.read().from(filePattern)
            .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
        .apply("Parse", ParDo.of(new ParseIdentity(filePattern)))
        .setCoder(SchemaCoders.of(input.getPipeline(), CustomerIdentity.class));
  }

  private static final class ParseIdentity extends DoFn<String, CustomerIdentity> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String pattern;

    ParseIdentity(String pattern) {
      this.pattern = pattern;
    }

    @ProcessElement
    public void process(@Element String line, OutputReceiver<CustomerIdentity> out) {
      if (line.isBlank()) {
        return;
      }
      try {
        if (JSON.readTree(line) instanceof ObjectNode row) {
          out.output(CustomerIdentity.create(JsonFields.requiredString(row, "customer_id"),
              JsonFields.requiredString(row, "id_type"),
              JsonFields.requiredString(row, "id_value")));
          return;
        }
        throw new BadRecordException("not a JSON object");
      } catch (IOException | BadRecordException e) {
        // The line itself holds identifiers (personal data): it is not put in the message.
        throw new IllegalArgumentException("Previous identities (" + pattern + ") hold a line "
            + "of " + line.length() + " characters that is not an identity row: "
            + (e instanceof BadRecordException ? e.getMessage() : "not valid JSON"));
      }
    }
  }
}
