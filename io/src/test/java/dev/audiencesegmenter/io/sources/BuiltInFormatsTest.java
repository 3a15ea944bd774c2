package dev.audiencesegmenter.io.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.io.files.LocalRecords;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Each built-in format reads its sample file (sample/sources/FORMAT/) into exactly the records
 * written out here by hand from that file, and rejects its malformed records with the format
 * and the field in the reason.
 */
class BuiltInFormatsTest {

  @Test
  void ga4ExportReadsNestedParamsMicrosAndInt64AsStrings() {
    LocalRecords<CustomerEvent> read = events("ga4");
    Map<String, String> oakland = Map.of("browser", "Chrome", "campaign", "(direct)", "channel",
        "(none)", "city", "Oakland", "country", "United States", "device", "desktop", "os",
        "Windows", "platform", "WEB", "referrer", "(direct)", "region", "California");
    Map<String, String> ann = with(oakland, "user.membership", "gold",
        "ga_session_id", "1709287080");
    Map<String, String> newYork = with(oakland, "browser", "Safari", "city", "New York",
        "device", "mobile", "os", "iOS", "region", "New York", "ga_session_id", "1709403600");
    Map<String, String> dublin = with(oakland, "city", "Dublin", "country", "Ireland",
        "region", "Dublin", "currency", "EUR", "transaction_id", "T-5002");
    Map<String, Boolean> given = Map.of("ads", true, "analytics", true);
    Map<String, String> annIds = Map.of("user_id", "u-1001", "ga4_pseudo_id",
        "1234567890.1709287080");
    assertRecords(read.records(),
        event("ga4", "1234567890.1709287080:1709287080000000:session_start:101", "site_visit",
            "2024-03-01T09:58:00Z", annIds, null, null,
            with(ann, "page_location", "https://shop.example.com/"), given),
        event("ga4", "1234567890.1709287080:1709287085000000:page_view:101", "page_view",
            "2024-03-01T09:58:05Z", annIds, null, null,
            with(ann, "page_location", "https://shop.example.com/garden", "page_title",
                "Garden"), given),
        event("ga4", "1234567890.1709287080:1709287470000000:purchase:102", "purchase",
            "2024-03-01T10:04:30Z", annIds, "59.9", "USD",
            with(ann, "currency", "USD", "value", "59.9", "transaction_id", "T-5001", "sku",
                "SKU-GL-1", "category", "garden", "items",
                "[{\"item_id\":\"SKU-GL-1\",\"item_name\":\"Garden gloves\",\"item_category\":"
                    + "\"garden\",\"price\":29.95,\"quantity\":\"2\"}]"), given),
        event("ga4", "2233445566.1709403600:1709403600000000:page_view:201", "page_view",
            "2024-03-02T18:20:00Z",
            Map.of("user_id", "u-1002", "ga4_pseudo_id", "2233445566.1709403600"), null, null,
            with(newYork, "page_location", "https://shop.example.com/books"), given),
        // event_timestamp and event_bundle_sequence_id as JSON numbers on this row
        event("ga4", "2233445566.1709403600:1709403730000000:add_to_cart:201", "cart_add",
            "2024-03-02T18:22:10Z",
            Map.of("user_id", "u-1002", "ga4_pseudo_id", "2233445566.1709403600"), "18.0",
            "USD", with(newYork, "currency", "USD", "value", "18.0"), given),
        event("ga4", "9988776655.1709449200:1709449200000000:page_view:301", "page_view",
            "2024-03-03T07:00:00Z", Map.of("ga4_pseudo_id", "9988776655.1709449200"), null,
            null, with(oakland, "page_location", "https://shop.example.com/"),
            Map.of("ads", false, "analytics", false)),
        event("ga4", "5566778899.1709553600:1709553600000000:purchase:401", "purchase",
            "2024-03-04T12:00:00Z",
            Map.of("user_id", "u-1004", "ga4_pseudo_id", "5566778899.1709553600"), "120.0",
            "EUR", with(dublin, "value", "120.0"), given),
        // GA4 writes refund_value positive: a refund is money back
        event("ga4", "5566778899.1709553600:1709717400000000:refund:402", "refund",
            "2024-03-06T09:30:00Z",
            Map.of("user_id", "u-1004", "ga4_pseudo_id", "5566778899.1709553600"), "-20.0",
            "EUR", dublin, given),
        event("ga4", "1234567890.1709287080:1709665200000000:page_view:104", "page_view",
            "2024-03-05T19:00:00Z", annIds, null, null,
            with(oakland, "user.membership", "gold", "page_location",
                "https://shop.example.com/garden/tools"), given),
        event("ga4", "1234567890.1709287080:1709709300000000:page_view:105", "page_view",
            "2024-03-06T07:15:00Z", annIds, null, null,
            with(oakland, "user.membership", "gold", "page_location",
                "https://shop.example.com/"), given),
        event("ga4", "2233445566.1709403600:1709812800000000:session_start:202", "site_visit",
            "2024-03-07T12:00:00Z",
            Map.of("user_id", "u-1002", "ga4_pseudo_id", "2233445566.1709403600"), null, null,
            with(newYork, "ga_session_id", "1709812800"), given),
        event("ga4", "5566778899.1709553600:1709625600000000:page_view:403", "page_view",
            "2024-03-05T08:00:00Z",
            Map.of("user_id", "u-1004", "ga4_pseudo_id", "5566778899.1709553600"), null, null,
            with(oakland, "city", "Dublin", "country", "Ireland", "region", "Dublin",
                "page_location", "https://shop.example.com/sale"), given),
        event("ga4", "9988776655.1709449200:1709449320000000:page_view:302", "page_view",
            "2024-03-03T07:02:00Z", Map.of("ga4_pseudo_id", "9988776655.1709449200"), null,
            null, with(oakland, "page_location", "https://shop.example.com/garden"),
            Map.of("ads", false, "analytics", false)),
        event("ga4", "4455667788.1709931600:1709931600000000:page_view:501", "page_view",
            "2024-03-08T21:00:00Z", Map.of("ga4_pseudo_id", "4455667788.1709931600"), null,
            null, with(oakland, "page_location", "https://shop.example.com/"), given));
    assertDeadLetters(read.deadLetters(), "ReadEvents/Parse: format 'ga4', field "
        + "'event_timestamp': unparseable time 'not-a-timestamp' (expected epoch_micros, a "
        + "number)");
  }

  @Test
  void segmentMessagesOfEveryCallTypeAndAliasLinksPreviousId() {
    LocalRecords<CustomerEvent> read = events("segment");
    assertRecords(read.records(),
        event("segment", "msg-001", "identify", "2024-02-28T08:00:00Z",
            Map.of("user_id", "u-1001", "anonymous_id", "a1b2c3", "email",
                "Ann.Lee@Example.com"), null, null,
            Map.of("trait.email", "Ann.Lee@Example.com", "trait.name", "Ann Lee", "trait.plan",
                "pro"), Map.of()),
        event("segment", "msg-002", "purchase", "2024-03-02T18:30:00Z",
            Map.of("user_id", "u-1002", "email", "bo.chen@example.com"), "35.5", "USD",
            Map.of("order_id", "O-77", "revenue", "35.5", "currency", "usd", "sku", "BK-12",
                "products",
                "[{\"product_id\":\"B-12\",\"sku\":\"BK-12\",\"price\":35.5,\"quantity\":1}]"),
            Map.of()),
        event("segment", "msg-003", "page_view", "2024-03-03T11:00:00Z",
            Map.of("anonymous_id", "anon-9"), null, null,
            Map.of("page", "/pricing", "path", "/pricing", "title", "Pricing", "url",
                "https://app.example.com/pricing", "referrer", "https://www.google.com/"),
            Map.of()),
        event("segment", "msg-004", "alias", "2024-03-03T11:05:00Z",
            Map.of("user_id", "u-1003", "anonymous_id", "anon-9"), null, null, Map.of(),
            Map.of()),
        event("segment", "msg-005", "identify", "2024-03-03T11:05:02Z",
            Map.of("user_id", "u-1003", "email", "cy.diaz@example.org"), null, null,
            Map.of("trait.email", "cy.diaz@example.org", "trait.plan", "starter",
                "trait.company", "Diaz Design"), Map.of()),
        event("segment", "msg-006", "email_open", "2024-03-05T07:45:00Z",
            Map.of("user_id", "u-1004", "email", "dee.evans@example.net"), null, null,
            Map.of("email_subject", "Spring sale", "campaign_id", "c-31"), Map.of()),
        event("segment", "msg-007", "page_view", "2024-03-06T20:00:00Z",
            Map.of("user_id", "u-1002"), null, null,
            Map.of("page", "Home", "os", "iOS", "device", "ios"), Map.of()),
        event("segment", "msg-008", "group", "2024-03-07T09:00:00Z",
            Map.of("user_id", "u-1003"), null, null,
            Map.of("group_id", "org-7", "trait.name", "Diaz Design", "trait.employees", "12"),
            Map.of()),
        event("segment", "msg-010", "Product Viewed", "2024-03-04T10:00:00Z",
            Map.of("user_id", "u-1001"), null, null,
            Map.of("product_id", "SKU-GL-1", "category", "garden"), Map.of()),
        event("segment", "msg-011", "page_view", "2024-03-04T20:00:00Z",
            Map.of("user_id", "u-1002"), null, null, Map.of("page", "/books", "path", "/books"),
            Map.of()),
        event("segment", "msg-012", "signup", "2024-03-03T11:06:00Z",
            Map.of("user_id", "u-1003"), null, null, Map.of("plan", "starter"), Map.of()),
        event("segment", "msg-013", "identify", "2024-03-05T07:40:00Z",
            Map.of("user_id", "u-1004"), null, null,
            Map.of("trait.plan", "team", "trait.company", "Evans Ltd"), Map.of()));
    assertDeadLetters(read.deadLetters(), "ReadEvents/Parse: format 'segment', field "
        + "'timestamp': missing required field (looked in timestamp, originalTimestamp, "
        + "receivedAt)");
  }

  @Test
  void segmentIdentifyCallsAsProfilesTheOtherCallsSkipped() {
    LocalRecords<ProfileAttributes> read = profiles("segment");
    assertRecords(read.records(),
        profile("segment", "msg-001", "2024-02-28T08:00:00Z", Map.of("user_id", "u-1001",
            "anonymous_id", "a1b2c3", "email", "Ann.Lee@Example.com"),
            Map.of("name", "Ann Lee", "plan", "pro")),
        profile("segment", "msg-005", "2024-03-03T11:05:02Z", Map.of("user_id", "u-1003",
            "email", "cy.diaz@example.org"), Map.of("plan", "starter", "company",
            "Diaz Design")),
        profile("segment", "msg-013", "2024-03-05T07:40:00Z", Map.of("user_id", "u-1004"),
            Map.of("plan", "team", "company", "Evans Ltd")));
    // the track call without a timestamp is skipped with the other calls, not rejected
    assertDeadLetters(read.deadLetters());
  }

  @Test
  void mixpanelExportInSecondsWithIdentifyMergeAndInsertIdDuplicates() {
    LocalRecords<CustomerEvent> read = events("mixpanel");
    assertRecords(read.records(),
        event("mixpanel", "ins-0001", "page_view", "2024-03-02T09:00:00Z",
            Map.of("device_id", "dev-22", "mixpanel_distinct_id", "$device:dev-22"), null, null,
            Map.of("browser", "Chrome", "city", "New York", "country", "US", "os", "Mac OS X",
                "page", "https://app.example.com/", "region", "New York"), Map.of()),
        event("mixpanel", "ins-0002", "signup", "2024-03-02T09:05:00Z",
            Map.of("device_id", "dev-22", "mixpanel_distinct_id", "u-1002", "user_id",
                "u-1002"), null, null, Map.of("country", "US", "plan", "free"), Map.of()),
        // $identify: the identified id and the anonymous (device) id on one record
        event("mixpanel", "ins-0003", "$identify", "2024-03-05T08:00:00Z",
            Map.of("device_id", "dev-44", "mixpanel_distinct_id", "u-1004", "user_id",
                "u-1004"), null, null, Map.of("country", "IE"), Map.of()),
        event("mixpanel", "ins-0004", "Feature Used", "2024-03-05T08:10:00Z",
            Map.of("device_id", "dev-44", "mixpanel_distinct_id", "u-1004", "user_id",
                "u-1004"), null, null, Map.of("country", "IE", "feature", "reports"),
            Map.of()),
        event("mixpanel", "ins-0005", "purchase", "2024-03-06T15:00:00Z",
            Map.of("mixpanel_distinct_id", "u-1002", "user_id", "u-1002"), "18.0", "USD",
            Map.of("Amount", "18.0", "Item", "Notebook", "currency", "USD"), Map.of()),
        event("mixpanel", "ins-0007", "page_view", "2024-03-06T14:00:00Z",
            Map.of("device_id", "dev-22", "mixpanel_distinct_id", "u-1002", "user_id",
                "u-1002"), null, null, Map.of("page", "https://app.example.com/billing"),
            Map.of()),
        event("mixpanel", "ins-0008", "cart_add", "2024-03-06T14:05:00Z",
            Map.of("mixpanel_distinct_id", "u-1002", "user_id", "u-1002"), null, null,
            Map.of("Item", "Notebook"), Map.of()),
        event("mixpanel", "ins-0009", "Feature Used", "2024-03-06T09:00:00Z",
            Map.of("mixpanel_distinct_id", "u-1004", "user_id", "u-1004"), null, null,
            Map.of("feature", "exports"), Map.of()),
        event("mixpanel", "ins-0010", "Feature Used", "2024-03-07T09:00:00Z",
            Map.of("mixpanel_distinct_id", "u-1004", "user_id", "u-1004"), null, null,
            Map.of("feature", "reports"), Map.of()),
        event("mixpanel", "ins-0011", "page_view", "2024-03-07T18:00:00Z",
            Map.of("device_id", "dev-77", "mixpanel_distinct_id", "$device:dev-77"), null, null,
            Map.of("page", "https://app.example.com/pricing"), Map.of()));
    assertDeadLetters(read.deadLetters(),
        "ReadEvents/Deduplicate: duplicate (source, id): another record with the same source "
            + "and id was kept",
        "ReadEvents/Parse: format 'mixpanel', field 'properties.time': unparseable time "
            + "'yesterday' (expected epoch_seconds, a number)");
  }

  @Test
  void amplitudeExportWithItsTimeFormatAndRevenue() {
    LocalRecords<CustomerEvent> read = events("amplitude");
    Map<String, String> phone = Map.of("city", "San Francisco", "country", "United States",
        "device", "Apple iPhone 15", "os", "ios", "platform", "iOS", "region", "California");
    assertRecords(read.records(),
        event("amplitude", "ins-a-1:6f1c1e9a-0000-4000-8000-000000000001", "page_view",
            "2024-03-01T16:00:00Z", Map.of("user_id", "u-1001", "device_id", "DEV-A1",
                "amplitude_id", "90000001"), null, null,
            with(phone, "[Amplitude] Page Path", "/garden"), Map.of()),
        // microseconds in event_time: the project keeps milliseconds
        event("amplitude", "ins-a-2:6f1c1e9a-0000-4000-8000-000000000002", "purchase",
            "2024-03-07T10:15:30.250Z", Map.of("user_id", "u-1002", "device_id", "DEV-B2",
                "amplitude_id", "90000002"), "24.0", "USD",
            with(phone, "city", "New York", "currency", "USD", "product_id", "NB-3",
                "quantity", "1"), Map.of()),
        event("amplitude", "ins-a-3:6f1c1e9a-0000-4000-8000-000000000003", "Search",
            "2024-03-07T11:00:00Z", Map.of("user_id", "u-1003", "amplitude_id", "90000003"),
            null, null, with(phone, "query", "invoices", "user.plan", "starter"), Map.of()),
        event("amplitude", "ins-a-4:6f1c1e9a-0000-4000-8000-000000000004", "App Opened",
            "2024-03-08T06:30:00Z", Map.of("device_id", "DEV-X9", "amplitude_id", "90000004"),
            null, null, phone, Map.of()),
        // amplitude_id is Amplitude's id of the user: the same on all of a user's events
        event("amplitude", "ins-a-6:6f1c1e9a-0000-4000-8000-000000000006", "page_view",
            "2024-03-02T08:00:00Z", Map.of("user_id", "u-1001", "device_id", "DEV-A1",
                "amplitude_id", "90000001"), null, null,
            with(phone, "[Amplitude] Page Path", "/"), Map.of()),
        event("amplitude", "ins-a-7:6f1c1e9a-0000-4000-8000-000000000007", "Search",
            "2024-03-08T11:00:00Z", Map.of("user_id", "u-1003", "amplitude_id", "90000003"),
            null, null, with(phone, "query", "reports"), Map.of()),
        event("amplitude", "ins-a-8:6f1c1e9a-0000-4000-8000-000000000008", "cart_add",
            "2024-03-07T10:10:00Z", Map.of("user_id", "u-1002", "device_id", "DEV-B2",
                "amplitude_id", "90000002"), null, null,
            with(phone, "city", "New York", "product_id", "NB-3"), Map.of()),
        event("amplitude", "ins-a-9:6f1c1e9a-0000-4000-8000-000000000009", "App Opened",
            "2024-03-09T06:30:00Z", Map.of("device_id", "DEV-X9", "amplitude_id", "90000004"),
            null, null, phone, Map.of()));
    assertDeadLetters(read.deadLetters(), "ReadEvents/Parse: format 'amplitude', field "
        + "'event_time': unparseable time '2024/03/08 10:00' (expected pattern "
        + "yyyy-MM-dd HH:mm:ss[.SSSSSS][.SSS])");
  }

  @Test
  void hubspotContactsWithTheirUnsubscribeColumnAndStrictDates() {
    LocalRecords<ProfileAttributes> read = profiles("hubspot");
    List<ProfileAttributes> more = new java.util.ArrayList<>();
    for (int i = 0; i < NEW_PEOPLE.size(); i++) {
      NewPerson p = NEW_PEOPLE.get(i);
      more.add(profile("hubspot", p.hubspotId(), "2024-03-0" + (i + 1) + "T10:00:00Z",
          Map.of("hubspot_id", p.hubspotId(), "email", p.email(), "phone", p.hubspotPhone()),
          Map.of("first_name", p.first(), "last_name", p.last(), "crm_lifecycle_stage",
              "subscriber", "city", "Seattle", "region", "WA", "country", "United States",
              "signup_date", "2024-02-0" + (i + 1) + " 10:00", "marketing_contact",
              "Marketing contact", "consent_email", "true")));
    }
    assertRecords(read.records(), more,
        profile("hubspot", "501", "2024-02-20T16:40:00Z", Map.of("hubspot_id", "501", "email",
            "ann.lee@example.com", "phone", "+1 415-555-0132"), Map.of("first_name", "Ann",
            "last_name", "Lee", "crm_lifecycle_stage", "customer", "city", "Oakland", "region",
            "CA", "country", "United States", "signup_date", "2023-11-02 09:15",
            "marketing_contact", "Marketing contact", "consent_email", "true")),
        // "Unsubscribed from all email" true: no email consent
        profile("hubspot", "502", "2024-03-01T08:30:00Z", Map.of("hubspot_id", "502", "email",
            "bo.chen@example.com", "phone", "(212) 555-0199"), Map.of("first_name", "Bo",
            "last_name", "Chen", "crm_lifecycle_stage", "lead", "city", "New York", "region",
            "NY", "country", "United States", "signup_date", "2024-01-15 11:00",
            "marketing_contact", "Non-marketing contact", "consent_email", "false")),
        profile("hubspot", "503", "2024-02-11T10:05:00Z", Map.of("hubspot_id", "503", "email",
            "cy.diaz@example.org"), Map.of("first_name", "Cy", "last_name", "Diaz",
            "crm_lifecycle_stage", "customer", "company", "Diaz Design", "city", "Chicago",
            "region", "IL", "country", "United States", "signup_date", "2023-06-30 14:00",
            "marketing_contact", "Marketing contact", "consent_email", "true")));
    // No Last Modified Date: Create Date is read, and named, and February has no 30th.
    assertDeadLetters(read.deadLetters(), "ReadProfiles/Parse: format 'hubspot', field "
        + "'Create Date': unparseable time '2024-02-30 10:00' (expected pattern "
        + "yyyy-MM-dd HH:mm[:ss])");
  }

  @Test
  void salesforceContactsWithApiNamesAndOptOutFlags() {
    LocalRecords<ProfileAttributes> read = profiles("salesforce");
    List<ProfileAttributes> more = new java.util.ArrayList<>();
    for (int i = 0; i < NEW_PEOPLE.size(); i++) {
      NewPerson p = NEW_PEOPLE.get(i);
      more.add(profile("salesforce", p.salesforceId(), "2024-03-0" + (i + 1) + "T09:00:00Z",
          Map.of("salesforce_id", p.salesforceId(), "email", p.email()),
          Map.of("first_name", p.first(), "last_name", p.last(), "job_title", "Analyst",
              "city", "Seattle", "region", "WA", "country", "US", "lead_source", "Web",
              "signup_date", "2024-02-0" + (i + 1) + "T09:00:00.000Z", "consent_email",
              "true", "consent_phone", "true")));
    }
    assertRecords(read.records(), more,
        profile("salesforce", "0035g00000QxAbCAAV", "2024-02-25T12:00:00Z",
            Map.of("salesforce_id", "0035g00000QxAbCAAV", "email", "ann.lee@example.com"),
            Map.of("first_name", "Ann", "last_name", "Lee", "job_title", "Head of Operations",
                "city", "Oakland", "region", "CA", "country", "US", "lead_source", "Web",
                "signup_date", "2023-10-01T08:00:00.000Z", "consent_email", "true",
                "consent_phone", "true")),
        profile("salesforce", "0035g00000QxAbDAAV", "2024-03-04T13:00:00Z",
            Map.of("salesforce_id", "0035g00000QxAbDAAV", "email", "dee.evans@example.net",
                "phone", "+353 1 555 0123"),
            Map.of("first_name", "Dee", "last_name", "Evans", "job_title", "Buyer", "city",
                "Dublin", "country", "IE", "lead_source", "Partner Referral", "signup_date",
                "2024-01-10T09:30:00.000Z", "consent_email", "true", "consent_phone",
                "false")));
    assertDeadLetters(read.deadLetters(), "ReadProfiles/Parse: format 'salesforce', field "
        + "'LastModifiedDate': unparseable time 'yesterday' in 'LastModifiedDate' (expected "
        + "ISO-8601, e.g. 2024-03-01T12:00:00Z)");
  }

  @Test
  void zohoContactsByPhoneWithEmailOptOut() {
    LocalRecords<ProfileAttributes> read = profiles("zoho");
    List<ProfileAttributes> more = new java.util.ArrayList<>();
    for (int i = 0; i < NEW_PEOPLE.size(); i++) {
      NewPerson p = NEW_PEOPLE.get(i);
      more.add(profile("zoho", p.zohoId(), "2024-03-0" + (i + 1) + "T08:00:00Z",
          Map.of("zoho_id", p.zohoId(), "phone", p.zohoPhone()),
          Map.of("first_name", p.first(), "last_name", p.last(), "city", "Seattle",
              "country", "United States", "lead_source", "Web Download", "signup_date",
              "2024-02-0" + (i + 1) + " 08:00:00", "consent_email", "true")));
    }
    assertRecords(read.records(), more,
        profile("zoho", "zcrm_5725767000000393001", "2024-02-27T09:00:00Z",
            Map.of("zoho_id", "zcrm_5725767000000393001", "phone", "+1 (415) 555-0132"),
            Map.of("first_name", "Ann", "last_name", "Lee", "city", "Oakland", "country",
                "United States", "lead_source", "Online Store", "signup_date",
                "2023-09-12 10:00:00", "consent_email", "true")),
        profile("zoho", "zcrm_5725767000000393002", "2024-03-03T17:45:00Z",
            Map.of("zoho_id", "zcrm_5725767000000393002", "phone", "212.555.0199"),
            Map.of("first_name", "Bo", "last_name", "Chen", "city", "New York", "country",
                "United States", "lead_source", "Advertisement", "signup_date",
                "2024-01-20 15:30:00", "consent_email", "false")));
    assertDeadLetters(read.deadLetters(),
        "ReadProfiles/Parse: malformed CSV: row has 14 cells, the header 13");
  }

  // ---- helpers ----

  /** The six people only the CRMs know (the last rows of their sample files). */
  record NewPerson(String first, String last, String email, String hubspotPhone,
      String zohoPhone, String hubspotId, String salesforceId, String zohoId) {}

  static final List<NewPerson> NEW_PEOPLE = List.of(
      new NewPerson("Fay", "Green", "fay.green@example.com", "+1 206-555-0101",
          "(206) 555-0101", "505", "0035g00000QxAbFAAV", "zcrm_5725767000000393004"),
      new NewPerson("Gil", "Hart", "gil.hart@example.com", "+1 303-555-0102", "303.555.0102",
          "506", "0035g00000QxAbGAAV", "zcrm_5725767000000393005"),
      new NewPerson("Hal", "Ito", "hal.ito@example.com", "+1 503-555-0103", "+1 503 555 0103",
          "507", "0035g00000QxAbHAAV", "zcrm_5725767000000393006"),
      new NewPerson("Ida", "Jun", "ida.jun@example.com", "+1 617-555-0104", "617-555-0104",
          "508", "0035g00000QxAbIAAV", "zcrm_5725767000000393007"),
      new NewPerson("Jo", "Kim", "jo.kim@example.com", "+1 702-555-0105", "(702) 555-0105",
          "509", "0035g00000QxAbJAAV", "zcrm_5725767000000393008"),
      new NewPerson("Kai", "Lam", "kai.lam@example.com", "+1 512-555-0106", "512 555 0106",
          "510", "0035g00000QxAbKAAV", "zcrm_5725767000000393009"));

  static Path sources() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("sample/sources"))) {
        return dir.resolve("sample/sources");
      }
    }
    throw new IllegalStateException("no sample/sources above " + Path.of("").toAbsolutePath());
  }

  private static LocalRecords<CustomerEvent> events(String format) {
    return LocalRecords.mappedEvents(sources().resolve(format) + "/*",
        BuiltInFormats.get(format, SourceMapping.Kind.EVENTS));
  }

  private static LocalRecords<ProfileAttributes> profiles(String format) {
    return LocalRecords.mappedProfiles(sources().resolve(format) + "/*",
        BuiltInFormats.get(format, SourceMapping.Kind.PROFILES));
  }

  private static CustomerEvent event(String source, String id, String type, String time,
      Map<String, String> ids, String revenue, String currency, Map<String, String> props,
      Map<String, Boolean> consent) {
    return CustomerEvent.builder().setSource(source).setSourceRecordId(id).setEventType(type)
        .setEventTime(Instant.parse(time)).setIdentifiers(new TreeMap<>(ids))
        .setRevenue(revenue == null ? null : new BigDecimal(revenue)).setCurrency(currency)
        .setProperties(new TreeMap<>(props)).setConsent(new TreeMap<>(consent)).build();
  }

  private static ProfileAttributes profile(String source, String id, String time,
      Map<String, String> ids, Map<String, String> attrs) {
    return ProfileAttributes.builder().setSource(source).setSourceRecordId(id)
        .setUpdateTime(Instant.parse(time)).setIdentifiers(new TreeMap<>(ids))
        .setAttributes(new TreeMap<>(attrs)).build();
  }

  private static Map<String, String> with(Map<String, String> base, String... pairs) {
    Map<String, String> out = new HashMap<>(base);
    for (int i = 0; i < pairs.length; i += 2) {
      out.put(pairs[i], pairs[i + 1]);
    }
    return out;
  }

  @SafeVarargs
  private static <T> void assertRecords(List<T> actual, T... expected) {
    assertRecords(actual, List.of(), expected);
  }

  @SafeVarargs
  private static <T> void assertRecords(List<T> actual, List<T> more, T... expected) {
    List<T> all = new java.util.ArrayList<>(List.of(expected));
    all.addAll(more);
    assertEquals(all.size(), actual.size());
    assertEquals(Set.copyOf(all), Set.copyOf(actual));
  }

  private static void assertDeadLetters(List<DeadLetter> actual, String... expected) {
    assertEquals(Set.of(expected), actual.stream()
        .map(d -> d.getStep() + ": " + d.getReason()).collect(Collectors.toSet()));
    assertEquals(expected.length, actual.size());
  }
}
