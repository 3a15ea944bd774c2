package dev.audiencesegmenter.pipelines;

import dev.audiencesegmenter.features.AddProfileTraits;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.files.ReadProfileAttributes;
import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import dev.audiencesegmenter.io.jdbc.ReadFromJdbc;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sources.BuiltInFormats;
import dev.audiencesegmenter.io.sources.MappingFiles;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.io.sources.SourceSpec;
import dev.audiencesegmenter.model.Checked;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.segments.TraitType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The job's sources: every {@code --input} (events) and {@code --profiles} value, each a
 * pattern in the native format or {@code FORMAT:PATTERN} in a tool's format (data-formats.md,
 * "Inputs in other tools' formats"), read and checked, their records and rejects in one
 * stream per kind.
 */
final class InputSources {
  private InputSources() {}

  /** The sources of one option; a mistake names the option and the value. */
  static List<SourceSpec> parse(@Nullable List<String> values, String option) {
    try {
      return SourceSpec.parseAll(values);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }

  /** A source and, for one in a tool's format, its mapping (read once, at launch). */
  record Source(SourceSpec spec, @Nullable SourceMapping mapping) {}

  /** The sources of one option, each mapped source's mapping read and checked. */
  static List<Source> resolve(@Nullable List<String> values, SourceMapping.Kind kind,
      String option) {
    List<Source> sources = new ArrayList<>();
    for (SourceSpec spec : parse(values, option)) {
      sources.add(new Source(spec, spec.isMapped() ? mapping(spec, kind, option) : null));
    }
    return sources;
  }

  /** The mapping of a source in a tool's format, checked to map {@code kind}. */
  static SourceMapping mapping(SourceSpec spec, SourceMapping.Kind kind, String option) {
    SourceMapping mapping = BuiltInFormats.get(spec.format(), kind);
    if (mapping == null && BuiltInFormats.isBuiltIn(spec.format())) {
      throw new IllegalArgumentException(option + "=" + spec + ": format '" + spec.format()
          + "' maps " + (kind == SourceMapping.Kind.EVENTS ? "profiles; give it to --profiles"
              : "events; give it to --input"));
    }
    if (mapping == null) {
      mapping = MappingFiles.parse(SegmentationPipeline.readText(spec.format()), spec.format());
    }
    if (mapping.getKind() != kind) {
      throw new IllegalArgumentException(option + "=" + spec + ": format '" + spec.format()
          + "' maps " + mapping.getKind().toString().toLowerCase(Locale.ROOT) + "; give it to "
          + (kind == SourceMapping.Kind.EVENTS ? "--profiles" : "--input"));
    }
    return mapping;
  }

  /**
   * The traits (lower-case) that the profile sources declare: every attribute of their
   * mappings, file and database alike; null when some source's traits are open (a native
   * profiles file, or a mapping that takes attributes in bulk).
   */
  static @Nullable Set<String> declaredTraits(List<Source> profileSources,
      @Nullable SourceMapping database) {
    if (profileSources.stream().anyMatch(source -> source.mapping() == null)) {
      return null;
    }
    Set<String> traits = new TreeSet<>();
    for (SourceMapping mapping : profileMappings(profileSources, database)) {
      if (!mapping.getFieldSets().isEmpty()) {
        return null;
      }
      mapping.getFields().keySet().forEach(name -> traits.add(AddProfileTraits.traitName(name)));
      mapping.getConsent().keySet().forEach(channel -> traits.add("consent_" + channel));
    }
    // Traits with columns of their own are read by those columns, not through traits.
    traits.removeAll(AddProfileTraits.COLUMNS);
    return traits;
  }

  /**
   * The trait types the profile mappings declare (lower-case names); one trait declared with
   * two types is an error.
   */
  static Map<String, TraitType> declaredTraitTypes(List<Source> profileSources,
      @Nullable SourceMapping database) {
    Map<String, TraitType> types = new TreeMap<>();
    Map<String, String> declaredBy = new TreeMap<>();
    for (SourceMapping mapping : profileMappings(profileSources, database)) {
      for (Map.Entry<String, TraitType> e : mapping.getFieldTypes().entrySet()) {
        String name = AddProfileTraits.traitName(e.getKey());
        TraitType before = types.put(name, e.getValue());
        if (before != null && before != e.getValue()) {
          throw new IllegalArgumentException("trait '" + name + "' is declared " + before
              + " by '" + declaredBy.get(name) + "' and " + e.getValue() + " by '"
              + mapping.getName() + "'");
        }
        declaredBy.put(name, mapping.getName());
      }
    }
    return types;
  }

  /** The mappings of the mapped profile sources, files and database. */
  private static List<SourceMapping> profileMappings(List<Source> profileSources,
      @Nullable SourceMapping database) {
    List<SourceMapping> mappings = new ArrayList<>();
    profileSources.stream().map(Source::mapping).filter(m -> m != null).forEach(mappings::add);
    if (database != null) {
      mappings.add(database);
    }
    return mappings;
  }

  /** Every events source, read with {@code settings} applied (rejects in band among them). */
  static PCollection<Checked<CustomerEvent>> events(Pipeline pipeline, List<Source> sources,
      Function<ReadCustomerEvents, ReadCustomerEvents> settings) {
    List<ReadCustomerEvents> reads = new ArrayList<>();
    for (Source source : sources) {
      ReadCustomerEvents read = settings.apply(ReadCustomerEvents.from(source.spec().pattern()));
      reads.add(source.mapping() != null ? read.withMapping(source.mapping()) : read);
    }
    // several sources share one duplicate shuffle: (source, id) is unique across all of them
    return pipeline.apply("ReadEvents", reads.size() == 1 ? reads.get(0)
        : ReadCustomerEvents.all(reads)).getChecked();
  }

  /** Every profiles source, read with {@code settings} applied (rejects in band among them). */
  static PCollection<Checked<ProfileAttributes>> profiles(Pipeline pipeline,
      List<Source> sources, Function<ReadProfileAttributes, ReadProfileAttributes> settings) {
    List<ReadProfileAttributes> reads = new ArrayList<>();
    for (Source source : sources) {
      ReadProfileAttributes read =
          settings.apply(ReadProfileAttributes.from(source.spec().pattern()));
      reads.add(source.mapping() != null ? read.withMapping(source.mapping()) : read);
    }
    return pipeline.apply("ReadProfiles", reads.size() == 1 ? reads.get(0)
        : ReadProfileAttributes.all(reads)).getChecked();
  }

  /** A database source's settings: the options of one prefix (profiles, events). */
  record DatabaseSource(String prefix, @Nullable String url, @Nullable String query,
      @Nullable String mapping, @Nullable String partitionColumn, int partitions,
      @Nullable String username, @Nullable String password, @Nullable String passwordEnv,
      @Nullable String passwordFile) {

    boolean isGiven() {
      return url != null && !url.isBlank();
    }

    static DatabaseSource profiles(SegmentationPipelineOptions o) {
      return new DatabaseSource("profiles", o.getProfilesJdbcUrl(), o.getProfilesQuery(),
          o.getProfilesMapping(), o.getProfilesPartitionColumn(), o.getProfilesPartitions(),
          o.getProfilesJdbcUsername(), o.getProfilesJdbcPassword(),
          o.getProfilesJdbcPasswordEnv(), o.getProfilesJdbcPasswordFile());
    }

    static DatabaseSource events(SegmentationPipelineOptions o) {
      return new DatabaseSource("events", o.getEventsJdbcUrl(), o.getEventsQuery(),
          o.getEventsMapping(), o.getEventsPartitionColumn(), o.getEventsPartitions(),
          o.getEventsJdbcUsername(), o.getEventsJdbcPassword(), o.getEventsJdbcPasswordEnv(),
          o.getEventsJdbcPasswordFile());
    }

    /** The mapping of {@code --<prefix>Mapping}, of {@code kind}. */
    SourceMapping sourceMapping(SourceMapping.Kind kind) {
      if (query == null || query.isBlank()) {
        throw new IllegalArgumentException("--" + prefix + "JdbcUrl needs --" + prefix
            + "Query, the query whose rows are " + prefix);
      }
      if (mapping == null || mapping.isBlank()) {
        throw new IllegalArgumentException("--" + prefix + "JdbcUrl needs --" + prefix
            + "Mapping, a mapping file (.yaml) of the query's columns");
      }
      return InputSources.mapping(new SourceSpec(mapping, "(query)"), kind,
          "--" + prefix + "Mapping");
    }

    /** {@code read} with this source's partitions and the job's identifier cap. */
    <T> ReadFromJdbc<T> configure(ReadFromJdbc<T> read, SegmentationPipelineOptions options) {
      read = read.withMaxIdentifiersPerRecord(options.getMaxIdentifiersPerRecord())
          .withDeadLettersInBand();
      return partitionColumn == null || partitionColumn.isBlank() ? read
          : read.withPartitions(partitionColumn, partitions);
    }

    JdbcIO.DataSourceConfiguration dataSource(SegmentationPipelineOptions options) {
      Credential credential = CredentialOptions.forDatabase(options, prefix + "JdbcPassword",
          "--" + prefix + "JdbcUrl", password, passwordEnv, passwordFile, null, null);
      return JdbcUpsert.postgresDataSource(url, username, credential);
    }
  }

  /**
   * The profiles of {@code --profilesQuery} in the {@code --profilesJdbcUrl} database, read
   * through {@code --profilesMapping}, in {@code --profilesPartitions} ranges of
   * {@code --profilesPartitionColumn} when it is given.
   */
  static PCollection<Checked<ProfileAttributes>> profilesFromDatabase(Pipeline pipeline,
      SegmentationPipelineOptions options, SourceMapping mapping) {
    DatabaseSource source = DatabaseSource.profiles(options);
    return pipeline.apply("ReadProfilesFromDatabase", source.configure(ReadFromJdbc.profiles(
        source.dataSource(options), source.query(), mapping), options)).getChecked();
  }

  /** The events of {@code --eventsQuery}, as {@link #profilesFromDatabase} reads profiles. */
  static PCollection<Checked<CustomerEvent>> eventsFromDatabase(Pipeline pipeline,
      SegmentationPipelineOptions options, SourceMapping mapping) {
    DatabaseSource source = DatabaseSource.events(options);
    return pipeline.apply("ReadEventsFromDatabase", source.configure(ReadFromJdbc.events(
        source.dataSource(options), source.query(), mapping), options)).getChecked();
  }
}
