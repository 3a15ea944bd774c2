package dev.audiencesegmenter.io.sink;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP server for connector tests (JDK {@code com.sun.net.httpserver}). A vendor's fake
 * gives a {@link Handler} that follows the vendor's contract; tests can queue canned responses
 * (429 with Retry-After, 5xx) that are served, before the handler, to the next requests.
 * Every request is recorded with its arrival time.
 */
public final class FakeVendorServer implements AutoCloseable {

  /** One request as received. */
  public record Request(String method, String path, String query, Map<String, List<String>> headers,
      String body, long receivedNanos, long receivedEpochMillis) {
    public String header(String name) {
      for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
        if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
          return entry.getValue().get(0);
        }
      }
      return null;
    }
  }

  /** A response to send. */
  public record Response(int status, Map<String, String> headers, String body) {
    public static Response json(int status, String body) {
      return new Response(status, Map.of("Content-Type", "application/json"), body);
    }
  }

  /** The vendor's behaviour. */
  public interface Handler {
    Response handle(Request request);
  }

  private final HttpServer server;
  private final java.util.concurrent.ExecutorService executor;
  private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final ConcurrentLinkedQueue<Response> canned = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  /** Time each request takes to serve, to make concurrency visible. */
  public volatile long latencyMillis;
  /**
   * Share of requests (0 to 1) that meet an injected fault before the vendor sees them: a 503,
   * a 429 asking to wait 0 s, a connection reset (closed without an answer), or a timeout (an
   * answer after {@link #faultTimeoutMillis}), in turn.
   */
  public volatile double faultRate;
  public volatile long faultTimeoutMillis = 2_000;
  private final AtomicInteger faults = new AtomicInteger();
  /** Per request served: arrival and answer (or reset) times, System.nanoTime. */
  private final List<long[]> served = Collections.synchronizedList(new ArrayList<>());
  private final java.util.Random random = new java.util.Random(42);

  public FakeVendorServer(Handler handler) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    executor = Executors.newFixedThreadPool(16, runnable -> {
      Thread thread = new Thread(runnable, "fake-vendor-server");
      thread.setDaemon(true);
      return thread;
    });
    server.setExecutor(executor);
    server.createContext("/", exchange -> serve(exchange, handler));
    server.start();
  }

  private void serve(HttpExchange exchange, Handler handler) throws IOException {
    long arrived = System.nanoTime();
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    boolean counted = true;
    try {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
          exchange.getRequestURI().getRawQuery(), Map.copyOf(exchange.getRequestHeaders()), body,
          System.nanoTime(), System.currentTimeMillis());
      Response cannedResponse;
      boolean fault;
      synchronized (requests) { // the n-th request recorded gets the n-th canned response
        requests.add(request);
        cannedResponse = canned.poll();
        fault = cannedResponse == null && faultRate > 0 && random.nextDouble() < faultRate;
      }
      if (fault) {
        switch (faults.getAndIncrement() % 4) {
          case 0 -> cannedResponse = Response.json(503, "{\"message\":\"injected fault\"}");
          case 1 -> cannedResponse = new Response(429, Map.of("Retry-After", "0",
              "Content-Type", "application/json"), "{\"message\":\"injected throttle\"}");
          case 2 -> {
            return; // reset: the finally block closes the exchange without an answer
          }
          default -> {
            Thread.sleep(faultTimeoutMillis);
            cannedResponse = Response.json(504, "{\"message\":\"injected timeout\"}");
          }
        }
      }
      if (latencyMillis > 0) {
        Thread.sleep(latencyMillis);
      }
      Response response = cannedResponse != null ? cannedResponse : handler.handle(request);
      response.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
      byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
      // no longer in flight once the answer leaves: the client may send its next request
      // before this thread gets to the finally block
      inFlight.decrementAndGet();
      served.add(new long[] {arrived, System.nanoTime()});
      counted = false;
      exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      byte[] bytes = ("fake server failed: " + e).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(599, bytes.length);
      exchange.getResponseBody().write(bytes);
    } finally {
      if (counted) {
        inFlight.decrementAndGet();
        served.add(new long[] {arrived, System.nanoTime()});
      }
      exchange.close();
    }
  }

  /** Serves {@code response} to the next request instead of the handler. */
  public FakeVendorServer enqueue(Response response) {
    canned.add(response);
    return this;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /** Requests being served right now, this one included. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Faults injected so far (see {@link #faultRate}). */
  public int faultsInjected() {
    return faults.get();
  }

  /**
   * Requests in flight on average between two instants (System.nanoTime): the time requests
   * spent here within it, summed, over its length (a vendor that limits concurrent calls
   * counts each until it answers).
   */
  public double meanInFlight(long fromNanos, long toNanos) {
    long busy = 0;
    synchronized (served) {
      for (long[] call : served) {
        busy += Math.max(0, Math.min(call[1], toNanos) - Math.max(call[0], fromNanos));
      }
    }
    return (double) busy / (toNanos - fromNanos);
  }

  public int maxConcurrentRequests() {
    return maxInFlight.get();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
