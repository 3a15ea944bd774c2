package dev.audiencesegmenter.io.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.grouping.CoGroupInBuckets;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.JsonLines;
import dev.audiencesegmenter.model.SchemaCoders;
import dev.audiencesegmenter.model.SegmentMembership;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Builds one {@link ContactUpdate} per resolved customer from the pipeline's outputs, joined on
 * {@code customer_id} with a {@link CoGroupInBuckets} (a co-group, not side inputs: they are
 * derived from the same upstream, which stalled the Direct runner):
 *
 * <pre>{@code
 * PCollection<ContactUpdate> updates = BuildContactUpdates
 *     .inputs(identities, features, keyedEvents, memberships)
 *     .apply(BuildContactUpdates.create().withFeatureColumns(List.of("lifecycle_stage")));
 * }</pre>
 *
 * <ul>
 *   <li>identifiers: the customer's email and phone from the resolved identities (when a
 *       customer has several, the smallest normalized value, so every run picks the same one);
 *   <li>fields: the chosen feature columns ({@link #withFeatureColumns}), rendered as in
 *       {@code features/} (decimals plain, times ISO-8601); nulls are left out. Only mapped
 *       columns belong here: a column that changes every run (recency) would make delta sync
 *       resend everyone;
 *   <li>consent: the features' {@code consent_email} and {@code consent_sms} where set (the
 *       latest of profile attributes and event consent maps, so a CRM opt-out counts), else the
 *       latest {@code email} and {@code sms} consent signal of the customer's events (at equal
 *       times, a refusal wins); {@code unsubscribed} is the latest {@code unsubscribed} signal
 *       of the events. No signal means no consent. Push consent ({@code consent_push}, else the
 *       latest {@code push} signal) is kept as given, and unknown (null) without any signal:
 *       only an explicit refusal withdraws push ({@link ContactUpdate#refusesPush()});
 *   <li>segments: every segment the customer is a member of, except memberships in holdout,
 *       which are never activated.
 * </ul>
 *
 * <p>Customers without an email or phone identifier are left out (no vendor could match them).
 * Metrics, namespace {@code BuildContactUpdates}: contacts, holdout_memberships_left_out,
 * customers_without_identifiers.
 */
@AutoValue
public abstract class BuildContactUpdates
    extends PTransform<PCollectionTuple, PCollection<ContactUpdate>> {

  public static final TupleTag<CustomerIdentity> IDENTITIES = new TupleTag<>() {};
  public static final TupleTag<CustomerFeatures> FEATURES = new TupleTag<>() {};
  public static final TupleTag<KV<String, CustomerEvent>> EVENTS = new TupleTag<>() {};
  public static final TupleTag<SegmentMembership> MEMBERSHIPS = new TupleTag<>() {};

  // join tags: static final, so that every expansion uses the same ones
  static final TupleTag<KV<String, String>> IDS = new TupleTag<>() {};
  static final TupleTag<Map<String, String>> FIELDS = new TupleTag<>() {};
  static final TupleTag<Map<String, KV<Long, Boolean>>> CONSENT = new TupleTag<>() {};
  static final TupleTag<String> SEGMENTS = new TupleTag<>() {};

  public abstract List<String> getFeatureColumns();

  /** Hash buckets of customers in the per-customer join (see {@link CoGroupInBuckets}). */
  public abstract int getBuckets();

  abstract Builder toBuilder();

  public static BuildContactUpdates create() {
    return new AutoValue_BuildContactUpdates.Builder().setFeatureColumns(List.of())
        .setBuckets(CoGroupInBuckets.DEFAULT_BUCKETS).build();
  }

  /** The pipeline's outputs, tagged for this transform. */
  public static PCollectionTuple inputs(PCollection<CustomerIdentity> identities,
      PCollection<CustomerFeatures> features, PCollection<KV<String, CustomerEvent>> events,
      PCollection<SegmentMembership> memberships) {
    return PCollectionTuple.of(IDENTITIES, identities).and(FEATURES, features)
        .and(EVENTS, events).and(MEMBERSHIPS, memberships);
  }

  /** Feature columns to send (as {@code fields}); each must be a column of features/. */
  public BuildContactUpdates withFeatureColumns(List<String> columns) {
    Schema schema = featureSchema();
    for (String column : columns) {
      if (!schema.hasField(column)) {
        throw new IllegalArgumentException("Unknown feature column '" + column + "'; known: "
            + String.join(", ", schema.getFieldNames()));
      }
    }
    return toBuilder().setFeatureColumns(List.copyOf(new TreeSet<>(columns))).build();
  }

  /** Hash buckets of customers in the per-customer join; at least 1. */
  public BuildContactUpdates withBuckets(int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("BuildContactUpdates needs at least 1 bucket, got "
          + buckets);
    }
    return toBuilder().setBuckets(buckets).build();
  }

  public static Schema featureSchema() {
    try {
      return SchemaRegistry.createDefault().getSchema(CustomerFeatures.class);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("CustomerFeatures has no schema", e);
    }
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setFeatureColumns(List<String> columns);

    abstract Builder setBuckets(int buckets);

    abstract BuildContactUpdates build();
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("featureColumns", String.join(",", getFeatureColumns())))
        .add(DisplayData.item("buckets", getBuckets()));
  }

  @Override
  public PCollection<ContactUpdate> expand(PCollectionTuple input) {
    Coder<String> text = StringUtf8Coder.of();
    PCollection<KV<String, KV<String, String>>> ids = input.get(IDENTITIES)
        .apply("EmailsAndPhones", ParDo.of(new KeyIdentifiers()))
        .setCoder(KvCoder.of(text, KvCoder.of(text, text)));

    PCollection<CustomerFeatures> features = input.get(FEATURES);
    PCollection<KV<String, Map<String, String>>> fields = features
        .apply("FeatureFields", ParDo.of(new FeatureFields(getFeatureColumns(),
            features.getToRowFunction())))
        .setCoder(KvCoder.of(text, MapCoder.of(text, text)));

    Coder<Map<String, KV<Long, Boolean>>> consentCoder =
        MapCoder.of(text, KvCoder.of(VarLongCoder.of(), BooleanCoder.of()));
    PCollection<KV<String, Map<String, KV<Long, Boolean>>>> eventConsent = input.get(EVENTS)
        .apply("ConsentSignals", ParDo.of(new ConsentSignals()))
        .setCoder(KvCoder.of(text, consentCoder));
    PCollection<KV<String, Map<String, KV<Long, Boolean>>>> featureConsent = features
        .apply("FeatureConsent", ParDo.of(new FeatureConsent()))
        .setCoder(KvCoder.of(text, consentCoder));
    PCollection<KV<String, Map<String, KV<Long, Boolean>>>> consent = PCollectionList
        .of(eventConsent).and(featureConsent)
        .apply("AllConsentSignals", Flatten.pCollections())
        .apply("LatestConsent", Combine.perKey(new LatestConsent()))
        .setCoder(KvCoder.of(text, consentCoder));

    PCollection<KV<String, String>> segments = input.get(MEMBERSHIPS)
        .apply("ActivatedMemberships", ParDo.of(new ActivatedMemberships()))
        .setCoder(KvCoder.of(text, text));

    return KeyedPCollectionTuple.of(IDS, ids).and(FIELDS, fields).and(CONSENT, consent)
        .and(SEGMENTS, segments)
        .apply("JoinOnCustomerId", CoGroupInBuckets.of(getBuckets()))
        .apply("ToContactUpdates", ParDo.of(new ToContactUpdate()))
        .setCoder(contactCoder());
  }

  static Coder<ContactUpdate> contactCoder() {
    return SchemaCoders.of(ContactUpdate.class);
  }

  private static final class KeyIdentifiers
      extends DoFn<CustomerIdentity, KV<String, KV<String, String>>> {
    @ProcessElement
    public void process(@Element CustomerIdentity identity,
        OutputReceiver<KV<String, KV<String, String>>> out) {
      if (identity.getIdType().equals("email") || identity.getIdType().equals("phone")) {
        out.output(KV.of(identity.getCustomerId(),
            KV.of(identity.getIdType(), identity.getIdValue())));
      }
    }
  }

  private static final class FeatureFields
      extends DoFn<CustomerFeatures, KV<String, Map<String, String>>> {
    // decimals as written ("42.50", not 42.5): vendors get what features/ shows
    private static final com.fasterxml.jackson.databind.ObjectMapper DECIMALS =
        new com.fasterxml.jackson.databind.ObjectMapper().enable(
            com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory
                .withExactBigDecimals(true));
    private final List<String> columns;
    private final SerializableFunction<CustomerFeatures, Row> toRow;

    FeatureFields(List<String> columns, SerializableFunction<CustomerFeatures, Row> toRow) {
      this.columns = columns;
      this.toRow = toRow;
    }

    @ProcessElement
    public void process(@Element CustomerFeatures features,
        OutputReceiver<KV<String, Map<String, String>>> out) {
      Map<String, String> fields = new TreeMap<>();
      if (!columns.isEmpty()) {
        // rendered like features/ so that vendors get the values the files show
        JsonNode row;
        try {
          row = DECIMALS.readTree(JsonLines.toJson(toRow.apply(features)));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        for (String column : columns) {
          JsonNode value = row.get(column);
          if (value != null && !value.isNull()) {
            fields.put(column, value.isBigDecimal() ? value.decimalValue().toPlainString()
                : value.isValueNode() ? value.asText() : value.toString());
          }
        }
      }
      out.output(KV.of(features.getCustomerId(), fields));
    }
  }

  /**
   * The features' consent columns, where set: they already weigh profile attributes (a CRM
   * opt-out) against event signals by time, so they outrank the raw event signals.
   */
  private static final class FeatureConsent
      extends DoFn<CustomerFeatures, KV<String, Map<String, KV<Long, Boolean>>>> {
    @ProcessElement
    public void process(@Element CustomerFeatures features,
        OutputReceiver<KV<String, Map<String, KV<Long, Boolean>>>> out) {
      Map<String, KV<Long, Boolean>> signals = new HashMap<>();
      if (features.getConsentEmail() != null) {
        signals.put("email", KV.of(Long.MAX_VALUE, features.getConsentEmail()));
      }
      if (features.getConsentSms() != null) {
        signals.put("sms", KV.of(Long.MAX_VALUE, features.getConsentSms()));
      }
      if (features.getConsentPush() != null) {
        signals.put("push", KV.of(Long.MAX_VALUE, features.getConsentPush()));
      }
      if (!signals.isEmpty()) {
        out.output(KV.of(features.getCustomerId(), signals));
      }
    }
  }

  /** Consent names that matter here. */
  static final List<String> CONSENT_NAMES = List.of("email", "sms", "push",
      "unsubscribed");

  private static final class ConsentSignals
      extends DoFn<KV<String, CustomerEvent>, KV<String, Map<String, KV<Long, Boolean>>>> {
    @ProcessElement
    public void process(@Element KV<String, CustomerEvent> event,
        OutputReceiver<KV<String, Map<String, KV<Long, Boolean>>>> out) {
      Map<String, KV<Long, Boolean>> signals = new HashMap<>();
      long time = event.getValue().getEventTime().getMillis();
      event.getValue().getConsent().forEach((key, value) -> {
        // named as the features name them: trimmed, in any case
        String name = key == null ? null : key.trim().toLowerCase(Locale.ROOT);
        if (value != null && CONSENT_NAMES.contains(name)) {
          signals.merge(name, KV.of(time, value), (a, b) -> LatestConsent.later(name, a, b));
        }
      });
      if (!signals.isEmpty()) {
        out.output(KV.of(event.getKey(), signals));
      }
    }
  }

  /**
   * The latest signal per consent name; at equal times the cautious answer wins: no consent for
   * a channel, and {@code unsubscribed} over subscribed.
   */
  static final class LatestConsent extends Combine.BinaryCombineFn<Map<String,
      KV<Long, Boolean>>> {
    @Override
    public Map<String, KV<Long, Boolean>> apply(Map<String, KV<Long, Boolean>> left,
        Map<String, KV<Long, Boolean>> right) {
      Map<String, KV<Long, Boolean>> merged = new HashMap<>(left);
      right.forEach((name, signal) -> merged.merge(name, signal, (a, b) -> later(name, a, b)));
      return merged;
    }

    static KV<Long, Boolean> later(String name, KV<Long, Boolean> a, KV<Long, Boolean> b) {
      int byTime = Long.compare(a.getKey(), b.getKey());
      if (byTime != 0) {
        return byTime > 0 ? a : b;
      }
      boolean cautious = name.equals("unsubscribed"); // the value to keep on a tie
      return a.getValue() == cautious ? a : b;
    }
  }

  private static final class ActivatedMemberships
      extends DoFn<SegmentMembership, KV<String, String>> {
    private final Counter holdouts = Metrics.counter(BuildContactUpdates.class,
        "holdout_memberships_left_out");

    @ProcessElement
    public void process(@Element SegmentMembership membership,
        OutputReceiver<KV<String, String>> out) {
      if (membership.getHoldout()) {
        holdouts.inc(); // holdout members measure lift: never activated
        return;
      }
      out.output(KV.of(membership.getCustomerId(), membership.getSegment()));
    }
  }

  private static final class ToContactUpdate extends DoFn<KV<String, CoGbkResult>,
      ContactUpdate> {
    private final Counter contacts = Metrics.counter(BuildContactUpdates.class, "contacts");
    private final Counter withoutIds = Metrics.counter(BuildContactUpdates.class,
        "customers_without_identifiers");

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> joined,
        OutputReceiver<ContactUpdate> out) {
      CoGbkResult result = joined.getValue();
      // each iterable read once: Flink's results are not re-iterable by default
      List<KV<String, String>> ids = new ArrayList<>();
      result.getAll(IDS).forEach(ids::add);
      Iterator<Map<String, String>> fields = result.getAll(FIELDS).iterator();
      String email = smallest(ids, "email");
      String phone = smallest(ids, "phone");
      if (email == null && phone == null) {
        if (!ids.isEmpty() || fields.hasNext()) {
          withoutIds.inc();
        }
        return;
      }
      Map<String, KV<Long, Boolean>> consent = result.getOnly(CONSENT, Map.of());
      TreeSet<String> segments = new TreeSet<>();
      result.getAll(SEGMENTS).forEach(segments::add);
      contacts.inc();
      out.output(ContactUpdate.builder(joined.getKey())
          .setEmail(email)
          .setPhone(phone)
          .setEmailConsent(signal(consent, "email"))
          .setSmsConsent(signal(consent, "sms"))
          .setUnsubscribed(signal(consent, "unsubscribed"))
          .setPushConsent(consent.containsKey("push") ? consent.get("push").getValue() : null)
          .setFields(fields.hasNext() ? fields.next() : Map.of())
          .setSegmentsCurrent(new ArrayList<>(segments))
          .setSegmentsEntered(new ArrayList<>(segments))
          .build());
    }

    private static boolean signal(Map<String, KV<Long, Boolean>> consent, String name) {
      KV<Long, Boolean> value = consent.get(name);
      return value != null && value.getValue();
    }

    private static @Nullable String smallest(Iterable<KV<String, String>> ids, String type) {
      String best = null;
      for (KV<String, String> id : ids) {
        if (id.getKey().equals(type) && (best == null || id.getValue().compareTo(best) < 0)) {
          best = id.getValue();
        }
      }
      return best;
    }
  }
}
