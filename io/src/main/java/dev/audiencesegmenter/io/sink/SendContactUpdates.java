package dev.audiencesegmenter.io.sink;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.model.DeadLetter;
import dev.failsafe.RateLimiter;
import dev.failsafe.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Sends {@link ContactUpdate}s to a vendor through a {@link VendorConnector}: the shared core of
 * every activation sink.
 *
 * <pre>{@code
 * SendContactUpdates.Result sent = changes.apply(SendContactUpdates.to(
 *     MailchimpConnector.create(Credential.fromEnvironment("MAILCHIMP_API_KEY"), "list-id")));
 * sent.getDeadLetters();  // records the platform refused, with why
 * }</pre>
 *
 * <ol>
 *   <li><b>Consent</b> (platforms that {@link VendorConnector#handlesWithdrawals() handle
 *       withdrawals}: every email platform, and HubSpot): a customer without email consent, or
 *       unsubscribed, is never added. They are sent as a {@link ContactUpdate#getWithdrawn()
 *       withdrawal} (also {@code exit_only}, nothing current or entered, every segment held
 *       exited), which the connector turns into the platform's own unsubscribe or suppression
 *       and a removal from every segment list, tag or attribute it manages, and which carries
 *       nothing else about the person. With {@link DeltaSync}, a withdrawal is sent until it is
 *       delivered (a failure dead-letters it and the state keeps it pending), then not again.
 *       Exit-only updates (a customer who left the input) only remove. An {@link
 *       ContactUpdate#getSmsWithdrawn() SMS withdrawal} (key and phone only, from {@link
 *       DeltaSync#withSmsWithdrawals}) goes as it is to a platform that {@link
 *       VendorConnector#handlesSmsWithdrawals() handles SMS withdrawals} (its own SMS
 *       unsubscribe), and is dead-lettered anywhere else; a {@link
 *       ContactUpdate#getPushWithdrawn() push withdrawal} (key only, from {@link
 *       DeltaSync#withPushWithdrawals}) the same with {@link
 *       VendorConnector#handlesPushWithdrawals()}.
 *       Optionally emails and phones are replaced by the SHA-256 hex of their normalized form
 *       ({@link #withHashedIdentifiers}).
 *   <li><b>Batching</b> on a small number of shard keys (hash of the contact key modulo
 *       {@link #getNumShards()}). Bounded input: a {@link GroupByKey} per shard, cut into
 *       requests as the group is read. Unbounded input: Beam's stateful {@link GroupIntoBatches}
 *       (batches of up to {@link #getMaxConcurrentRequests()} requests' worth, partial batches
 *       flushed after {@link #getMaxBufferingDuration()}), unlike buffering in a DoFn until
 *       {@code @FinishBundle}, whose batches shrink to the runner's tiny streaming bundles.
 *       Either way the send step cuts every group to the vendor's record and byte limits.
 *   <li><b>Rate and concurrency</b>: per JVM and account, a Failsafe smooth {@link RateLimiter}
 *       of {@link #getMaxRequestsPerSecond()} and a semaphore of
 *       {@link #getMaxConcurrentRequests()} requests in flight; a shard's requests are sent
 *       side by side by that many threads ({@link SendBatches}), so a slow request does not
 *       stop its shard. Across a job, at most
 *       {@code workers x maxConcurrentRequests} requests are in flight and
 *       {@code workers x maxRequestsPerSecond} are sent per second; set these so that the
 *       products stay under the vendor's account limits (for Mailchimp's 10 connections with 2
 *       workers, at most 5).
 *   <li><b>Retries</b> of transient failures (429, 408, 423, 425, 5xx, timeouts, connection
 *       resets) with a Failsafe {@link RetryPolicy}: exponential backoff from
 *       {@link #getInitialBackoff()} doubling up to {@link #getMaxBackoff()}, with "equal"
 *       jitter (a random wait between half and all of the backoff), and never shorter than the
 *       vendor's {@code Retry-After} or rate-limit reset header. A vendor asking to wait longer
 *       than {@link #getMaxRetryAfter()} (a daily quota) is not waited for: the batch is
 *       dead-lettered. The semaphore is not held while waiting. A wait the vendor asked for
 *       holds for every thread on the account; a throttling answer that asks none takes one
 *       slot off the account's concurrency until as many calls as there are slots went
 *       through (vendors that limit calls in flight count the ones a client gave up on).
 *   <li><b>Failures</b>: permanent errors and records rejected in partial successes go to the
 *       dead letters with the vendor's message; so do batches still failing after
 *       {@link #getMaxRetries()} retries. A request refused as a whole because of some records
 *       in it ({@link CallOutcome#refusedForRecords}) is sent again without them in the same
 *       run: the named ones are dead-lettered, unnamed ones are found by halving. Writes are upserts by a stable key, so a retried
 *       request cannot create duplicates.
 *   <li><b>Dry run</b> ({@link #withDryRunDirectory}): the requests are written as JSON Lines
 *       (method, URL, non-secret headers, body, keys) into that folder, and no HTTP call is made.
 * </ol>
 *
 * <p>Metrics, namespace {@code sink.<vendor>}: records_sent, records_rejected,
 * records_withdrawn, records_sms_withdrawn, records_push_withdrawn, records_nothing_to_send,
 * records_dry_run, requests_sent,
 * requests_retried, requests_throttled, requests_split. The credential never appears in messages, dead letters, metrics, display
 * data or {@link #toString()}.
 */
@AutoValue
public abstract class SendContactUpdates
    extends PTransform<PCollection<ContactUpdate>, SendContactUpdates.Result> {

  public abstract VendorConnector getConnector();

  public abstract int getNumShards();

  public abstract int getMaxConcurrentRequests();

  public abstract double getMaxRequestsPerSecond();

  public abstract int getMaxRetries();

  public abstract Duration getInitialBackoff();

  public abstract Duration getMaxBackoff();

  public abstract Duration getMaxRetryAfter();

  public abstract Duration getRequestTimeout();

  public abstract org.joda.time.Duration getMaxBufferingDuration();

  public abstract boolean getHashedIdentifiers();

  public abstract @Nullable String getDryRunDirectory();

  abstract Builder toBuilder();

  /** Sends through {@code connector} with defaults fit for most vendors. */
  public static SendContactUpdates to(VendorConnector connector) {
    if (connector == null) {
      throw new IllegalArgumentException("SendContactUpdates needs a connector");
    }
    return new AutoValue_SendContactUpdates.Builder()
        .setConnector(connector)
        .setNumShards(4)
        .setMaxConcurrentRequests(4)
        .setMaxRequestsPerSecond(5)
        .setMaxRetries(8)
        .setInitialBackoff(Duration.ofSeconds(1))
        .setMaxBackoff(Duration.ofSeconds(60))
        .setMaxRetryAfter(Duration.ofMinutes(15))
        .setRequestTimeout(Duration.ofSeconds(60))
        .setMaxBufferingDuration(org.joda.time.Duration.standardSeconds(10))
        .setHashedIdentifiers(false)
        .build();
  }

  /** Shard keys for batching (default 4): the parallelism of batching and sending. */
  public SendContactUpdates withNumShards(int shards) {
    check(shards >= 1, "numShards must be at least 1, got " + shards);
    return toBuilder().setNumShards(shards).build();
  }

  /** Requests in flight per JVM and account (default 4). */
  public SendContactUpdates withMaxConcurrentRequests(int requests) {
    check(requests >= 1, "maxConcurrentRequests must be at least 1, got " + requests);
    return toBuilder().setMaxConcurrentRequests(requests).build();
  }

  /** Requests per second per JVM and account (default 5), retries included. */
  public SendContactUpdates withMaxRequestsPerSecond(double rate) {
    check(rate > 0 && rate <= 10_000, "maxRequestsPerSecond must be in (0, 10000], got " + rate);
    return toBuilder().setMaxRequestsPerSecond(rate).build();
  }

  /** Retries of a transient failure before the batch is dead-lettered (default 8). */
  public SendContactUpdates withMaxRetries(int retries) {
    check(retries >= 0, "maxRetries must be 0 or more, got " + retries);
    return toBuilder().setMaxRetries(retries).build();
  }

  /** First and largest backoff (default 1 s and 60 s). */
  public SendContactUpdates withBackoff(Duration initial, Duration max) {
    check(initial != null && !initial.isNegative() && !initial.isZero(),
        "initial backoff must be positive, got " + initial);
    check(max != null && max.compareTo(initial) >= 0,
        "max backoff must be at least the initial one (" + initial + "), got " + max);
    return toBuilder().setInitialBackoff(initial).setMaxBackoff(max).build();
  }

  /** Longest Retry-After waited for (default 15 minutes); longer means dead-letter. */
  public SendContactUpdates withMaxRetryAfter(Duration max) {
    check(max != null && !max.isNegative(), "maxRetryAfter must not be negative, got " + max);
    return toBuilder().setMaxRetryAfter(max).build();
  }

  /** Timeout of one HTTP request (default 60 s). */
  public SendContactUpdates withRequestTimeout(Duration timeout) {
    check(timeout != null && !timeout.isNegative() && !timeout.isZero(),
        "request timeout must be positive, got " + timeout);
    return toBuilder().setRequestTimeout(timeout).build();
  }

  /** In streaming, how long a partial batch may wait for more records (default 10 s). */
  public SendContactUpdates withMaxBufferingDuration(org.joda.time.Duration duration) {
    check(duration != null && duration.getMillis() > 0,
        "max buffering duration must be positive, got " + duration);
    return toBuilder().setMaxBufferingDuration(duration).build();
  }

  /** Sends SHA-256 hex of normalized emails (trimmed, lower case) and phones (E.164). */
  public SendContactUpdates withHashedIdentifiers(boolean hashed) {
    return toBuilder().setHashedIdentifiers(hashed).build();
  }

  /** Writes the requests into this folder instead of sending them. */
  public SendContactUpdates withDryRunDirectory(String directory) {
    check(directory != null && !directory.isBlank(),
        "dry-run folder must not be blank, got '" + directory + "'");
    return toBuilder().setDryRunDirectory(directory.endsWith("/") ? directory
        : directory + "/").build();
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setConnector(VendorConnector connector);

    abstract Builder setNumShards(int shards);

    abstract Builder setMaxConcurrentRequests(int requests);

    abstract Builder setMaxRequestsPerSecond(double rate);

    abstract Builder setMaxRetries(int retries);

    abstract Builder setInitialBackoff(Duration backoff);

    abstract Builder setMaxBackoff(Duration backoff);

    abstract Builder setMaxRetryAfter(Duration max);

    abstract Builder setRequestTimeout(Duration timeout);

    abstract Builder setMaxBufferingDuration(org.joda.time.Duration duration);

    abstract Builder setHashedIdentifiers(boolean hashed);

    abstract Builder setDryRunDirectory(String directory);

    abstract SendContactUpdates build();
  }

  static final TupleTag<KV<Integer, ContactUpdate>> READY = new TupleTag<>() {};
  static final TupleTag<DeadLetter> DEAD = new TupleTag<>() {};
  static final TupleTag<String> SENT = new TupleTag<>() {};
  static final TupleTag<String> FAILED = new TupleTag<>() {};
  static final TupleTag<String> DRY_RUN = new TupleTag<>() {};

  @Override
  public Result expand(PCollection<ContactUpdate> input) {
    VendorConnector connector = getConnector();
    if (getMaxConcurrentRequests() > connector.maxConcurrentRequestsPerAccount()) {
      throw new IllegalArgumentException(connector.vendor() + " allows at most "
          + connector.maxConcurrentRequestsPerAccount() + " simultaneous requests per account, "
          + "but maxConcurrentRequests is " + getMaxConcurrentRequests() + " per worker");
    }
    String step = "Send to " + connector.vendor();
    Pipeline pipeline = input.getPipeline();
    org.apache.beam.sdk.coders.Coder<ContactUpdate> updateCoder = input.getCoder();

    PCollectionTuple prepared = input.apply("ConsentAndValidate",
        ParDo.of(new Prepare(connector, getNumShards(), getHashedIdentifiers(), step))
            .withOutputTags(READY, TupleTagList.of(List.of(DEAD, FAILED))));
    prepared.get(READY).setCoder(KvCoder.of(VarIntCoder.of(), updateCoder));
    prepared.get(FAILED).setCoder(StringUtf8Coder.of());

    PCollection<KV<Integer, Iterable<ContactUpdate>>> batches;
    if (input.isBounded() == PCollection.IsBounded.BOUNDED) {
      // one group per shard, cut into requests as it is read: GroupIntoBatches' per-element
      // state is slow on the Direct runner, and a bounded input has nothing to wait for
      batches = prepared.get(READY).apply("GroupByShard", GroupByKey.create());
    } else {
      // a group is up to maxConcurrentRequests requests' worth, sent side by side
      batches = prepared.get(READY)
          .apply("Batch", GroupIntoBatches.<Integer, ContactUpdate>ofSize(
                  (long) connector.maxRecordsPerRequest() * getMaxConcurrentRequests())
              .withByteSize(connector.maxBytesPerRequest() * getMaxConcurrentRequests(),
                  new Weigher(connector))
              .withMaxBufferingDuration(getMaxBufferingDuration()));
    }

    PCollectionTuple sent = batches.apply("Send", ParDo.of(new SendBatches(this, step))
        .withOutputTags(DEAD, TupleTagList.of(List.of(SENT, FAILED, DRY_RUN))));
    sent.get(SENT).setCoder(StringUtf8Coder.of());
    sent.get(FAILED).setCoder(StringUtf8Coder.of());
    sent.get(DRY_RUN).setCoder(StringUtf8Coder.of());

    if (getDryRunDirectory() != null) {
      sent.get(DRY_RUN).apply("WriteDryRunRequests", TextIO.write()
          .to(getDryRunDirectory() + connector.vendor() + "-requests")
          .withShardNameTemplate("-SSSSS-of-NNNNN").withSuffix(".jsonl"));
    }

    PCollection<DeadLetter> deadLetters = org.apache.beam.sdk.values.PCollectionList
        .of(prepared.get(DEAD)).and(sent.get(DEAD))
        .apply("AllDeadLetters", org.apache.beam.sdk.transforms.Flatten.pCollections());
    PCollection<String> failed = org.apache.beam.sdk.values.PCollectionList
        .of(prepared.get(FAILED)).and(sent.get(FAILED))
        .apply("AllFailedKeys", org.apache.beam.sdk.transforms.Flatten.pCollections());
    return new Result(pipeline, deadLetters, sent.get(SENT), failed);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    VendorConnector connector = getConnector();
    builder.add(DisplayData.item("vendor", connector.vendor()).withLabel("Vendor"))
        .add(DisplayData.item("account", connector.account()).withLabel("Account"))
        .add(DisplayData.item("credential", connector.credential().describe())
            .withLabel("Credential from"))
        .add(DisplayData.item("maxRecordsPerRequest", connector.maxRecordsPerRequest()))
        .add(DisplayData.item("maxBytesPerRequest", connector.maxBytesPerRequest()))
        .add(DisplayData.item("numShards", getNumShards()))
        .add(DisplayData.item("maxConcurrentRequests", getMaxConcurrentRequests()))
        .add(DisplayData.item("maxRequestsPerSecond", getMaxRequestsPerSecond()))
        .add(DisplayData.item("maxRetries", getMaxRetries()))
        .add(DisplayData.item("hashedIdentifiers", getHashedIdentifiers()))
        .addIfNotNull(DisplayData.item("dryRunDirectory", getDryRunDirectory()));
  }

  @Override
  public final String toString() {
    return "SendContactUpdates{vendor=" + getConnector().vendor() + ", account="
        + getConnector().account() + ", credential=" + Credential.MASK + ", dryRun="
        + getDryRunDirectory() + "}";
  }

  /** What the sink produced; wait on {@link #getSentKeys()} to act after the sync. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<DeadLetter> deadLetters;
    private final PCollection<String> sentKeys;
    private final PCollection<String> failedKeys;

    Result(Pipeline pipeline, PCollection<DeadLetter> deadLetters, PCollection<String> sentKeys,
        PCollection<String> failedKeys) {
      this.pipeline = pipeline;
      this.deadLetters = deadLetters;
      this.sentKeys = sentKeys;
      this.failedKeys = failedKeys;
    }

    /** Records the vendor rejected or that could not be sent, with the reason. */
    public PCollection<DeadLetter> getDeadLetters() {
      return deadLetters;
    }

    /** Keys of the updates the vendor accepted (empty in a dry run). */
    public PCollection<String> getSentKeys() {
      return sentKeys;
    }

    /** Keys of the updates that are in the dead letters. */
    public PCollection<String> getFailedKeys() {
      return failedKeys;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(DEAD, deadLetters, SENT, sentKeys, FAILED, failedKeys);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input,
        PTransform<?, ?> transform) {}
  }

  /** Bytes a record adds to a request, as the connector counts them. */
  private static final class Weigher implements SerializableFunction<ContactUpdate, Long> {
    private final VendorConnector connector;

    Weigher(VendorConnector connector) {
      this.connector = connector;
    }

    @Override
    public Long apply(ContactUpdate update) {
      return connector.recordBytes(update);
    }
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Emails trimmed and lower-cased; phones reduced to + and digits. */
  public static String normalizeEmail(String email) {
    return email.trim().toLowerCase(Locale.ROOT);
  }

  public static String normalizePhone(String phone) {
    String digits = phone.replaceAll("[^0-9]", "");
    return "+" + digits;
  }

  /** Consent rules, identifier hashing, the connector's own checks, shard keys. */
  private static final class Prepare extends DoFn<ContactUpdate, KV<Integer, ContactUpdate>> {
    private final VendorConnector connector;
    private final int shards;
    private final boolean hash;
    private final String step;
    private final Counter withdrawn;
    private final Counter smsWithdrawn;
    private final Counter pushWithdrawn;
    private final Counter rejected;

    Prepare(VendorConnector connector, int shards, boolean hash, String step) {
      this.connector = connector;
      this.shards = shards;
      this.hash = hash;
      this.step = step;
      String namespace = "sink." + connector.vendor();
      this.withdrawn = Metrics.counter(namespace, "records_withdrawn");
      this.smsWithdrawn = Metrics.counter(namespace, "records_sms_withdrawn");
      this.pushWithdrawn = Metrics.counter(namespace, "records_push_withdrawn");
      this.rejected = Metrics.counter(namespace, "records_rejected");
    }

    @ProcessElement
    public void process(@Element ContactUpdate update, MultiOutputReceiver out) {
      ContactUpdate ready = update;
      if (update.getSmsWithdrawn()) {
        if (!connector.handlesSmsWithdrawals()) {
          // never silently: the state must not record an SMS withdrawal nobody delivered
          rejected.inc();
          out.get(DEAD).output(DeadLetter.create(step, connector.vendor()
              + " takes no SMS withdrawals: the SMS unsubscribe was not sent", update.toJson()));
          out.get(FAILED).output(update.getKey());
          return;
        }
      } else if (update.getPushWithdrawn()) {
        if (!connector.handlesPushWithdrawals()) {
          rejected.inc();
          out.get(DEAD).output(DeadLetter.create(step, connector.vendor()
              + " takes no push withdrawals: the push unsubscribe was not sent",
              update.toJson()));
          out.get(FAILED).output(update.getKey());
          return;
        }
      } else if (update.isWithdrawal(connector.handlesWithdrawals())) {
        ready = withdrawal(update);
        withdrawn.inc();
      } else if (update.getExitOnly()) {
        ready = update.toBuilder().setSegmentsEntered(List.of()).build();
      }
      if (hash) {
        ContactUpdate.Builder hashed = ready.toBuilder();
        if (ready.getEmail() != null) {
          hashed.setEmail(sha256Hex(normalizeEmail(ready.getEmail())));
        }
        if (ready.getPhone() != null) {
          hashed.setPhone(sha256Hex(normalizePhone(ready.getPhone())));
        }
        ready = hashed.build();
      }
      String reason = connector.rejectionReason(ready);
      if (reason == null && connector.recordBytes(ready) > connector.maxBytesPerRequest()) {
        reason = "record of " + connector.recordBytes(ready) + " bytes exceeds the "
            + connector.vendor() + " limit of " + connector.maxBytesPerRequest()
            + " bytes per request";
      }
      if (reason != null) {
        rejected.inc();
        out.get(DEAD).output(DeadLetter.create(step, reason, ready.toJson()));
        out.get(FAILED).output(ready.getKey());
        return;
      }
      if (ready.getSmsWithdrawn()) {
        smsWithdrawn.inc();
      }
      if (ready.getPushWithdrawn()) {
        pushWithdrawn.inc();
      }
      out.get(READY).output(KV.of(Math.floorMod(ready.getKey().hashCode(), shards), ready));
    }
  }

  /**
   * The withdrawal of {@code update}: nothing to add, every segment the customer is or was in
   * to leave, and the platform's unsubscribe or suppression (the connector's part).
   */
  static ContactUpdate withdrawal(ContactUpdate update) {
    java.util.TreeSet<String> leave = new java.util.TreeSet<>(update.getSegmentsExited());
    leave.addAll(update.getSegmentsCurrent());
    return update.toBuilder().setWithdrawn(true).setExitOnly(true)
        .setSegmentsCurrent(List.of()).setSegmentsEntered(List.of())
        .setSegmentsExited(List.copyOf(leave)).build();
  }

  /** Distinct keys, for tests and callers that need them. */
  static Set<String> keys(List<ContactUpdate> updates) {
    Set<String> keys = new HashSet<>();
    updates.forEach(update -> keys.add(update.getKey()));
    return keys;
  }
}
