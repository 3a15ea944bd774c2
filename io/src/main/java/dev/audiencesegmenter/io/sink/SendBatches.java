package dev.audiencesegmenter.io.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.model.DeadLetter;
import dev.failsafe.Failsafe;
import dev.failsafe.RateLimiter;
import dev.failsafe.RetryPolicy;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The send step of {@link SendContactUpdates}: splits groups to the vendor's limits, plans the
 * calls, and sends them with retries.
 *
 * <p>A group (a whole shard for bounded input, a batch of up to {@code maxConcurrentRequests}
 * requests' worth in streaming) is cut into chunks as it is read, and the chunks are sent by a
 * pool of {@code maxConcurrentRequests} threads, so each shard keeps several requests in flight
 * (one request at a time per shard cannot reach a vendor's rate limit once latency exceeds the
 * interval between requests) and a hanging request holds up one slot only. The per-account
 * semaphore and rate limiter still bound the JVM. The element waits for its chunks, and outputs
 * and metrics are counted on the element's own thread, where Beam attributes them; a failed
 * send fails the bundle, and the runner's retry is safe because writes are upserts.
 */
final class SendBatches extends DoFn<KV<Integer, Iterable<ContactUpdate>>, DeadLetter> {
  /** Calls for one planned call, follow-ups included: a bound on a connector polling forever. */
  static final int MAX_STEPS = 100_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Per JVM: one semaphore and one rate limiter per vendor account. */
  private static final Map<String, CallsInFlight> IN_FLIGHT = new ConcurrentHashMap<>();

  /**
   * The slots for requests in flight to one account: {@code maxConcurrent}, one fewer after
   * each answer that says we went too fast without saying how long to wait, one more again
   * after as many accepted calls as there are slots (additive, as TCP grows its window). A
   * vendor that limits calls in flight (Zoho) counts a call the client gave up on until it
   * ends on its side, so the client's own count can be right and still one too many; fewer
   * slots for a while stop the following calls from meeting the same refusal.
   */
  static final class CallsInFlight extends Semaphore {
    private final int max;
    private int limit;
    private int accepted;

    CallsInFlight(int max) {
      super(max, true);
      this.max = max;
      this.limit = max;
    }

    synchronized void throttled() {
      if (limit > 1) {
        limit--;
        accepted = 0;
        reducePermits(1);
      }
    }

    synchronized void accepted() {
      if (limit < max && ++accepted >= limit) {
        limit++;
        accepted = 0;
        release();
      }
    }
  }
  private static final Map<String, RateLimiter<Object>> RATES = new ConcurrentHashMap<>();
  /**
   * Per JVM and account: no request leaves before this time (System.nanoTime), set when a
   * throttling answer says how long to wait: the wait holds for every thread on the account,
   * not only the one that was told.
   */
  private static final Map<String, java.util.concurrent.atomic.AtomicLong> PAUSED_UNTIL =
      new ConcurrentHashMap<>();

  private final VendorConnector connector;
  private final String step;
  private final int maxConcurrent;
  private final double perSecond;
  private final int maxRetries;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration maxRetryAfter;
  private final Duration timeout;
  private final boolean dryRun;
  private final Counter recordsSent;
  private final Counter recordsRejected;
  private final Counter recordsDryRun;
  private final Counter recordsNothingToSend;
  private final Counter requestsSent;
  private final Counter requestsRetried;
  private final Counter requestsThrottled;
  private final Counter requestsSplit;
  private transient @Nullable HttpClient http;
  private transient @Nullable ExecutorService pool;
  /** Resolved in {@link #setup()}: the DoFn carries only the credential's reference. */
  private transient @Nullable String resolvedSecret;

  /** What sending one chunk produced, gathered off the bundle thread. */
  static final class ChunkOutcome {
    final List<String> sent = new ArrayList<>();
    final List<String> failed = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();
    final List<String> dryRun = new ArrayList<>();
    long recordsSent;
    long recordsRejected;
    long recordsDryRun;
    long recordsNothingToSend;
    long requestsSent;
    long requestsRetried;
    long requestsThrottled;
    long requestsSplit;

    void add(ChunkOutcome other) {
      sent.addAll(other.sent);
      failed.addAll(other.failed);
      deadLetters.addAll(other.deadLetters);
      dryRun.addAll(other.dryRun);
      recordsSent += other.recordsSent;
      recordsRejected += other.recordsRejected;
      recordsDryRun += other.recordsDryRun;
      recordsNothingToSend += other.recordsNothingToSend;
      requestsSent += other.requestsSent;
      requestsRetried += other.requestsRetried;
      requestsThrottled += other.requestsThrottled;
      requestsSplit += other.requestsSplit;
    }
  }

  SendBatches(SendContactUpdates spec, String step) {
    this.connector = spec.getConnector();
    this.step = step;
    this.maxConcurrent = spec.getMaxConcurrentRequests();
    this.perSecond = spec.getMaxRequestsPerSecond();
    this.maxRetries = spec.getMaxRetries();
    this.initialBackoff = spec.getInitialBackoff();
    this.maxBackoff = spec.getMaxBackoff();
    this.maxRetryAfter = spec.getMaxRetryAfter();
    this.timeout = spec.getRequestTimeout();
    this.dryRun = spec.getDryRunDirectory() != null;
    String namespace = "sink." + connector.vendor();
    this.recordsSent = Metrics.counter(namespace, "records_sent");
    this.recordsRejected = Metrics.counter(namespace, "records_rejected");
    this.recordsDryRun = Metrics.counter(namespace, "records_dry_run");
    this.recordsNothingToSend = Metrics.counter(namespace, "records_nothing_to_send");
    this.requestsSent = Metrics.counter(namespace, "requests_sent");
    this.requestsRetried = Metrics.counter(namespace, "requests_retried");
    this.requestsThrottled = Metrics.counter(namespace, "requests_throttled");
    this.requestsSplit = Metrics.counter(namespace, "requests_split");
  }

  @Setup
  public void setup() {
    resolvedSecret = secret();
    if (!dryRun) {
      http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(timeout).build();
    }
    AtomicInteger threads = new AtomicInteger();
    pool = Executors.newFixedThreadPool(maxConcurrent, task -> {
      Thread thread = new Thread(task, "sink-" + connector.vendor() + "-"
          + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  @ProcessElement
  public void process(@Element KV<Integer, Iterable<ContactUpdate>> group,
      MultiOutputReceiver out) throws Exception {
    String secret = java.util.Objects.requireNonNull(resolvedSecret, "resolved in setup()");
    Iterator<List<ContactUpdate>> chunks = chunks(group.getValue().iterator());
    if (!chunks.hasNext()) {
      return;
    }
    List<ContactUpdate> first = chunks.next();
    if (!chunks.hasNext()) {
      emit(sendChunk(first, secret), out); // one request's worth: no need for the pool
      return;
    }
    // Results are taken as they complete, in any order, so a hanging request does not keep
    // the others from being sent; at most 2 x maxConcurrent chunks are queued or in flight.
    CompletionService<ChunkOutcome> completed = new ExecutorCompletionService<>(pool);
    Set<Future<ChunkOutcome>> pending = new HashSet<>(); // done ones leave as they are emitted
    try {
      List<ContactUpdate> next = first;
      while (next != null) {
        while (pending.size() >= 2 * maxConcurrent) {
          emit(take(completed, pending), out);
        }
        List<ContactUpdate> chunk = next;
        pending.add(completed.submit(() -> sendChunk(chunk, secret)));
        next = chunks.hasNext() ? chunks.next() : null;
      }
      while (!pending.isEmpty()) {
        emit(take(completed, pending), out);
      }
    } finally {
      pending.forEach(future -> future.cancel(true));
    }
  }

  private static ChunkOutcome take(CompletionService<ChunkOutcome> completed,
      Set<Future<ChunkOutcome>> pending) throws Exception {
    Future<ChunkOutcome> future = completed.take();
    pending.remove(future);
    return result(future);
  }

  private static ChunkOutcome result(Future<ChunkOutcome> future) throws Exception {
    try {
      return future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof Exception failure ? failure : new IllegalStateException(cause);
    }
  }

  @Teardown
  public void teardown() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  /** The secret, resolved on this worker; a failure names the vendor and the reference. */
  private String secret() {
    try {
      return connector.credential().reveal();
    } catch (IllegalStateException notResolved) {
      if (dryRun) {
        return "dry-run-placeholder-dc0"; // shows where the key goes (dc0: a data center)
      }
      throw new IllegalStateException(step + ": " + notResolved.getMessage());
    }
  }

  private void emit(ChunkOutcome outcome, MultiOutputReceiver out) {
    outcome.sent.forEach(out.get(SendContactUpdates.SENT)::output);
    outcome.failed.forEach(out.get(SendContactUpdates.FAILED)::output);
    outcome.deadLetters.forEach(out.get(SendContactUpdates.DEAD)::output);
    outcome.dryRun.forEach(out.get(SendContactUpdates.DRY_RUN)::output);
    requestsSent.inc(outcome.requestsSent);
    requestsRetried.inc(outcome.requestsRetried);
    requestsThrottled.inc(outcome.requestsThrottled);
    requestsSplit.inc(outcome.requestsSplit);
    recordsSent.inc(outcome.recordsSent);
    recordsRejected.inc(outcome.recordsRejected);
    recordsDryRun.inc(outcome.recordsDryRun);
    recordsNothingToSend.inc(outcome.recordsNothingToSend);
  }

  /** Plans and sends one chunk (or describes it, in a dry run). */
  ChunkOutcome sendChunk(List<ContactUpdate> chunk, String secret) throws InterruptedException {
    ChunkOutcome outcome = new ChunkOutcome();
    List<VendorCall> calls = connector.plan(chunk, secret);
    checkPlan(chunk, calls);
    Set<String> planned = new HashSet<>();
    calls.forEach(call -> planned.addAll(SendContactUpdates.keys(call.records())));
    // A record may need more than one call (say, an upsert and a tag removal); it is sent when
    // every call that carries it succeeded, else dead-lettered once.
    Map<String, String> rejections = new LinkedHashMap<>();
    // records of requests the vendor refused as a whole because of some of them
    Set<String> refusedWhole = new HashSet<>();
    for (VendorCall call : calls) {
      if (dryRun) {
        outcome.dryRun.add(Credential.redact(describe(call), secret));
      } else {
        send(call, secret, rejections, refusedWhole, outcome);
      }
    }
    Set<String> resent = resendWithoutCulprits(chunk, rejections, refusedWhole, secret, outcome);
    for (ContactUpdate record : chunk) {
      if (resent.contains(record.getKey())) {
        continue; // counted by the send that settled it
      } else if (dryRun) {
        outcome.recordsDryRun++;
      } else if (!planned.contains(record.getKey())) {
        outcome.recordsNothingToSend++; // the connector had nothing to send for it
        outcome.sent.add(record.getKey());
      } else if (rejections.containsKey(record.getKey())) {
        outcome.recordsRejected++;
        outcome.deadLetters.add(DeadLetter.create(step,
            Credential.redact(rejections.get(record.getKey()), secret),
            Credential.redact(record.toJson(), secret)));
        outcome.failed.add(record.getKey());
      } else {
        outcome.recordsSent++;
        outcome.sent.add(record.getKey());
      }
    }
    return outcome;
  }

  /**
   * Sends again, in the same run, the records of requests refused as a whole because of some
   * records in them, less the ones the vendor named: the rest in one go when it named any,
   * else in halves, so that a bad record ends up alone and only it is dead-lettered. Returns
   * the keys settled here.
   */
  private Set<String> resendWithoutCulprits(List<ContactUpdate> chunk,
      Map<String, String> rejections, Set<String> refusedWhole, String secret,
      ChunkOutcome outcome) throws InterruptedException {
    if (refusedWhole.isEmpty()) {
      return Set.of();
    }
    List<ContactUpdate> again = new ArrayList<>();
    boolean culpritsNamed = false;
    for (ContactUpdate record : chunk) {
      if (refusedWhole.contains(record.getKey())) {
        if (rejections.containsKey(record.getKey())) {
          culpritsNamed = true;
        } else {
          again.add(record);
        }
      }
    }
    List<List<ContactUpdate>> parts = culpritsNamed || again.size() < 2 ? List.of(again)
        : List.of(again.subList(0, again.size() / 2), again.subList(again.size() / 2,
            again.size()));
    Set<String> settled = new HashSet<>();
    for (List<ContactUpdate> part : parts) {
      if (!part.isEmpty()) {
        outcome.requestsSplit++;
        outcome.add(sendChunk(List.copyOf(part), secret));
        part.forEach(record -> settled.add(record.getKey()));
      }
    }
    return settled;
  }

  /**
   * Greedy split to the record and byte limits, keeping the input order, one chunk at a time:
   * a shard's whole group (bounded input) is never held in memory at once.
   */
  Iterator<List<ContactUpdate>> chunks(Iterator<ContactUpdate> updates) {
    return new Iterator<>() {
      private @Nullable ContactUpdate carried;

      @Override
      public boolean hasNext() {
        return carried != null || updates.hasNext();
      }

      @Override
      public List<ContactUpdate> next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        List<ContactUpdate> chunk = new ArrayList<>();
        long bytes = 0;
        while (carried != null || updates.hasNext()) {
          ContactUpdate update = carried != null ? carried : updates.next();
          carried = null;
          long size = connector.recordBytes(update);
          if (!chunk.isEmpty() && (chunk.size() >= connector.maxRecordsPerRequest()
              || bytes + size > connector.maxBytesPerRequest())) {
            carried = update;
            break;
          }
          chunk.add(update);
          bytes += size;
        }
        return chunk;
      }
    };
  }

  private void checkPlan(List<ContactUpdate> chunk, List<VendorCall> calls) {
    Set<String> planned = new HashSet<>();
    for (VendorCall call : calls) {
      if (call.records().size() > connector.maxRecordsPerRequest()) {
        throw new IllegalStateException(connector.vendor() + " connector planned a call of "
            + call.records().size() + " records, over its limit of "
            + connector.maxRecordsPerRequest());
      }
      planned.addAll(SendContactUpdates.keys(call.records()));
    }
    if (!SendContactUpdates.keys(chunk).containsAll(planned)) {
      throw new IllegalStateException(connector.vendor() + " connector planned calls for "
          + "records that are not in the batch");
    }
  }

  private String describe(VendorCall call) {
    ObjectNode node = JSON.createObjectNode();
    node.put("vendor", connector.vendor());
    node.put("method", call.method());
    node.put("url", call.uri().toString());
    ObjectNode headers = node.putObject("headers");
    call.headers().forEach(headers::put);
    call.secretHeaders().keySet().forEach(name -> headers.put(name, Credential.MASK));
    try {
      JsonNode body = JSON.readTree(call.body());
      node.set("body", body);
    } catch (IOException notJson) {
      node.put("body", call.bodyText());
    }
    call.records().forEach(update -> node.withArray("keys").add(update.getKey()));
    return node.toString();
  }

  /**
   * Sends one call and its follow-ups (the steps of an asynchronous job, list memberships) with
   * retries; records what the vendor rejected into {@code rejections}.
   */
  private void send(VendorCall first, String secret, Map<String, String> rejections,
      Set<String> refusedWhole, ChunkOutcome tally) throws InterruptedException {
    Deque<VendorCall> queue = new ArrayDeque<>();
    queue.add(first);
    int steps = 0;
    while (!queue.isEmpty()) {
      VendorCall call = queue.poll();
      if (++steps > MAX_STEPS) {
        call.records().forEach(record -> rejections.putIfAbsent(record.getKey(),
            connector.vendor() + " gave up after " + MAX_STEPS + " calls for one batch"));
        continue;
      }
      if (call.records().size() > connector.maxRecordsPerRequest()) {
        throw new IllegalStateException(connector.vendor() + " connector planned a follow-up "
            + "of " + call.records().size() + " records, over its limit of "
            + connector.maxRecordsPerRequest());
      }
      CallOutcome outcome = sendWithRetries(call, secret, tally);
      record(call, outcome, rejections, refusedWhole);
      if (outcome.kind() == CallOutcome.Kind.ACCEPTED && !outcome.followUps().isEmpty()) {
        if (!outcome.followUpDelay().isZero()) {
          Thread.sleep(outcome.followUpDelay().toMillis());
        }
        List<VendorCall> next = outcome.followUps();
        for (int i = next.size() - 1; i >= 0; i--) {
          queue.addFirst(next.get(i));
        }
      }
    }
  }

  private CallOutcome sendWithRetries(VendorCall call, String secret, ChunkOutcome tally)
      throws InterruptedException {
    RetryPolicy<CallOutcome> retry = RetryPolicy.<CallOutcome>builder()
        .handleResultIf(outcome -> outcome.kind() == CallOutcome.Kind.TRANSIENT)
        .abortIf(outcome -> outcome.retryAfter() != null
            && outcome.retryAfter().compareTo(maxRetryAfter) > 0)
        .withMaxRetries(maxRetries)
        .withDelayFn(context -> delay(context.getLastResult(), context.getAttemptCount()))
        .onRetry(event -> tally.requestsRetried++)
        .build();
    try {
      return Failsafe.with(retry).get(() -> attempt(call, secret, tally));
    } catch (dev.failsafe.FailsafeException e) {
      if (e.getCause() instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      return CallOutcome.fail("sending failed: " + e.getCause());
    }
  }

  private void record(VendorCall call, CallOutcome outcome, Map<String, String> rejections,
      Set<String> refusedWhole) {
    List<ContactUpdate> records = call.records();
    switch (outcome.kind()) {
      case ACCEPTED -> {
        for (int i = 0; i < records.size(); i++) {
          String rejection = outcome.rejected().get(i);
          if (rejection != null) {
            rejections.putIfAbsent(records.get(i).getKey(), connector.vendor()
                + " rejected the record: " + rejection);
          }
        }
      }
      case TRANSIENT -> {
        String why = outcome.retryAfter() != null
            && outcome.retryAfter().compareTo(maxRetryAfter) > 0
            ? "asked to wait " + outcome.retryAfter() + ", longer than " + maxRetryAfter
            : "gave up after " + (maxRetries + 1) + " attempts";
        records.forEach(record -> rejections.putIfAbsent(record.getKey(),
            connector.vendor() + " " + why + ": " + outcome.message()));
      }
      case PERMANENT -> {
        if (outcome.causedByRecords() && records.size() > 1) {
          outcome.rejected().forEach((index, why) -> {
            if (index >= 0 && index < records.size()) {
              rejections.putIfAbsent(records.get(index).getKey(), connector.vendor()
                  + " rejected the record: " + why);
            }
          });
          records.forEach(record -> refusedWhole.add(record.getKey()));
        } else if (outcome.causedByRecords()) {
          rejections.putIfAbsent(records.get(0).getKey(), connector.vendor()
              + " rejected the record: " + outcome.rejected().getOrDefault(0,
                  outcome.message()));
        } else {
          records.forEach(record -> rejections.putIfAbsent(record.getKey(),
              connector.vendor() + " refused the request: " + outcome.message()));
        }
      }
    }
  }

  /** The wait before a retry: backoff with equal jitter, at least what the vendor asked. */
  Duration delay(@Nullable CallOutcome last, int attempts) {
    long base = initialBackoff.toMillis() << Math.min(20, Math.max(0, attempts - 1));
    long capped = Math.min(base, maxBackoff.toMillis());
    long jittered = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    if (last != null && last.retryAfter() != null) {
      return Duration.ofMillis(Math.max(jittered, last.retryAfter().toMillis()));
    }
    return Duration.ofMillis(jittered);
  }

  private CallOutcome attempt(VendorCall call, String secret, ChunkOutcome tally)
      throws InterruptedException {
    String account = connector.vendor() + "|" + connector.account();
    CallsInFlight inFlight = IN_FLIGHT.computeIfAbsent(account,
        key -> new CallsInFlight(maxConcurrent));
    RateLimiter<Object> rate = RATES.computeIfAbsent(account,
        key -> RateLimiter.smoothBuilder(Duration.ofNanos((long) (1e9 / perSecond))).build());
    java.util.concurrent.atomic.AtomicLong pausedUntil = PAUSED_UNTIL.computeIfAbsent(account,
        key -> new java.util.concurrent.atomic.AtomicLong(System.nanoTime()));
    rate.acquirePermit();
    inFlight.acquire();
    HttpResponse<String> response;
    try {
      // a pause may have begun while this thread waited for its slot
      long pause = pausedUntil.get() - System.nanoTime();
      while (pause > 0) {
        Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
        pause = pausedUntil.get() - System.nanoTime();
      }
      HttpRequest.Builder request = HttpRequest.newBuilder(call.uri()).timeout(timeout)
          .method(call.method(), call.body().length == 0
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(call.body()));
      call.headers().forEach(request::header);
      call.secretHeaders().forEach(request::header);
      tally.requestsSent++;
      response = http.send(request.build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // timeouts, resets, refused connections: worth another try
      return CallOutcome.retry(Credential.redact(e.getClass().getSimpleName() + ": "
          + e.getMessage(), secret), null, false);
    } finally {
      inFlight.release(); // the answer is in: reading it needs no slot
    }
    CallOutcome outcome = connector.interpret(call, response.statusCode(), response.headers(),
        response.body());
    if (outcome.throttled()) {
      tally.requestsThrottled++;
      if (outcome.retryAfter() != null) { // the vendor's ask holds for the whole account
        pausedUntil.accumulateAndGet(System.nanoTime() + outcome.retryAfter().toNanos(),
            Math::max);
      } else { // no word on when: fewer calls at once for a while
        inFlight.throttled();
      }
    } else if (outcome.kind() == CallOutcome.Kind.ACCEPTED) {
      inFlight.accepted();
    }
    return outcome;
  }
}
