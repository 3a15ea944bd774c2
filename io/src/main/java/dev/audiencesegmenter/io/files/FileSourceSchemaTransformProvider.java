package dev.audiencesegmenter.io.files;

import com.google.auto.value.AutoValue;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaFieldDescription;
import org.apache.beam.sdk.schemas.transforms.SchemaTransform;
import org.apache.beam.sdk.schemas.transforms.TypedSchemaTransformProvider;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The file sources for Beam YAML and the other SDKs: files to schema'd rows (under the
 * source's output name) and the rejected lines ({@code dead_letters}), configured by a row of
 * {@code file_pattern} and {@code format}. Each source is a small subclass found by
 * {@link java.util.ServiceLoader}: {@link ReadCustomerEventsSchemaTransformProvider},
 * {@link ReadProfileAttributesSchemaTransformProvider}.
 */
public abstract class FileSourceSchemaTransformProvider extends
    TypedSchemaTransformProvider<FileSourceSchemaTransformProvider.Configuration> {

  /** The settings (Beam names the row's fields {@code file_pattern} and {@code format}). */
  @DefaultSchema(AutoValueSchema.class)
  @AutoValue
  public abstract static class Configuration {
    @SchemaFieldDescription("A file pattern (glob) of JSON Lines or CSV files, .gz allowed.")
    public abstract String getFilePattern();

    @SchemaFieldDescription("auto (by file name, the default), jsonl or csv.")
    public abstract @Nullable String getFormat();

    public static Builder builder() {
      return new AutoValue_FileSourceSchemaTransformProvider_Configuration.Builder();
    }

    /** Builds a configuration. */
    @AutoValue.Builder
    public abstract static class Builder {
      public abstract Builder setFilePattern(String filePattern);

      public abstract Builder setFormat(@Nullable String format);

      public abstract Configuration build();
    }
  }

  // Beam finds the class from the direct superclass's type argument, which subclasses lack.
  @Override
  protected final Class<Configuration> configurationClass() {
    return Configuration.class;
  }

  /** The name of the records' output, e.g. {@code events}. */
  abstract String recordsName();

  /** The source reading {@code pattern} as {@code format}. */
  abstract PTransform<PBegin, ? extends ReadResult<?>> source(String pattern, FileFormat format);

  @Override
  public final List<String> inputCollectionNames() {
    return List.of();
  }

  @Override
  public final List<String> outputCollectionNames() {
    return List.of(recordsName(), "dead_letters");
  }

  @Override
  protected final SchemaTransform from(Configuration configuration) {
    String pattern = configuration.getFilePattern();
    if (pattern == null || pattern.isBlank()) {
      throw new IllegalArgumentException(identifier() + ": file_pattern must name the files, "
          + "e.g. 'data/" + recordsName() + "/*.jsonl', got nothing");
    }
    String text = configuration.getFormat() == null ? "auto" : configuration.getFormat();
    FileFormat format;
    try {
      format = FileFormat.valueOf(text.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(identifier() + ": format must be auto, jsonl or csv, "
          + "got '" + text + "'", e);
    }
    return new SourceSchemaTransform(source(pattern, format), recordsName());
  }
}
