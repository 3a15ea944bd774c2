package dev.audiencesegmenter.features;

import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.ConsentValue;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.SchemaCoders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Fills the profile columns of each customer's features: {@code country}, {@code city},
 * {@code lat}, {@code lon}, {@code company}, {@code industry}, {@code employees}, the consent
 * flags, and every other trait in {@code traits}. For each trait the latest value by time
 * before asOf wins (records at or after asOf are ignored, as events are), except consent.
 *
 * <pre>{@code
 * PCollection<CustomerFeatures> withTraits =
 *     AddProfileTraits.inputs(features, resolved.getProfiles(), resolved.getEvents())
 *         .apply(AddProfileTraits.create().withAsOf(asOf));
 * }</pre>
 *
 * <p>Trait names are trimmed and lower-cased ({@code consent.email} is read as
 * {@code consent_email}); blank values are ignored. Consent comes from profile attributes
 * {@code consent_email}, {@code consent_sms}, {@code consent_push}, {@code consent_tracking}
 * (read by {@link ConsentValue}'s table; an unreadable value is a withdrawal, counted in
 * {@code consent_values_unreadable}) and from the consent maps of events, at the record's
 * time, whichever is later. Consent is read from every record, those at or after asOf
 * included: a run as of a past date still honours a later opt-out. {@code lat}, {@code lon}
 * and {@code employees} that are not numbers in range are null (counted in
 * {@code traits_unreadable}). At most 64 traits are kept per customer: the column traits
 * always, then the others by name (see {@link LatestValues}).
 *
 * <p>Traits are combined per customer with {@link Combine#perKey} and joined on the customer
 * id with {@link CoGroupByKey}: no side input, so it streams like the features. Customers with
 * a profile but no event get no row (features are one row per customer with events).
 */
public final class AddProfileTraits
    extends PTransform<PCollectionTuple, PCollection<CustomerFeatures>> {
  /** The input's features, one row per customer. */
  public static final TupleTag<CustomerFeatures> CUSTOMER_FEATURES = new TupleTag<>() {};
  /** The input's profiles keyed by customer id ({@code ResolveIdentities.Result#getProfiles()}). */
  public static final TupleTag<KV<String, ProfileAttributes>> PROFILES = new TupleTag<>() {};
  /** The input's events keyed by customer id, for the consent signals they carry. */
  public static final TupleTag<KV<String, CustomerEvent>> EVENTS = new TupleTag<>() {};
  private static final TupleTag<CustomerFeatures> FEATURES = new TupleTag<>("traitJoinFeatures");
  private static final TupleTag<LatestValues> TRAITS = new TupleTag<>("traitJoinTraits");
  /** Traits with columns of their own; not repeated in {@code traits}. */
  public static final List<String> COLUMNS = List.of("country", "city", "lat", "lon", "company",
      "industry", "employees", "consent_email", "consent_sms", "consent_push",
      "consent_tracking");

  private final @Nullable Instant asOf;

  private AddProfileTraits(@Nullable Instant asOf) {
    this.asOf = asOf;
  }

  /** Give the time with {@link #withAsOf}; the input is {@link #inputs}. */
  public static AddProfileTraits create() {
    return new AddProfileTraits(null);
  }

  /** Traits as of {@code asOf} (exclusive, like the features). */
  public AddProfileTraits withAsOf(Instant asOf) {
    if (asOf == null) {
      throw new IllegalArgumentException("AddProfileTraits: asOf must not be null");
    }
    return new AddProfileTraits(asOf);
  }

  /**
   * The input: the features, and the profiles and events (either may be {@code null}) whose
   * traits and consent they take.
   */
  public static PCollectionTuple inputs(PCollection<CustomerFeatures> features,
      @Nullable PCollection<KV<String, ProfileAttributes>> profiles,
      @Nullable PCollection<KV<String, CustomerEvent>> events) {
    if (features == null) {
      throw new IllegalArgumentException("AddProfileTraits needs the features");
    }
    PCollectionTuple input = PCollectionTuple.of(CUSTOMER_FEATURES, features);
    if (profiles != null) {
      input = input.and(PROFILES, profiles);
    }
    return events == null ? input : input.and(EVENTS, events);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("asOf", String.valueOf(asOf)));
  }

  @Override
  public PCollection<CustomerFeatures> expand(PCollectionTuple input) {
    if (asOf == null) {
      throw new IllegalStateException("AddProfileTraits needs withAsOf(..): the time the traits "
          + "are read at");
    }
    if (!input.has(CUSTOMER_FEATURES)) {
      throw new IllegalArgumentException("AddProfileTraits' input is AddProfileTraits.inputs("
          + "features, profiles, events); got " + input.getAll().keySet());
    }
    PCollection<CustomerFeatures> features = input.get(CUSTOMER_FEATURES);
    PCollection<KV<String, ProfileAttributes>> profiles =
        input.has(PROFILES) ? input.get(PROFILES) : null;
    PCollection<KV<String, CustomerEvent>> events = input.has(EVENTS) ? input.get(EVENTS) : null;
    Coder<KV<String, ProfileAttributes>> coder = KvCoder.of(StringUtf8Coder.of(),
        SchemaCoders.of(features.getPipeline(), ProfileAttributes.class));
    PCollectionList<KV<String, ProfileAttributes>> updates =
        PCollectionList.empty(features.getPipeline());
    if (profiles != null) {
      updates = updates.and(profiles.apply("NormalizeProfiles",
          ParDo.of(new Normalize(asOf.getMillis()))).setCoder(coder));
    }
    if (events != null) {
      updates = updates.and(events.apply("ConsentFromEvents",
          ParDo.of(new ConsentFromEvents())).setCoder(coder));
    }
    if (updates.size() == 0) {
      return features;
    }
    PCollection<KV<String, LatestValues>> traits = updates
        .apply("CollectTraitUpdates", Flatten.pCollections())
        .setCoder(coder)
        .apply("LatestTraitPerCustomer", Combine.perKey(new ProfileTraitsFn()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), new LatestValues.Coder()));
    PCollection<CustomerFeatures> filled = KeyedPCollectionTuple
        .of(FEATURES, features.apply("KeyByCustomer", WithKeys
            .<String, CustomerFeatures>of(CustomerFeatures::getCustomerId)
            .withKeyType(TypeDescriptors.strings())))
        .and(TRAITS, traits)
        .apply("JoinOnCustomer", CoGroupByKey.create())
        .apply("FillTraits", ParDo.of(new Fill()))
        .setCoder(features.getCoder());
    return FilledColumns.mark(filled, "AddProfileTraits",
        FilledColumns.filledBy("AddProfileTraits"));
  }

  /** Trimmed, lower-cased names ({@code consent.x} as {@code consent_x}); no blank values. */
  public static String traitName(String raw) {
    String name = raw.trim().toLowerCase(Locale.ROOT);
    return name.startsWith("consent.") ? "consent_" + name.substring("consent.".length()) : name;
  }

  private static final class Normalize
      extends DoFn<KV<String, ProfileAttributes>, KV<String, ProfileAttributes>> {
    private final long asOf;
    private final Counter after = Metrics.counter(AddProfileTraits.class,
        "profiles_after_as_of");
    private final Counter badConsent = Metrics.counter(AddProfileTraits.class,
        "consent_values_unreadable");

    Normalize(long asOf) {
      this.asOf = asOf;
    }

    @ProcessElement
    public void process(@Element KV<String, ProfileAttributes> in,
        OutputReceiver<KV<String, ProfileAttributes>> out) {
      ProfileAttributes p = normalized(in.getValue(), asOf, badConsent::inc);
      if (p == null) {
        after.inc();
        return;
      }
      out.output(KV.of(in.getKey(), p));
    }
  }

  /**
   * A profile with trait names normalized, consent values read by {@link ConsentValue}
   * ("true"/"false") and unusable values left out; of a record at or after asOf only its
   * consent, and null when it has none. {@code badConsent} runs once per unreadable consent
   * value, which is read as withdrawn.
   */
  static @Nullable ProfileAttributes normalized(ProfileAttributes p, long asOf,
      Runnable badConsent) {
    boolean late = p.getUpdateTime().getMillis() >= asOf;
    Map<String, String> attrs = new TreeMap<>();
    for (Map.Entry<String, String> e : p.getAttributes().entrySet()) {
      if (e.getKey() == null || e.getValue() == null || e.getKey().isBlank()
          || e.getValue().isBlank()) {
        continue;
      }
      String channel = ConsentValue.attributeChannel(e.getKey());
      if (late && channel == null) {
        continue;
      }
      String name = traitName(e.getKey());
      String value = e.getValue().trim();
      if (channel != null) {
        Boolean given = ConsentValue.parse(value);
        if (given == null) {
          // Fail closed: never leave an older "yes" standing behind a value we cannot read.
          badConsent.run();
          given = ConsentValue.failClosed(channel);
        }
        value = given.toString();
      }
      // Two spellings of one name on one record: the smaller value, as across records.
      attrs.merge(name, value, (a, b) -> a.compareTo(b) <= 0 ? a : b);
    }
    if (late && attrs.isEmpty()) {
      return null;
    }
    return p.toBuilder().setAttributes(attrs).build();
  }

  private static final class ConsentFromEvents
      extends DoFn<KV<String, CustomerEvent>, KV<String, ProfileAttributes>> {
    @ProcessElement
    public void process(@Element KV<String, CustomerEvent> in,
        OutputReceiver<KV<String, ProfileAttributes>> out) {
      ProfileAttributes consent = consentOf(in.getValue());
      if (consent != null) {
        out.output(KV.of(in.getKey(), consent));
      }
    }
  }

  /**
   * The consent an event carries, as a trait update at its time, whenever that is (after asOf
   * too: a later opt-out counts); null when it carries none. The reader has already read the
   * values ({@link ConsentValue}).
   */
  static @Nullable ProfileAttributes consentOf(CustomerEvent e) {
    if (e.getConsent().isEmpty()) {
      return null;
    }
    Map<String, String> consent = new TreeMap<>();
    e.getConsent().forEach((k, v) -> {
      if (k != null && !k.isBlank() && v != null) {
        consent.put("consent_" + k.trim().toLowerCase(Locale.ROOT), v.toString());
      }
    });
    return ProfileAttributes.builder().setSource(e.getSource())
        .setSourceRecordId(e.getSourceRecordId()).setUpdateTime(e.getEventTime())
        .setIdentifiers(e.getIdentifiers()).setAttributes(consent).build();
  }

  private static final class Fill extends DoFn<KV<String, CoGbkResult>, CustomerFeatures> {
    private final Counter unreadable = Metrics.counter(AddProfileTraits.class,
        "traits_unreadable");
    private final Counter withTraits = Metrics.counter(AddProfileTraits.class,
        "customers_with_traits");

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> in,
        OutputReceiver<CustomerFeatures> out) {
      LatestValues traits = in.getValue().getOnly(TRAITS, null);
      for (CustomerFeatures f : in.getValue().getAll(FEATURES)) {
        if (traits == null) {
          out.output(f);
          continue;
        }
        withTraits.inc();
        out.output(filled(f, traits, unreadable::inc));
      }
    }
  }

  /** The features with the traits' columns filled; {@code unreadable} runs per bad number. */
  static CustomerFeatures filled(CustomerFeatures f, LatestValues traits, Runnable unreadable) {
    Map<String, String> others = new LinkedHashMap<>();
    traits.values.forEach((k, v) -> {
      if (!COLUMNS.contains(k)) {
        others.put(k, v.value());
      }
    });
    return f.toBuilder()
        .setCountry(traits.get("country"))
        .setCity(traits.get("city"))
        .setLat(degrees(traits.get("lat"), 90, unreadable))
        .setLon(degrees(traits.get("lon"), 180, unreadable))
        .setCompany(traits.get("company"))
        .setIndustry(traits.get("industry"))
        .setEmployees(count(traits.get("employees"), unreadable))
        .setConsentEmail(flag(traits.get("consent_email")))
        .setConsentSms(flag(traits.get("consent_sms")))
        .setConsentPush(flag(traits.get("consent_push")))
        .setConsentTracking(flag(traits.get("consent_tracking")))
        .setTraits(others)
        .build();
  }

  private static @Nullable Double degrees(@Nullable String raw, double limit,
      Runnable unreadable) {
    if (raw == null) {
      return null;
    }
    try {
      double v = Double.parseDouble(raw);
      if (Double.isFinite(v) && Math.abs(v) <= limit) {
        return v;
      }
    } catch (NumberFormatException e) {
      // counted below
    }
    unreadable.run();
    return null;
  }

  /** A whole number of employees; "1,200" and "1 200" are read as 1200. */
  private static @Nullable Long count(@Nullable String raw, Runnable unreadable) {
    if (raw == null) {
      return null;
    }
    try {
      long v = Long.parseLong(raw.replace(",", "").replace(" ", "").replace("_", ""));
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // counted below
    }
    unreadable.run();
    return null;
  }

  private static @Nullable Boolean flag(@Nullable String v) {
    return v == null ? null : Boolean.valueOf(v);
  }
}
