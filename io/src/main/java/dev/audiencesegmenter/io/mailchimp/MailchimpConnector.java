package dev.audiencesegmenter.io.mailchimp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.io.sink.CallOutcome;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.HttpStatusRules;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.VendorCall;
import dev.audiencesegmenter.io.sink.VendorConnector;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Mailchimp Marketing API 3.0, one audience (list): consenting contacts are upserted with
 * batch subscribe ({@code POST /lists/{list_id}}, at most 500 members, {@code update_existing}),
 * mapped fields as merge fields and current segments as tags. Segments a contact left are
 * removed with {@code POST /lists/{list_id}/members/{subscriber_hash}/tags} ({@code inactive});
 * for exit-only updates that is the only call, so they are never added or subscribed (a 404
 * there means they are not in the audience: nothing to remove). A withdrawal goes in the same
 * batch as a member of only {@code email_address} and status {@code unsubscribed} (Mailchimp's
 * own opt-out: no merge field, no tag), and every tag the job manages (the mapped tags, or the
 * segments held) is then set {@code inactive}.
 *
 * <p>Auth is HTTP Basic with the API key; the host is {@code https://<dc>.api.mailchimp.com/3.0}
 * where {@code <dc>} is the key's suffix ({@code ...-us21}), unless {@link #withBaseUrl} is
 * set. Mailchimp allows 10 simultaneous connections per account and no more: run the sink with
 * {@code maxConcurrentRequests x workers <= 10}, e.g. {@code .sink().withMaxConcurrentRequests(
 * 5)} on at most 2 workers. Per-member {@code errors[]} of the 200 answer are dead-lettered.
 */
@AutoValue
public abstract class MailchimpConnector implements VendorConnector {
  public static final int MAX_MEMBERS_PER_REQUEST = 500;
  private static final Pattern LIST_ID = Pattern.compile("[A-Za-z0-9]+");
  private static final Pattern DATA_CENTER = Pattern.compile("-([a-z]+[0-9]+)$");

  public abstract Credential getCredential();

  public abstract String getListId();

  public abstract @Nullable String getBaseUrl();

  public abstract String getAccount();

  /** Our field name to Mailchimp merge tag ({@code FNAME}); unmapped fields are not sent. */
  public abstract Map<String, String> getMergeFields();

  /** Segment to tag name; empty means every segment under its own name. */
  public abstract Map<String, String> getSegmentTags();

  abstract Builder toBuilder();

  public static MailchimpConnector create(Credential apiKey, String listId) {
    if (apiKey == null) {
      throw new IllegalArgumentException("Mailchimp needs an API key");
    }
    if (listId == null || !LIST_ID.matcher(listId).matches()) {
      throw new IllegalArgumentException("Invalid Mailchimp list id '" + listId + "'");
    }
    return new AutoValue_MailchimpConnector.Builder().setCredential(apiKey).setListId(listId)
        .setAccount("default").setMergeFields(Map.of()).setSegmentTags(Map.of()).build();
  }

  /** Instead of the data center's host, e.g. a fake server: {@code http://localhost:1234/3.0}. */
  public MailchimpConnector withBaseUrl(String url) {
    return toBuilder().setBaseUrl(Json.checkBaseUrl(url, "Mailchimp")).build();
  }

  /** A name of the Mailchimp account, for the per-account limits (default "default"). */
  public MailchimpConnector withAccount(String account) {
    if (account == null || account.isBlank()) {
      throw new IllegalArgumentException("Mailchimp account must not be blank");
    }
    return toBuilder().setAccount(account).build();
  }

  public MailchimpConnector withMergeFields(Map<String, String> mapping) {
    return toBuilder().setMergeFields(Json.checkMapping(mapping, "Mailchimp merge fields"))
        .build();
  }

  public MailchimpConnector withSegmentTags(Map<String, String> mapping) {
    return toBuilder().setSegmentTags(Json.checkMapping(mapping, "Mailchimp segment tags"))
        .build();
  }

  public SendContactUpdates sink() {
    return SendContactUpdates.to(this);
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setCredential(Credential credential);

    abstract Builder setListId(String listId);

    abstract Builder setBaseUrl(String url);

    abstract Builder setAccount(String account);

    abstract Builder setMergeFields(Map<String, String> mapping);

    abstract Builder setSegmentTags(Map<String, String> mapping);

    abstract MailchimpConnector build();
  }

  @Override
  public Credential credential() {
    return getCredential();
  }

  @Override
  public String vendor() {
    return "mailchimp";
  }

  @Override
  public String account() {
    return getAccount();
  }

  @Override
  public int maxRecordsPerRequest() {
    return MAX_MEMBERS_PER_REQUEST;
  }

  @Override
  public long maxBytesPerRequest() {
    return 4L * 1024 * 1024; // undocumented; keeps requests reasonable
  }

  @Override
  public int maxConcurrentRequestsPerAccount() {
    return 10;
  }

  @Override
  public boolean isEmailPlatform() {
    return true;
  }

  @Override
  public @Nullable String rejectionReason(ContactUpdate update) {
    return update.getEmail() == null || update.getEmail().isBlank()
        ? "no email: Mailchimp audience members are email addresses" : null;
  }

  @Override
  public long recordBytes(ContactUpdate update) {
    return Json.utf8Length(member(update).toString()) + 1;
  }

  /** The API root for this key: the base URL, or the key's data center. */
  String root(String apiKey) {
    if (getBaseUrl() != null) {
      return getBaseUrl();
    }
    var matcher = DATA_CENTER.matcher(apiKey);
    if (!matcher.find()) {
      throw new IllegalStateException("The Mailchimp API key (from the " + getCredential()
          .describe() + ") does not end with a data center such as -us21; set a base URL");
    }
    return "https://" + matcher.group(1) + ".api.mailchimp.com/3.0";
  }

  /** MD5 of the lower-cased email: Mailchimp's member id. */
  public static String subscriberHash(String email) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5")
          .digest(email.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<String> tags(List<String> segments) {
    List<String> tags = new ArrayList<>();
    for (String segment : segments) {
      if (getSegmentTags().isEmpty()) {
        tags.add(segment);
      } else if (getSegmentTags().containsKey(segment)) {
        tags.add(getSegmentTags().get(segment));
      }
    }
    return tags;
  }

  /** The tags to take off the member: those of the exited segments; on withdrawal, all ours. */
  private List<String> tagsToRemove(ContactUpdate update) {
    java.util.TreeSet<String> removed = new java.util.TreeSet<>(
        tags(update.getSegmentsExited()));
    if (update.getWithdrawn()) {
      removed.addAll(getSegmentTags().values());
    }
    return new ArrayList<>(removed);
  }

  ObjectNode member(ContactUpdate update) {
    ObjectNode member = Json.object();
    member.put("email_address", update.getEmail());
    if (update.getWithdrawn()) {
      member.put("status", "unsubscribed"); // nothing else about a person without consent
      return member;
    }
    member.put("status", "subscribed");
    ObjectNode merge = member.putObject("merge_fields");
    getMergeFields().forEach((field, tag) -> {
      if (update.getFields().containsKey(field)) {
        merge.put(tag, update.getFields().get(field));
      }
    });
    ArrayNode tags = member.putArray("tags");
    tags(update.getSegmentsCurrent()).forEach(tags::add);
    return member;
  }

  @Override
  public List<VendorCall> plan(List<ContactUpdate> batch, String secret) {
    String root = root(secret);
    String auth = "Basic " + Base64.getEncoder().encodeToString(("anystring:" + secret)
        .getBytes(StandardCharsets.UTF_8));
    List<VendorCall> calls = new ArrayList<>();
    List<ContactUpdate> subscribers = new ArrayList<>();
    ArrayNode members = Json.MAPPER.createArrayNode();
    for (ContactUpdate update : batch) {
      if (!update.getExitOnly() || update.getWithdrawn()) {
        subscribers.add(update);
        members.add(member(update));
      }
    }
    if (!subscribers.isEmpty()) {
      ObjectNode body = Json.object();
      body.set("members", members);
      body.put("update_existing", true);
      body.put("sync_tags", false);
      calls.add(VendorCall.of("POST", URI.create(root + "/lists/" + getListId()),
              body.toString(), subscribers)
          .withHeader("Content-Type", "application/json")
          .withSecretHeader("Authorization", auth));
    }
    for (ContactUpdate update : batch) {
      List<String> removed = tagsToRemove(update);
      if (removed.isEmpty()) {
        continue; // an exit-only update of segments this audience does not tag: nothing to do
      }
      ObjectNode body = Json.object();
      ArrayNode tags = body.putArray("tags");
      for (String tag : removed) {
        tags.addObject().put("name", tag).put("status", "inactive");
      }
      calls.add(VendorCall.of("POST", URI.create(root + "/lists/" + getListId() + "/members/"
              + subscriberHash(update.getEmail()) + "/tags"), body.toString(), List.of(update))
          .withHeader("Content-Type", "application/json")
          .withSecretHeader("Authorization", auth));
    }
    return calls;
  }

  @Override
  public CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body) {
    if (call.uri().getPath().endsWith("/tags")) {
      if (status == 404) {
        return CallOutcome.accepted(); // not in the audience: no tag to remove
      }
      return HttpStatusRules.classify(status, headers, body);
    }
    CallOutcome common = HttpStatusRules.classify(status, headers, body);
    if (common.kind() != CallOutcome.Kind.ACCEPTED) {
      return common;
    }
    JsonNode response = Json.parse(body);
    JsonNode errors = response == null ? null : response.get("errors");
    if (errors == null || !errors.isArray() || errors.isEmpty()) {
      return CallOutcome.accepted();
    }
    Map<String, Integer> byEmail = new HashMap<>();
    for (int i = 0; i < call.records().size(); i++) {
      byEmail.putIfAbsent(call.records().get(i).getEmail().toLowerCase(Locale.ROOT), i);
    }
    Map<Integer, String> rejected = new HashMap<>();
    for (JsonNode error : errors) {
      Integer index = byEmail.get(error.path("email_address").asText("")
          .toLowerCase(Locale.ROOT));
      String message = error.path("error").asText("rejected");
      String code = error.path("error_code").asText("");
      if (index != null) {
        rejected.putIfAbsent(index, code.isEmpty() ? message : message + " (" + code + ")");
      }
    }
    return CallOutcome.partial(rejected);
  }

  @Override
  public final String toString() {
    return "MailchimpConnector{listId=" + getListId() + ", baseUrl=" + getBaseUrl()
        + ", account=" + getAccount() + ", credential=" + Credential.MASK + "}";
  }
}
