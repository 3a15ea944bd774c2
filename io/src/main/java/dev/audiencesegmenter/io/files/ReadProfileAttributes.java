package dev.audiencesegmenter.io.files;

import java.util.List;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.SchemaCoders;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Reads profile attributes from JSON Lines or CSV files (data-formats.md in the README): a file
 * pattern such as {@code data/*.jsonl} or {@code gs://bucket/in/*}, compressed files
 * ({@code .gz}, ...) included. Each line that cannot be used goes to
 * {@link ReadResult#getDeadLetters()} with the reason and the raw line, and the run goes on:
 * invalid JSON, a missing required field, an unparseable or absurd time, no identifier, a
 * value of the wrong type, an empty line, undecodable UTF-8, a line over
 * {@link #getMaxLineBytes()}, a duplicate (source, id) (one is kept: the smallest raw line),
 * and absurd values. Metrics in namespace {@code ReadProfileAttributes}: lines_read, records_parsed,
 * dead_lettered, duplicates.
 *
 * <pre>{@code
 * ReadResult<ProfileAttributes> read = pipeline.apply(ReadProfileAttributes.from("data/*.jsonl"));
 * }</pre>
 */
@AutoValue
public abstract class ReadProfileAttributes extends PTransform<PBegin, ReadResult<ProfileAttributes>> {
  public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

  public abstract String getFilepattern();

  public abstract FileFormat getFormat();

  public abstract int getMaxLineBytes();

  public abstract int getMaxIdentifiersPerRecord();

  public abstract int getDuplicateGroups();

  public abstract boolean getDeadLettersInBand();

  /** The tool's format the files are in, or null for the native format. */
  public abstract @Nullable SourceMapping getMapping();

  abstract Builder toBuilder();

  /** Reads the files matching {@code filepattern}; matching no file is an error. */
  public static ReadProfileAttributes from(String filepattern) {
    return new AutoValue_ReadProfileAttributes.Builder()
        .setFilepattern(ReadRecords.checkFilepattern(filepattern, "ReadProfileAttributes"))
        .setFormat(FileFormat.AUTO)
        .setMaxLineBytes(DEFAULT_MAX_LINE_BYTES)
        .setMaxIdentifiersPerRecord(LineParser.DEFAULT_MAX_IDENTIFIERS)
        .setDuplicateGroups(ReadRecords.DEFAULT_DUPLICATE_GROUPS)
        .setDeadLettersInBand(false)
        .build();
  }

  /** JSONL, CSV, or AUTO (by file name: *.csv and *.csv.gz are CSV). */
  public ReadProfileAttributes withFormat(FileFormat format) {
    return toBuilder().setFormat(ReadRecords.checkFormat(format)).build();
  }

  /** Lines longer than this many bytes are rejected (default 1 MiB). */
  public ReadProfileAttributes withMaxLineBytes(int maxLineBytes) {
    return toBuilder().setMaxLineBytes(ReadRecords.checkMaxLineBytes(maxLineBytes)).build();
  }

  /**
   * Records with more identifiers than this are rejected (default 50): all of a record's
   * identifiers become one customer, and the distributed identity graph pairs them.
   */
  public ReadProfileAttributes withMaxIdentifiersPerRecord(int maxIdentifiers) {
    return toBuilder().setMaxIdentifiersPerRecord(LineParser.checkMaxIdentifiers(maxIdentifiers))
        .build();
  }

  /**
   * Duplicates are looked for in this many groups (a hash of source and id; default 64): a
   * worker holds one group's records at a time, and the Direct runner cuts one bundle per group.
   * Raise it for tens of millions of records.
   */
  public ReadProfileAttributes withDuplicateGroups(int groups) {
    return toBuilder().setDuplicateGroups(ReadRecords.checkGroups(groups)).build();
  }

  /**
   * Records and rejected lines in one stream ({@link ReadResult#getChecked}), for flows that
   * carry rejects along to where they are written: no second output to ship.
   */
  public ReadProfileAttributes withDeadLettersInBand() {
    return toBuilder().setDeadLettersInBand(true).build();
  }

  /**
   * Reads the files as another tool's export, through {@code mapping} (a built-in format from
   * {@link dev.audiencesegmenter.io.sources.BuiltInFormats} or a mapping file read with
   * {@link dev.audiencesegmenter.io.sources.MappingFiles}); it must map profiles.
   */
  public ReadProfileAttributes withMapping(SourceMapping mapping) {
    if (mapping == null) {
      throw new IllegalArgumentException("mapping must not be null");
    }
    MappedEventParser.requireKind(mapping, SourceMapping.Kind.PROFILES);
    return toBuilder().setMapping(mapping).build();
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setFilepattern(String filepattern);

    abstract Builder setFormat(FileFormat format);

    abstract Builder setMaxLineBytes(int maxLineBytes);

    abstract Builder setMaxIdentifiersPerRecord(int maxIdentifiers);

    abstract Builder setDuplicateGroups(int groups);

    abstract Builder setDeadLettersInBand(boolean inBand);

    abstract Builder setMapping(@Nullable SourceMapping mapping);

    abstract ReadProfileAttributes build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    ReadRecords.displaySettings(builder, getFilepattern(), getFormat(), getMaxLineBytes(),
        getMaxIdentifiersPerRecord(), getDuplicateGroups());
    builder.addIfNotNull(DisplayData.item("mapping",
        getMapping() == null ? null : getMapping().getName()));
  }

  @Override
  public ReadResult<ProfileAttributes> expand(PBegin begin) {
    return begin.apply(records(begin.getPipeline()));
  }

  /**
   * Several profiles sources read as one: each is read and parsed as it would be alone, and a
   * record whose (source, id) another source also holds is dropped as a duplicate, as within
   * one source (the smallest raw line is kept). The sources must share their duplicate groups
   * and dead-letter setting.
   */
  public static PTransform<PBegin, ReadResult<ProfileAttributes>> all(List<ReadProfileAttributes> sources) {
    return ReadRecords.together(sources, ReadProfileAttributes::records);
  }

  private ReadRecords<ProfileAttributes> records(org.apache.beam.sdk.Pipeline pipeline) {
    return new ReadRecords<>(getFilepattern(), getFormat(), getMaxLineBytes(),
        getMaxIdentifiersPerRecord(),
        getDuplicateGroups(), getDeadLettersInBand(),
        getMapping() == null ? new ProfileParser() : new MappedProfileParser(getMapping()),
        SchemaCoders.of(pipeline, ProfileAttributes.class),
        dev.audiencesegmenter.model.ProfileAttributesCoder.of(), "ReadProfiles",
        ReadProfileAttributes.class.getName());
  }
}
