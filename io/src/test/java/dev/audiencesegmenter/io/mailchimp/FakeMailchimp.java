package dev.audiencesegmenter.io.mailchimp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Response;
import dev.audiencesegmenter.io.sink.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mailchimp's batch subscribe and member tags as the contract describes them: Basic auth with
 * the API key as password, at most 500 members (more is a 400), 200 with {@code errors[]} for
 * rejected members (an email with "invalid" in it), tags endpoint answering 204 or 404 for an
 * unknown member, and 429 beyond 10 simultaneous connections.
 */
public final class FakeMailchimp implements AutoCloseable {
  static final Pattern BATCH = Pattern.compile("/3\\.0/lists/([A-Za-z0-9]+)");
  static final Pattern TAGS = Pattern.compile("/3\\.0/lists/([A-Za-z0-9]+)/members/([0-9a-f]{32})"
      + "/tags");

  /** A member of the list. */
  public static final class Member {
    public final String email;
    public volatile String status;
    public final Set<String> tags = ConcurrentHashMap.newKeySet();
    public volatile JsonNode mergeFields;
    public final AtomicInteger writes = new AtomicInteger();

    Member(String email) {
      this.email = email;
    }
  }

  public final FakeVendorServer server;
  final String listId;
  public final Map<String, Member> membersByHash = new ConcurrentHashMap<>();
  final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  final List<String> subscribedEmails = new CopyOnWriteArrayList<>();
  private final String apiKey;

  public FakeMailchimp(String apiKey, String listId) throws IOException {
    this.apiKey = apiKey;
    this.listId = listId;
    this.server = new FakeVendorServer(this::handle);
  }

  Member existing(String email, String... tags) {
    Member member = new Member(email);
    member.status = "subscribed";
    member.tags.addAll(List.of(tags));
    membersByHash.put(MailchimpConnector.subscriberHash(email), member);
    return member;
  }

  Member member(String email) {
    return membersByHash.get(MailchimpConnector.subscriberHash(email));
  }

  private static Response problem(int status, String title, String detail) {
    ObjectNode body = Json.object();
    body.put("type", "https://mailchimp.com/developer/marketing/docs/errors/");
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    return new Response(status, Map.of("Content-Type", "application/problem+json"),
        body.toString());
  }

  private Response handle(Request request) {
    if (server.inFlight() > 10) {
      return problem(429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous "
          + "connections.");
    }
    String expected = "Basic " + Base64.getEncoder().encodeToString(("anystring:" + apiKey)
        .getBytes(StandardCharsets.UTF_8));
    if (!expected.equals(request.header("Authorization"))) {
      return problem(401, "API Key Invalid", "Your API key may be invalid, or you've attempted "
          + "to access the wrong datacenter.");
    }
    Matcher tags = TAGS.matcher(request.path());
    if (tags.matches() && request.method().equals("POST") && tags.group(1).equals(listId)) {
      Member member = membersByHash.get(tags.group(2));
      if (member == null) {
        return problem(404, "Resource Not Found", "The requested resource could not be found.");
      }
      for (JsonNode tag : Json.parse(request.body()).path("tags")) {
        if ("inactive".equals(tag.path("status").asText())) {
          member.tags.remove(tag.path("name").asText());
        } else {
          member.tags.add(tag.path("name").asText());
        }
      }
      return new Response(204, Map.of(), "");
    }
    Matcher batch = BATCH.matcher(request.path());
    if (!batch.matches() || !request.method().equals("POST") || !batch.group(1).equals(listId)) {
      return problem(404, "Resource Not Found", "The requested resource could not be found.");
    }
    JsonNode body = Json.parse(request.body());
    JsonNode members = body == null ? null : body.get("members");
    if (members == null || !members.isArray()) {
      return problem(400, "Invalid Resource", "members is required");
    }
    batchSizes.add(members.size());
    if (members.size() > 500) {
      return problem(400, "Invalid Resource", "members: Schema describes array max 500 items, "
          + members.size() + " found");
    }
    boolean updateExisting = body.path("update_existing").asBoolean(false);
    ObjectNode response = Json.object();
    ArrayNode created = response.putArray("new_members");
    ArrayNode updated = response.putArray("updated_members");
    ArrayNode errors = response.putArray("errors");
    for (JsonNode input : members) {
      String email = input.path("email_address").asText();
      if (email.contains("invalid")) {
        ObjectNode error = errors.addObject();
        error.put("email_address", email);
        error.put("error", email + " looks fake or invalid, please enter a real email address.");
        error.put("error_code", "ERROR_GENERIC");
        continue;
      }
      String hash = MailchimpConnector.subscriberHash(email);
      Member member = membersByHash.get(hash);
      if (member != null && !updateExisting) {
        ObjectNode error = errors.addObject();
        error.put("email_address", email);
        error.put("error", email + " is already a list member.");
        error.put("error_code", "ERROR_CONTACT_EXISTS");
        continue;
      }
      boolean isNew = member == null;
      if (isNew) {
        member = new Member(email);
        membersByHash.put(hash, member);
      }
      member.status = input.path("status").asText();
      member.mergeFields = input.path("merge_fields");
      for (JsonNode tag : input.path("tags")) {
        member.tags.add(tag.asText());
      }
      member.writes.incrementAndGet();
      subscribedEmails.add(email);
      (isNew ? created : updated).addObject().put("email_address", email).put("id", hash);
    }
    response.put("total_created", created.size());
    response.put("total_updated", updated.size());
    response.put("error_count", errors.size());
    return Response.json(200, response.toString());
  }

  public String baseUrl() {
    return server.baseUrl() + "/3.0";
  }

  @Override
  public void close() {
    server.close();
  }
}
