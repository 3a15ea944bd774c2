package dev.audiencesegmenter.io.files;

import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;

/**
 * {@link ReadProfileAttributes} for Beam YAML and the other SDKs: profile files (CRM exports)
 * to rows of the {@code ProfileAttributes} schema ({@code profiles}), the segment_customers
 * schema transform's optional input, and the rejected lines ({@code dead_letters}).
 *
 * <pre>{@code
 * - type: beam:schematransform:dev.audiencesegmenter:read_profile_attributes:v1
 *   name: ReadProfiles
 *   config: {file_pattern: "gs://bucket/profiles/*.csv", format: csv}
 * }</pre>
 */
public final class ReadProfileAttributesSchemaTransformProvider
    extends FileSourceSchemaTransformProvider {
  public static final String IDENTIFIER =
      "beam:schematransform:dev.audiencesegmenter:read_profile_attributes:v1";

  @Override
  public String identifier() {
    return IDENTIFIER;
  }

  @Override
  public String description() {
    return "Reads customer profiles (CRM exports) from JSON Lines or CSV files into rows; "
        + "rejected lines are dead letters with their reason.";
  }

  @Override
  String recordsName() {
    return "profiles";
  }

  @Override
  PTransform<PBegin, ? extends ReadResult<?>> source(String pattern, FileFormat format) {
    return ReadProfileAttributes.from(pattern).withFormat(format);
  }
}
