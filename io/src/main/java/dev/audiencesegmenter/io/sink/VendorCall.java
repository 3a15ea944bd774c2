package dev.audiencesegmenter.io.sink;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One HTTP request a connector plans for some contact updates: the request and the updates it
 * carries, in the order the vendor reports per-record results. Header values marked secret
 * (authorization) are left out of dry-run files.
 */
public final class VendorCall {
  private final String method;
  private final URI uri;
  private final Map<String, String> headers;
  private final Map<String, String> secretHeaders;
  private final byte[] body;
  private final List<ContactUpdate> records;
  /** What a multi-step connector remembers between steps (a job id, a poll count). */
  private final Map<String, String> state;

  private VendorCall(String method, URI uri, Map<String, String> headers,
      Map<String, String> secretHeaders, byte[] body, List<ContactUpdate> records) {
    this.method = method;
    this.uri = uri;
    this.headers = headers;
    this.secretHeaders = secretHeaders;
    this.body = body;
    this.records = List.copyOf(records);
    this.state = new LinkedHashMap<>();
  }

  /** A call with any body (CSV, say); set its Content-Type with {@link #withHeader}. */
  public static VendorCall ofText(String method, URI uri, String body,
      List<ContactUpdate> records) {
    return new VendorCall(method, uri, new LinkedHashMap<>(), new LinkedHashMap<>(),
        body.getBytes(StandardCharsets.UTF_8), records);
  }

  /**
   * The next step of a multi-step exchange: same headers (the secret ones included, so
   * {@code interpret} never needs the credential) and state, a new request and records.
   */
  public VendorCall followUp(String method, URI uri, String body, List<ContactUpdate> records) {
    VendorCall next = new VendorCall(method, uri, new LinkedHashMap<>(headers),
        new LinkedHashMap<>(secretHeaders), body.getBytes(StandardCharsets.UTF_8), records);
    next.state.putAll(state);
    return next;
  }

  public VendorCall withState(String key, String value) {
    state.put(key, value);
    return this;
  }

  public @org.checkerframework.checker.nullness.qual.Nullable String state(String key) {
    return state.get(key);
  }

  public static VendorCall of(String method, URI uri, String jsonBody,
      List<ContactUpdate> records) {
    return new VendorCall(method, uri, new LinkedHashMap<>(), new LinkedHashMap<>(),
        jsonBody.getBytes(StandardCharsets.UTF_8), records);
  }

  public VendorCall withHeader(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** A header holding a secret: sent, never written to dry-run files or logs. */
  public VendorCall withSecretHeader(String name, String value) {
    secretHeaders.put(name, value);
    return this;
  }

  public String method() {
    return method;
  }

  public URI uri() {
    return uri;
  }

  public Map<String, String> headers() {
    return headers;
  }

  Map<String, String> secretHeaders() {
    return secretHeaders;
  }

  public byte[] body() {
    return body;
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  public List<ContactUpdate> records() {
    return records;
  }

  @Override
  public String toString() {
    return method + " " + uri + " (" + records.size() + " records)";
  }
}
