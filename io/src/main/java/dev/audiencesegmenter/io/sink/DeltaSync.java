package dev.audiencesegmenter.io.sink;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.grouping.CoGroupInBuckets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Compares the current per-customer updates with the state of the last successful sync and
 * keeps only what a vendor needs to hear:
 * <ul>
 *   <li>a customer not synced before, with at least one segment: sent, every segment entered;
 *   <li>a synced customer whose payload hash changed (fields, identifiers, consent, segments):
 *       sent, with the segments entered and exited since;
 *   <li>a synced customer missing from the input: an exit-only update from every segment they
 *       held (built from the state's email and phone; their consent is unknown, so they are
 *       taken out of segments but neither unsubscribed nor added);
 *   <li>with the consent rules ({@link #withConsentRules}, default), a customer without consent
 *       ({@link ContactUpdate#mayReceiveEmail()} false): if the state has no entry for them
 *       (the destination never received them), nothing is sent and no state kept, and they are
 *       counted ({@code dropped_without_consent}); else they are sent with no segment entered
 *       and every segment held (state and current) exited, which the sink turns into a
 *       withdrawal, until the state records the withdrawal as delivered for the same payload
 *       ({@link SyncStateEntry#getWithdrawn()}); the new state holds no segment for them;
 *   <li>with SMS withdrawals ({@link #withSmsWithdrawals}, default off), a customer without
 *       SMS consent whose number the destination has from an earlier sync: also an {@link
 *       ContactUpdate#smsWithdrawal SMS withdrawal} (key and phone only), until the state
 *       records it as delivered for that number ({@link SyncStateEntry#getSmsWithdrawn()}); a
 *       customer who keeps email consent still gets their own update when it changed;
 *   <li>with push withdrawals ({@link #withPushWithdrawals}, default off), a customer who
 *       refused push ({@link ContactUpdate#refusesPush()}: an explicit push refusal or
 *       unsubscribed; no push signal is no refusal) and whom the destination has from an
 *       earlier sync: also a {@link ContactUpdate#pushWithdrawal push withdrawal} (key only),
 *       until the state records it as delivered ({@link SyncStateEntry#getPushWithdrawn()});
 *   <li>an unchanged customer: not sent.
 * </ul>
 * With {@link #withFullResync(boolean)} every current customer is sent (exits as above).
 *
 * <pre>{@code
 * DeltaSync.Result deltas =
 *     DeltaSync.inputs(updates, previousState).apply(DeltaSync.create());
 * deltas.getChanges();   // only what changed since the last sync
 * deltas.getNewState();  // the state to commit once the changes are sent
 * }</pre>
 *
 * <p>The output's {@link Result#getNewState()} is the state after the sync; write it with
 * {@link SyncState#commit} once the sink has finished, which keeps the previous entry of
 * customers the vendor rejected so they are sent again next time (so an undelivered withdrawal
 * is retried on every run). Delta sync compares whole runs, so it is for bounded (batch)
 * input. Metrics, namespace {@code DeltaSync}: new, changed, unchanged, gone, withdrawn,
 * dropped_without_consent, sms_withdrawn, push_withdrawn.
 */
@AutoValue
public abstract class DeltaSync extends PTransform<PCollectionTuple, DeltaSync.Result> {
  /** The input's current contact updates. */
  public static final TupleTag<ContactUpdate> CURRENT = new TupleTag<>() {};
  /** The input's state of the last sync (e.g. {@link SyncState#read}; may be empty). */
  public static final TupleTag<SyncStateEntry> PREVIOUS = new TupleTag<>() {};

  public abstract boolean getFullResync();

  /** Whether the consent rules apply to the destination (default: yes). */
  public abstract boolean getConsentRules();

  /** Whether SMS withdrawals are sent to the destination (default: no). */
  public abstract boolean getSmsWithdrawals();

  /** Whether push withdrawals are sent to the destination (default: no). */
  public abstract boolean getPushWithdrawals();

  /** Hash buckets of customers in the join with the state (see {@link CoGroupInBuckets}). */
  public abstract int getBuckets();

  /** Whether customers in no segment are sent too (default: segment members only). */
  public abstract boolean getEveryone();

  abstract Builder toBuilder();

  /** The input: this run's updates and the state of the last sync (may be empty). */
  public static PCollectionTuple inputs(PCollection<ContactUpdate> current,
      PCollection<SyncStateEntry> previous) {
    if (current == null || previous == null) {
      throw new IllegalArgumentException("DeltaSync needs the current updates and the previous "
          + "state (may be empty), got " + current + " and " + previous);
    }
    return PCollectionTuple.of(CURRENT, current).and(PREVIOUS, previous);
  }

  /** Consent rules on, no SMS or push withdrawals, no full resync. */
  public static DeltaSync create() {
    return new AutoValue_DeltaSync.Builder().setFullResync(false)
        .setConsentRules(true).setSmsWithdrawals(false).setPushWithdrawals(false)
        .setBuckets(CoGroupInBuckets.DEFAULT_BUCKETS).setEveryone(false).build();
  }

  /**
   * Whether customers without email consent are withdrawn from the destination and never sent
   * to it when it has not received them (default true, fail closed). Pass {@link
   * VendorConnector#handlesWithdrawals()} of the sink; false (a CRM such as Salesforce) sends
   * them like anyone else.
   */
  public DeltaSync withConsentRules(boolean consentRules) {
    return toBuilder().setConsentRules(consentRules).build();
  }

  /**
   * Whether a customer without SMS consent ({@link ContactUpdate#mayReceiveSms()} false) gets,
   * next to their own update, an {@link ContactUpdate#smsWithdrawal SMS withdrawal} (key and
   * phone only) when the destination has their number from an earlier sync and the state does
   * not record the SMS withdrawal as delivered for it ({@link SyncStateEntry#getSmsWithdrawn()};
   * an older state: not delivered). A number the destination gets for the first time needs none
   * (our updates never subscribe anyone to SMS). Pass {@link
   * VendorConnector#handlesSmsWithdrawals()} of the sink; default false.
   */
  public DeltaSync withSmsWithdrawals(boolean smsWithdrawals) {
    return toBuilder().setSmsWithdrawals(smsWithdrawals).build();
  }

  /**
   * Whether a customer who refused push ({@link ContactUpdate#refusesPush()}) gets, next to
   * their own update, a {@link ContactUpdate#pushWithdrawal push withdrawal} (key only) when the
   * destination has them from an earlier sync and the state does not record it as delivered
   * ({@link SyncStateEntry#getPushWithdrawn()}; an older state: not delivered). A customer the
   * destination gets for the first time gets it on the next run, once the destination has them
   * (the withdrawal only updates an existing user). No push signal at all is not a refusal:
   * most customers never gave one, and withdrawing them would silence push for everyone. Pass
   * {@link VendorConnector#handlesPushWithdrawals()} of the sink; default false.
   */
  public DeltaSync withPushWithdrawals(boolean pushWithdrawals) {
    return toBuilder().setPushWithdrawals(pushWithdrawals).build();
  }

  /**
   * Whether a customer in no segment is sent too, like any other (a CRM that wants lifetime
   * value and churn risk on every contact); default false: a customer the destination never
   * received is first sent once in a segment. Consent rules apply the same way.
   */
  public DeltaSync withEveryone(boolean everyone) {
    return toBuilder().setEveryone(everyone).build();
  }

  /** Sends every current customer, changed or not. */
  public DeltaSync withFullResync(boolean fullResync) {
    return toBuilder().setFullResync(fullResync).build();
  }

  /** Hash buckets of customers in the per-customer join; at least 1. */
  public DeltaSync withBuckets(int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("DeltaSync needs at least 1 bucket, got " + buckets);
    }
    return toBuilder().setBuckets(buckets).build();
  }

  @AutoValue.Builder
  abstract static class Builder {

    abstract Builder setFullResync(boolean fullResync);

    abstract Builder setEveryone(boolean everyone);

    abstract Builder setConsentRules(boolean consentRules);

    abstract Builder setSmsWithdrawals(boolean smsWithdrawals);

    abstract Builder setPushWithdrawals(boolean pushWithdrawals);

    abstract Builder setBuckets(int buckets);

    abstract DeltaSync build();
  }

  /**
   * SHA-256 of everything sent for a customer except the entered/exited deltas. Push consent is
   * left out: it is not sent (only its withdrawal, tracked apart), so it neither resends
   * anyone nor changes the hash of earlier states.
   */
  public static String payloadHash(ContactUpdate update) {
    return SendContactUpdates.sha256Hex(update.toBuilder()
        .setSegmentsCurrent(List.copyOf(new TreeSet<>(update.getSegmentsCurrent())))
        .setSegmentsEntered(List.of()).setSegmentsExited(List.of()).setExitOnly(false)
        .setSmsWithdrawn(false).setPushConsent(null).setPushWithdrawn(false).build().toJson());
  }

  static final TupleTag<ContactUpdate> CHANGES = new TupleTag<>() {};
  static final TupleTag<SyncStateEntry> STATE = new TupleTag<>() {};
  static final TupleTag<String> SKIPPED = new TupleTag<>() {};

  @Override
  public Result expand(PCollectionTuple input) {
    if (!input.has(CURRENT) || !input.has(PREVIOUS)) {
      throw new IllegalArgumentException("DeltaSync's input is DeltaSync.inputs(current, "
          + "previous); got " + input.getAll().keySet());
    }
    PCollection<ContactUpdate> current = input.get(CURRENT);
    Pipeline pipeline = input.getPipeline();
    TupleTag<ContactUpdate> currentTag = new TupleTag<>("current");
    TupleTag<SyncStateEntry> previousTag = new TupleTag<>("previous");
    PCollection<KV<String, ContactUpdate>> keyedCurrent = current
        .apply("KeyCurrent", WithKeys.of(ContactUpdate::getKey)
            .withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), current.getCoder()));
    PCollection<KV<String, SyncStateEntry>> keyedPrevious = input.get(PREVIOUS)
        .apply("KeyPrevious", WithKeys.of(SyncStateEntry::getKey)
            .withKeyType(TypeDescriptors.strings()))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), input.get(PREVIOUS).getCoder()));
    PCollectionTuple out = KeyedPCollectionTuple.of(currentTag, keyedCurrent)
        .and(previousTag, keyedPrevious)
        .apply("JoinWithPreviousState", CoGroupInBuckets.of(getBuckets()))
        .apply("Compare", ParDo.of(new Compare(currentTag, previousTag, getFullResync(),
            getConsentRules(), getSmsWithdrawals(), getPushWithdrawals(), getEveryone()))
            .withOutputTags(CHANGES, TupleTagList.of(STATE).and(SKIPPED)));
    out.get(CHANGES).setCoder(current.getCoder());
    out.get(STATE).setCoder(input.get(PREVIOUS).getCoder());
    out.get(SKIPPED).setCoder(org.apache.beam.sdk.coders.StringUtf8Coder.of());
    return new Result(pipeline, out.get(CHANGES), out.get(STATE), out.get(SKIPPED));
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("fullResync", getFullResync()).withLabel("Full resync"))
        .add(DisplayData.item("everyone", getEveryone())
            .withLabel("Customers in no segment too"))
        .add(DisplayData.item("consentRules", getConsentRules()).withLabel("Consent rules"))
        .add(DisplayData.item("smsWithdrawals", getSmsWithdrawals())
            .withLabel("SMS withdrawals"))
        .add(DisplayData.item("pushWithdrawals", getPushWithdrawals())
            .withLabel("Push withdrawals"))
        .add(DisplayData.item("buckets", getBuckets()).withLabel("Hash buckets of customers"));
  }

  /** The updates to send and the state after sending them. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<ContactUpdate> changes;
    private final PCollection<SyncStateEntry> newState;
    private final PCollection<String> skippedForConsent;

    Result(Pipeline pipeline, PCollection<ContactUpdate> changes,
        PCollection<SyncStateEntry> newState, PCollection<String> skippedForConsent) {
      this.pipeline = pipeline;
      this.changes = changes;
      this.newState = newState;
      this.skippedForConsent = skippedForConsent;
    }

    /** Keys of customers never sent here who may not be (no consent): nothing was sent. */
    public PCollection<String> getSkippedForConsent() {
      return skippedForConsent;
    }

    public PCollection<ContactUpdate> getChanges() {
      return changes;
    }

    public PCollection<SyncStateEntry> getNewState() {
      return newState;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(CHANGES, changes, STATE, newState, SKIPPED, skippedForConsent);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input,
        PTransform<?, ?> transform) {}
  }

  private static List<String> minus(List<String> a, List<String> b) {
    TreeSet<String> out = new TreeSet<>(a);
    out.removeAll(b);
    return new ArrayList<>(out);
  }

  private static final class Compare extends DoFn<KV<String, CoGbkResult>, ContactUpdate> {
    private final TupleTag<ContactUpdate> currentTag;
    private final TupleTag<SyncStateEntry> previousTag;
    private final boolean fullResync;
    private final boolean consentRules;
    private final boolean smsWithdrawals;
    private final boolean pushWithdrawals;
    private final boolean everyone;
    private final Counter added = Metrics.counter(DeltaSync.class, "new");
    private final Counter changed = Metrics.counter(DeltaSync.class, "changed");
    private final Counter unchanged = Metrics.counter(DeltaSync.class, "unchanged");
    private final Counter gone = Metrics.counter(DeltaSync.class, "gone");
    private final Counter withdrawn = Metrics.counter(DeltaSync.class, "withdrawn");
    private final Counter dropped = Metrics.counter(DeltaSync.class, "dropped_without_consent");
    private final Counter smsWithdrawn = Metrics.counter(DeltaSync.class, "sms_withdrawn");
    private final Counter pushWithdrawn = Metrics.counter(DeltaSync.class, "push_withdrawn");

    Compare(TupleTag<ContactUpdate> currentTag, TupleTag<SyncStateEntry> previousTag,
        boolean fullResync, boolean consentRules, boolean smsWithdrawals,
        boolean pushWithdrawals, boolean everyone) {
      this.everyone = everyone;
      this.currentTag = currentTag;
      this.previousTag = previousTag;
      this.fullResync = fullResync;
      this.consentRules = consentRules;
      this.smsWithdrawals = smsWithdrawals;
      this.pushWithdrawals = pushWithdrawals;
    }

    @ProcessElement
    public void process(@Element KV<String, CoGbkResult> joined, MultiOutputReceiver out) {
      Iterator<ContactUpdate> currents = joined.getValue().getAll(currentTag).iterator();
      Iterator<SyncStateEntry> previouses = joined.getValue().getAll(previousTag).iterator();
      ContactUpdate current = currents.hasNext() ? currents.next() : null;
      SyncStateEntry previous = previouses.hasNext() ? previouses.next() : null;
      if (current == null) {
        if (previous != null && !previous.getSegments().isEmpty()) {
          gone.inc();
          // consent unknown: only out of their segments, never unsubscribed nor created
          out.get(CHANGES).output(ContactUpdate.builder(previous.getKey())
              .setEmail(previous.getEmail()).setPhone(previous.getPhone())
              .setSegmentsExited(previous.getSegments()).setExitOnly(true).build());
        }
        return; // the customer leaves the state
      }
      List<String> before = previous == null ? List.of() : previous.getSegments();
      List<String> now = List.copyOf(new TreeSet<>(current.getSegmentsCurrent()));
      String hash = payloadHash(current);
      boolean isNew = previous == null;
      if (isNew && now.isEmpty() && !fullResync && !everyone) {
        return; // never synced and in no segment: nothing to tell the vendor yet
      }
      if (consentRules && !current.mayReceiveEmail()) {
        if (isNew) {
          // never received: nothing to withdraw, and nothing may be sent; no state either, so
          // a later consent makes them a new customer
          dropped.inc();
          out.get(SKIPPED).output(current.getKey());
          return;
        }
        withdrawal(current, previous, now, hash, smsWithdrawal(current, previous, out),
            pushWithdrawal(current, previous, out), out);
        return;
      }
      boolean sms = smsWithdrawal(current, previous, out);
      boolean push = pushWithdrawal(current, previous, out);
      boolean differs = isNew || previous.getWithdrawn()
          || !hash.equals(previous.getPayloadHash());
      if (isNew) {
        added.inc();
      } else if (differs) {
        changed.inc();
      } else {
        unchanged.inc();
      }
      if (differs || fullResync) {
        out.get(CHANGES).output(current.toBuilder().setSegmentsCurrent(now)
            .setSegmentsEntered(minus(now, before)).setSegmentsExited(minus(before, now))
            .build());
      }
      out.get(STATE).output(SyncStateEntry.create(current.getKey(), hash, now,
          current.getEmail(), current.getPhone(), false, sms, push));
    }

    /**
     * Sends the push withdrawal of a customer who refused push and whom the destination has
     * from an earlier sync, unless the state records it as delivered (or on a full resync);
     * returns the new state's {@code push_withdrawn}: false for a customer new to the
     * destination, so the next run sends it once the destination has them. If the sink fails
     * for the customer, the commit keeps the previous entry, so it is sent again next run.
     */
    private boolean pushWithdrawal(ContactUpdate current, SyncStateEntry previous,
        MultiOutputReceiver out) {
      if (!pushWithdrawals || !current.refusesPush() || previous == null) {
        return false;
      }
      if (!previous.getPushWithdrawn() || fullResync) {
        if (!previous.getPushWithdrawn()) {
          pushWithdrawn.inc();
        }
        out.get(CHANGES).output(ContactUpdate.pushWithdrawal(current.getKey()));
      }
      return true;
    }

    /**
     * Sends the SMS withdrawal of a customer without SMS consent whose number the destination
     * has from an earlier sync, unless the state records it as delivered for that number (or
     * on a full resync); returns the new state's {@code sms_withdrawn}. If the sink fails for
     * the customer, the commit keeps the previous entry, so it is sent again next run.
     */
    private boolean smsWithdrawal(ContactUpdate current, SyncStateEntry previous,
        MultiOutputReceiver out) {
      if (!smsWithdrawals || current.mayReceiveSms()) {
        return false;
      }
      String phone = current.getPhone();
      boolean known = previous != null && phone != null && phone.equals(previous.getPhone());
      if (known && (!previous.getSmsWithdrawn() || fullResync)) {
        if (!previous.getSmsWithdrawn()) {
          smsWithdrawn.inc();
        }
        out.get(CHANGES).output(ContactUpdate.smsWithdrawal(current.getKey(), phone));
      }
      return true;
    }

    /**
     * A customer without consent: sent (the sink turns it into an unsubscribe and removal from
     * every segment) until the state says the withdrawal was delivered for this payload. The
     * state after the sync holds no segment for them; if the sink fails, the commit keeps the
     * previous entry, so the next run sends the withdrawal again.
     */
    private void withdrawal(ContactUpdate current, SyncStateEntry previous, List<String> now,
        String hash, boolean sms, boolean push, MultiOutputReceiver out) {
      boolean delivered = previous != null && previous.getWithdrawn()
          && hash.equals(previous.getPayloadHash());
      if (delivered) {
        unchanged.inc();
      } else {
        withdrawn.inc();
      }
      if (!delivered || fullResync) {
        TreeSet<String> held = new TreeSet<>(now);
        if (previous != null) {
          held.addAll(previous.getSegments());
        }
        out.get(CHANGES).output(current.toBuilder().setSegmentsCurrent(now)
            .setSegmentsEntered(List.of()).setSegmentsExited(new ArrayList<>(held)).build());
      }
      out.get(STATE).output(SyncStateEntry.create(current.getKey(), hash, List.of(),
          current.getEmail(), current.getPhone(), true, sms, push));
    }
  }
}
