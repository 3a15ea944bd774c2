package dev.audiencesegmenter.io.sources;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import dev.audiencesegmenter.segments.TraitType;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How one tool's export becomes the project's records: where each identifier, the event type,
 * the time, the revenue and currency, the consent flags and the properties (of events) or
 * attributes (of profiles) sit in the tool's record. Built from a mapping file
 * ({@link MappingFiles}); the built-in ones are {@link BuiltInFormats}.
 */
@AutoValue
public abstract class SourceMapping implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What a mapping produces. */
  public enum Kind {
    /** {@code CustomerEvent}s, read by {@code --input}. */
    EVENTS,
    /** {@code ProfileAttributes}, read by {@code --profiles}. */
    PROFILES
  }

  /** A consent flag: where it is, and whether the tool records the opt-out instead. */
  public record ConsentField(FieldPath path, boolean optOut) implements Serializable {}

  /**
   * Many properties (or attributes) at once: every field of an object ({@code key} null), or
   * every element of an array of key/value objects, named by {@code prefix + key}; names in
   * {@code except} (before the prefix) are left out.
   */
  public record FieldSet(FieldPath path, @Nullable String key, @Nullable FieldPath value,
      String prefix, Set<String> except) implements Serializable {}

  /** The format's name: a built-in name or the mapping file's path; named in dead letters. */
  public abstract String getName();

  public abstract Kind getKind();

  /**
   * Where the field is that says whether a record is read at all, or null for every record;
   * a record whose value is not among {@link #getKeepValues} is skipped (counted, not
   * rejected).
   */
  public abstract @Nullable FieldPath getKeepPath();

  public abstract Set<String> getKeepValues();

  /** The records' {@code source}. */
  public abstract String getSource();

  /**
   * The parts of the record id, joined by {@code :}; with none present, the id is a digest of
   * the whole record, so that only exact copies are duplicates.
   */
  public abstract List<FieldPath> getIdParts();

  /** The event type (events only). */
  public abstract @Nullable FieldPath getType();

  /** Tool event names to the project's vocabulary; a name not listed is kept as it is. */
  public abstract Map<String, String> getTypeNames();

  public abstract TimeField getTime();

  /** Identifier type to where its value is; at least one per record. */
  public abstract Map<String, FieldPath> getIdentifiers();

  public abstract @Nullable FieldPath getRevenue();

  /** Event types (after renaming) whose revenue the tool writes positive but means negative. */
  public abstract Set<String> getNegativeRevenueTypes();

  public abstract @Nullable FieldPath getCurrency();

  /** Channel to its flag. */
  public abstract Map<String, ConsentField> getConsent();

  /** Named properties (events) or attributes (profiles). */
  public abstract Map<String, FieldPath> getFields();

  /** Further properties or attributes in bulk; a named field wins over one of these. */
  public abstract List<FieldSet> getFieldSets();

  /**
   * The declared types of some attributes ({@code type: int} in the file): their values are
   * checked and written canonically, and segment rules compare them as numbers or booleans.
   */
  public abstract Map<String, TraitType> getFieldTypes();

  public static Builder builder() {
    return new AutoValue_SourceMapping.Builder()
        .setIdParts(List.of())
        .setTypeNames(Map.of())
        .setNegativeRevenueTypes(Set.of())
        .setConsent(Map.of())
        .setFields(Map.of())
        .setFieldSets(List.of())
        .setFieldTypes(Map.of())
        .setKeepValues(Set.of());
  }

  @AutoValue.Builder
  public abstract static class Builder {
    public abstract Builder setName(String name);

    public abstract Builder setKind(Kind kind);

    public abstract Builder setSource(String source);

    public abstract Builder setKeepPath(@Nullable FieldPath path);

    public abstract Builder setKeepValues(Set<String> values);

    public abstract Builder setIdParts(List<FieldPath> parts);

    public abstract Builder setType(@Nullable FieldPath type);

    public abstract Builder setTypeNames(Map<String, String> names);

    public abstract Builder setTime(TimeField time);

    public abstract Builder setIdentifiers(Map<String, FieldPath> identifiers);

    public abstract Builder setRevenue(@Nullable FieldPath revenue);

    public abstract Builder setNegativeRevenueTypes(Set<String> types);

    public abstract Builder setCurrency(@Nullable FieldPath currency);

    public abstract Builder setConsent(Map<String, ConsentField> consent);

    public abstract Builder setFields(Map<String, FieldPath> fields);

    public abstract Builder setFieldSets(List<FieldSet> sets);

    public abstract Builder setFieldTypes(Map<String, TraitType> types);

    abstract SourceMapping autoBuild();

    /** Checks that the mapping can produce a record of its kind. */
    public SourceMapping build() {
      SourceMapping m = autoBuild();
      if (m.getIdentifiers().isEmpty()) {
        throw new IllegalArgumentException("mapping '" + m.getName()
            + "' names no identifier; at least one is needed");
      }
      if (m.getKind() == Kind.EVENTS && m.getType() == null) {
        throw new IllegalArgumentException("mapping '" + m.getName()
            + "' maps events but names no 'type'");
      }
      if (m.getKind() == Kind.PROFILES && (m.getType() != null || m.getRevenue() != null
          || m.getCurrency() != null)) {
        throw new IllegalArgumentException("mapping '" + m.getName()
            + "' maps profiles, which have no type, revenue or currency");
      }
      return m;
    }
  }
}
