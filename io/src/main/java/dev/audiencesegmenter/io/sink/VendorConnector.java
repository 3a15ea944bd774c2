package dev.audiencesegmenter.io.sink;

import dev.audiencesegmenter.io.secrets.Credential;
import java.io.Serializable;
import java.net.http.HttpHeaders;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What {@link SendContactUpdates} needs to know about one vendor: its limits, how to turn a
 * batch of updates into HTTP calls, and how to read the answers. Implementations are small,
 * immutable and serializable; the shared core does batching, consent, rate limiting,
 * concurrency, retries, dead letters, metrics and dry runs.
 */
public interface VendorConnector extends Serializable {

  /** Short lower-case vendor name, used in step names, metrics and dead letters. */
  String vendor();

  /**
   * The account that rate limits and concurrency limits apply to (a list id, a portal, an
   * instance URL); never a secret.
   */
  String account();

  /** Most records in one request. */
  int maxRecordsPerRequest();

  /** Most bytes of request body (records' share, see {@link #recordBytes}). */
  long maxBytesPerRequest();

  /**
   * The most simultaneous requests the vendor allows per account (Mailchimp: 10); the sink
   * refuses a per-JVM concurrency above it. Unlimited by default.
   */
  default int maxConcurrentRequestsPerAccount() {
    return Integer.MAX_VALUE;
  }

  /**
   * Email platforms only get customers with email consent ({@link
   * ContactUpdate#mayReceiveEmail()}); others get {@link ContactUpdate#getWithdrawn()
   * withdrawals} and exit-only updates, which must never create or subscribe anyone.
   */
  boolean isEmailPlatform();

  /**
   * Whether a customer without email consent is sent here as a {@link
   * ContactUpdate#getWithdrawn() withdrawal}, which the connector turns into the platform's own
   * unsubscribe or suppression and a removal from every segment it manages. Every email
   * platform; a CRM with marketing email (HubSpot) too.
   */
  default boolean handlesWithdrawals() {
    return isEmailPlatform();
  }

  /**
   * Whether the platform sends marketing SMS and takes {@link ContactUpdate#getSmsWithdrawn()
   * SMS withdrawals} (the platform's own SMS unsubscribe, nothing else). Default false: such an
   * update reaching this platform is dead-lettered.
   */
  default boolean handlesSmsWithdrawals() {
    return false;
  }

  /**
   * Whether the platform sends push notifications and takes {@link
   * ContactUpdate#getPushWithdrawn() push withdrawals} (the platform's own push unsubscribe by
   * our key, nothing else). Default false: such an update reaching this platform is
   * dead-lettered.
   */
  default boolean handlesPushWithdrawals() {
    return false;
  }

  /** The credential used for every call. */
  Credential credential();

  /** Why this update cannot be sent at all (say, no email where the vendor keys by email). */
  @Nullable String rejectionReason(ContactUpdate update);

  /** About how many bytes this record adds to a request body. */
  long recordBytes(ContactUpdate update);

  /**
   * The calls for one batch, within the limits; a record may be in several calls (it is sent when
   * all of them succeed) or in none (the vendor needs nothing for it: it counts as sent). {@code secret} is the revealed credential.
   */
  List<VendorCall> plan(List<ContactUpdate> batch, String secret);

  /**
   * Reads a response. {@link HttpStatusRules#classify} gives the common rules (2xx accepted,
   * 429 / 5xx / 423 transient with Retry-After, other 4xx permanent); connectors add per-record
   * errors of partial successes and vendor quirks.
   */
  CallOutcome interpret(VendorCall call, int status, HttpHeaders headers, String body);
}
