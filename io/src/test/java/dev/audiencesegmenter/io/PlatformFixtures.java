package dev.audiencesegmenter.io;

import dev.audiencesegmenter.io.braze.BrazeConnector;
import dev.audiencesegmenter.io.braze.BrazeConnectorTest;
import dev.audiencesegmenter.io.hubspot.FakeHubSpot;
import dev.audiencesegmenter.io.hubspot.HubSpotConnector;
import dev.audiencesegmenter.io.klaviyo.FakeKlaviyo;
import dev.audiencesegmenter.io.klaviyo.KlaviyoConnector;
import dev.audiencesegmenter.io.mailchimp.FakeMailchimp;
import dev.audiencesegmenter.io.mailchimp.MailchimpConnector;
import dev.audiencesegmenter.io.salesforce.SalesforceConnector;
import dev.audiencesegmenter.io.salesforce.SalesforceConnectorTest;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.FakeVendorServer;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SinkTesting;
import dev.audiencesegmenter.io.kit.FakeKit;
import dev.audiencesegmenter.io.kit.KitConnector;
import dev.audiencesegmenter.io.zoho.FakeZoho;
import dev.audiencesegmenter.io.zoho.ZohoCrmConnector;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Each platform's fake server with a sink pointed at it, for tests and benchmarks that treat the
 * seven platforms alike.
 */
public final class PlatformFixtures {
  private PlatformFixtures() {}

  public static final List<String> PLATFORMS =
      List.of("hubspot", "mailchimp", "klaviyo", "braze", "salesforce", "zoho", "kit");

  /** A started fake and what it knows. */
  public interface Fixture extends AutoCloseable {
    FakeVendorServer server();

    /** The credential the fake accepts. */
    String secret();

    /** A sink sending with {@code credential} (the right one or not). */
    SendContactUpdates sink(String credential);

    default SendContactUpdates sink() {
      return sink(secret());
    }

    /** Writes per record key the vendor stored. */
    Map<String, AtomicInteger> writes();

    /** The key the vendor stores a record under. */
    String vendorKey(ContactUpdate update);

    /** A record the vendor refuses (an email it finds invalid), keyed {@code key}. */
    ContactUpdate badRecord(String key);

    @Override
    void close();
  }

  /** Starts the fake of {@code platform}, one of {@link #PLATFORMS}. */
  public static Fixture start(String platform) {
    try {
      return switch (platform) {
        case "hubspot" -> hubspot();
        case "mailchimp" -> mailchimp();
        case "klaviyo" -> klaviyo();
        case "braze" -> braze();
        case "salesforce" -> salesforce();
        case "zoho" -> zoho(0);
        case "kit" -> kit();
        default -> throw new IllegalArgumentException("Unknown platform '" + platform + "'");
      };
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("Could not start the fake " + platform, e);
    }
  }

  static Fixture hubspot() throws Exception {
    String token = "pat-na1-fixture-token-7788";
    FakeHubSpot fake = new FakeHubSpot(token);
    return fixture(fake.server, token, key -> HubSpotConnector.create(Credential.of(key))
            .withBaseUrl(fake.baseUrl()).withAccount("fixture").sink(), fake.writesPerEmail,
        ContactUpdate::getEmail, fake::close);
  }

  static Fixture mailchimp() throws Exception {
    String apiKey = "0123456789abcdef0123456789abcdef-us21";
    FakeMailchimp fake = new FakeMailchimp(apiKey, "a1b2c3d4e5");
    Map<String, AtomicInteger> writes = new AbstractMap<>() {
      @Override
      public AtomicInteger get(Object hash) {
        FakeMailchimp.Member member = fake.membersByHash.get(hash);
        return member == null ? null : member.writes;
      }

      @Override
      public Set<Entry<String, AtomicInteger>> entrySet() {
        throw new UnsupportedOperationException();
      }
    };
    return fixture(fake.server, apiKey, key -> MailchimpConnector.create(Credential.of(key),
            "a1b2c3d4e5").withBaseUrl(fake.baseUrl()).withAccount("fixture").sink(),
        writes, update -> MailchimpConnector.subscriberHash(update.getEmail()), fake::close);
  }

  static Fixture klaviyo() throws Exception {
    String apiKey = "pk_fixture_key_5566";
    FakeKlaviyo fake = new FakeKlaviyo(apiKey);
    // Klaviyo refuses a whole job for a malformed email, naming it by its position
    return fixture(fake.server, apiKey, key -> KlaviyoConnector.create(Credential.of(key))
            .withBaseUrl(fake.server.baseUrl()).withAccount("fixture")
            .withJobPolling(Duration.ofMillis(100), 1000).sink(),
        fake.importsPerProfile, ContactUpdate::getKey, fake::close,
        key -> SinkTesting.contact(key, "bad-request-" + key + "@example.com"));
  }

  static Fixture braze() throws Exception {
    BrazeConnectorTest.FakeBraze fake = new BrazeConnectorTest.FakeBraze();
    return fixture(fake.server, BrazeConnectorTest.KEY, key -> BrazeConnector.create(
            Credential.of(key)).withBaseUrl(fake.server.baseUrl()).withAccount("fixture").sink(),
        fake.writes, ContactUpdate::getKey, fake.server::close);
  }

  static Fixture salesforce() throws Exception {
    SalesforceConnectorTest.FakeSalesforce fake = new SalesforceConnectorTest.FakeSalesforce();
    return fixture(fake.server, SalesforceConnectorTest.TOKEN, key -> SalesforceConnector.create(
            Credential.of(key), fake.server.baseUrl(), "Contact", "Customer_Id__c").sink(),
        fake.writes, ContactUpdate::getKey, fake.server::close);
  }

  /** Zoho's fake, taking {@code processingMillis} per admitted call (see FakeZoho). */
  public static Fixture zoho(long processingMillis) throws Exception {
    FakeZoho fake = new FakeZoho();
    fake.processingMillis = processingMillis;
    // the test contacts have one name: it becomes the mandatory last name
    return fixture(fake.server, FakeZoho.TOKEN, key -> ZohoCrmConnector.create(
            Credential.of(key)).withBaseUrl(fake.baseUrl()).withAccount("fixture")
            .withFieldMapping(Map.of("first_name", "Last_Name")).sink(),
        fake.writes, ContactUpdate::getKey, fake::close);
  }

  static Fixture kit() throws Exception {
    FakeKit fake = new FakeKit();
    return fixture(fake.server, FakeKit.TOKEN, key -> KitConnector.create(Credential.of(key))
            .withBaseUrl(fake.baseUrl()).withAccount("fixture")
            .withFirstNameField("first_name").sink(),
        fake.writes, update -> update.getEmail(), fake::close);
  }

  static Fixture fixture(FakeVendorServer server, String secret,
      Function<String, SendContactUpdates> sink, Map<String, AtomicInteger> writes,
      Function<ContactUpdate, String> key, Runnable close) {
    return fixture(server, secret, sink, writes, key, close,
        badKey -> SinkTesting.contact(badKey, "invalid-" + badKey + "@example.com"));
  }

  static Fixture fixture(FakeVendorServer server, String secret,
      Function<String, SendContactUpdates> sink, Map<String, AtomicInteger> writes,
      Function<ContactUpdate, String> key, Runnable close,
      Function<String, ContactUpdate> bad) {
    return new Fixture() {
      @Override
      public FakeVendorServer server() {
        return server;
      }

      @Override
      public String secret() {
        return secret;
      }

      @Override
      public SendContactUpdates sink(String credential) {
        return sink.apply(credential);
      }

      @Override
      public Map<String, AtomicInteger> writes() {
        return writes;
      }

      @Override
      public String vendorKey(ContactUpdate update) {
        return key.apply(update);
      }

      @Override
      public ContactUpdate badRecord(String badKey) {
        return bad.apply(badKey);
      }

      @Override
      public void close() {
        close.run();
      }
    };
  }
}
