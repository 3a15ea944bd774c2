package dev.audiencesegmenter.io.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.io.braze.BrazeConnector;
import dev.audiencesegmenter.io.hubspot.HubSpotConnector;
import dev.audiencesegmenter.io.klaviyo.KlaviyoConnector;
import dev.audiencesegmenter.io.mailchimp.MailchimpConnector;
import dev.audiencesegmenter.io.salesforce.SalesforceConnector;
import dev.audiencesegmenter.io.secrets.Credential;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 9: a vendor base URL is https://, or http:// to this machine only (the tests'
 * local servers). Before, any http:// URL was taken, so a typo sent tokens and contact data in
 * clear text.
 */
class VendorBaseUrlTest {
  private static final Credential TOKEN = Credential.of("t0ken");

  private static final List<Function<String, String>> VENDORS = List.of(
      url -> HubSpotConnector.create(TOKEN).withBaseUrl(url).getBaseUrl(),
      url -> KlaviyoConnector.create(TOKEN).withBaseUrl(url).getBaseUrl(),
      url -> MailchimpConnector.create(TOKEN, "list1").withBaseUrl(url).getBaseUrl(),
      url -> BrazeConnector.create(TOKEN).withBaseUrl(url).getBaseUrl(),
      url -> SalesforceConnector.create(TOKEN, url, "Contact", "Customer_Id__c")
          .getInstanceUrl());
  private static final List<String> NAMES =
      List.of("HubSpot", "Klaviyo", "Mailchimp", "Braze", "Salesforce instance");

  @Test
  void httpsAndLocalHttpAreTaken() {
    for (Function<String, String> vendor : VENDORS) {
      assertEquals("https://api.example.com", vendor.apply("https://api.example.com/"));
      assertEquals("http://localhost:8080", vendor.apply("http://localhost:8080/"));
      assertEquals("http://127.0.0.1:41234/base", vendor.apply("http://127.0.0.1:41234/base"));
      assertEquals("http://LOCALHOST:9", vendor.apply("http://LOCALHOST:9"));
    }
  }

  @Test
  void plainHttpElsewhereIsRefusedNamingTheUrl() {
    List<String> refused = List.of("http://api.example.com", "http://localhost.evil.example",
        "http://127.0.0.1.evil.example:80", "ftp://localhost",
        "localhost:8080", "https://", "http://", " https://api.example.com");
    for (int v = 0; v < VENDORS.size(); v++) {
      for (String url : refused) {
        Function<String, String> vendor = VENDORS.get(v);
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> vendor.apply(url), url);
        assertEquals(NAMES.get(v) + " base URL must start with https:// (http:// only for "
            + "localhost or 127.0.0.1), got '" + url + "'", e.getMessage());
      }
    }
  }

  @Test
  void credentialsInTheUrlAreNotRepeated() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HubSpotConnector.create(TOKEN).withBaseUrl("http://user:s3cret@api.example.com"));
    assertEquals("HubSpot base URL must start with https:// (http:// only for localhost or "
        + "127.0.0.1), got 'http://***@api.example.com'", e.getMessage());
    // The host is evil.example, "localhost" only its user name.
    IllegalArgumentException local = assertThrows(IllegalArgumentException.class,
        () -> HubSpotConnector.create(TOKEN).withBaseUrl("http://localhost@evil.example"));
    assertEquals("HubSpot base URL must start with https:// (http:// only for localhost or "
        + "127.0.0.1), got 'http://***@evil.example'", local.getMessage());
  }
}
