package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.JsonLines;
import dev.audiencesegmenter.model.JunkIdentifier;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;

/**
 * {@link ResolveIdentities} in one thread, without Beam, with the functions its default
 * (one-worker) strategy runs: each record's identifiers normalized as {@link NormalizeRecordFn}
 * does, the graph resolved by {@link CompactIdentityResolver}, each record keyed by its owner
 * through the {@link CustomerLookup}. For single-machine tools (the plain-Java benchmark
 * baseline). Previous identities (stable ids) are not supported.
 */
public final class LocalIdentityResolution {
  private final List<CustomerIdentity> identities;
  private final List<KV<String, CustomerEvent>> events = new ArrayList<>();
  private final List<KV<String, ProfileAttributes>> profiles = new ArrayList<>();
  private final List<JunkIdentifier> junk;
  private final List<DeadLetter> deadLetters = new ArrayList<>();

  private LocalIdentityResolution(List<CustomerIdentity> identities, List<JunkIdentifier> junk) {
    this.identities = identities;
    this.junk = junk;
  }

  /** One row per distinct normalized identifier. */
  public List<CustomerIdentity> identities() {
    return identities;
  }

  /** Every linked event with normalized identifiers, keyed by its customer id. */
  public List<KV<String, CustomerEvent>> events() {
    return events;
  }

  /** Every linked profile with normalized identifiers, keyed by its customer id. */
  public List<KV<String, ProfileAttributes>> profiles() {
    return profiles;
  }

  /** Identifiers left out of linking, and dropped links. */
  public List<JunkIdentifier> junk() {
    return junk;
  }

  /** Records without a valid, or without a usable, identifier. */
  public List<DeadLetter> deadLetters() {
    return deadLetters;
  }

  public static LocalIdentityResolution resolve(List<CustomerEvent> eventRecords,
      List<ProfileAttributes> profileRecords, String defaultRegion, IdentityRules rules) {
    IdentifierNormalizer normalizer = IdentifierNormalizer.create(defaultRegion,
        rules.getEmailProviderRules());
    SchemaRegistry schemas = SchemaRegistry.createDefault();
    List<DeadLetter> rejected = new ArrayList<>();
    List<CustomerEvent> events = normalized(eventRecords, CustomerEvent::getIdentifiers,
        (e, ids) -> e.toBuilder().setIdentifiers(ids).build(), normalizer,
        toRow(schemas, CustomerEvent.class), rejected);
    List<ProfileAttributes> profiles = normalized(profileRecords,
        ProfileAttributes::getIdentifiers, (p, ids) -> p.toBuilder().setIdentifiers(ids).build(),
        normalizer, toRow(schemas, ProfileAttributes.class), rejected);

    CompactIdentityResolver resolver = CompactIdentityResolver.create(rules);
    events.forEach(e -> resolver.addRecord(e.getIdentifiers()));
    profiles.forEach(p -> resolver.addRecord(p.getIdentifiers()));
    CompactResolution resolution = resolver.resolve();
    LocalIdentityResolution result = new LocalIdentityResolution(resolution.identities(),
        resolution.junk());
    result.deadLetters.addAll(rejected);
    CustomerLookup lookup = resolution.lookup();
    result.key(events, CustomerEvent::getIdentifiers, lookup,
        toRow(schemas, CustomerEvent.class), result.events);
    result.key(profiles, ProfileAttributes::getIdentifiers, lookup,
        toRow(schemas, ProfileAttributes.class), result.profiles);
    return result;
  }

  private interface WithIdentifiers<T> {
    T apply(T record, Map<String, String> identifiers);
  }

  /** The records with normalized identifiers; those without a valid one to the dead letters. */
  private static <T> List<T> normalized(List<T> records,
      Function<T, Map<String, String>> identifiers, WithIdentifiers<T> with,
      IdentifierNormalizer normalizer, SerializableFunction<T, Row> toRow,
      List<DeadLetter> rejected) {
    List<T> out = new ArrayList<>(records.size());
    for (T record : records) {
      Map<String, String> raw = identifiers.apply(record);
      Map<String, String> ids = NormalizeRecordFn.normalized(normalizer, raw);
      if (ids.isEmpty()) {
        rejected.add(DeadLetter.create(NormalizeRecordFn.STEP,
            NormalizeRecordFn.noIdentifierReason(
                NormalizeRecordFn.rejectedTypes(normalizer, raw, ids)),
            JsonLines.toJson(toRow.apply(record))));
      } else {
        out.add(with.apply(record, ids));
      }
    }
    return out;
  }

  private <T> void key(List<T> records, Function<T, Map<String, String>> identifiers,
      CustomerLookup lookup, SerializableFunction<T, Row> toRow, List<KV<String, T>> keyed) {
    for (T record : records) {
      CustomerLookup.Owner owner = lookup.ownerOf(identifiers.apply(record));
      if (owner.linked()) {
        keyed.add(KV.of(owner.customerId(), record));
      } else {
        deadLetters.add(DeadLetter.create(LinkRecordFn.STEP, owner.deadLetterReason(),
            JsonLines.toJson(toRow.apply(record))));
      }
    }
  }

  private static <T> SerializableFunction<T, Row> toRow(SchemaRegistry schemas, Class<T> type) {
    try {
      return schemas.getToRowFunction(type);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("No schema for " + type, e);
    }
  }
}
