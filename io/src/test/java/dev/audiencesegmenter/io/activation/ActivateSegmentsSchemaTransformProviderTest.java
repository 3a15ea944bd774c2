package dev.audiencesegmenter.io.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.io.hubspot.FakeHubSpot;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.SegmentMembership;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.beam.sdk.schemas.transforms.Convert;
import org.apache.beam.sdk.schemas.transforms.SchemaTransformProvider;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollectionRowTuple;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The activation as Beam YAML builds it: from a configuration row and rows. */
@ExtendWith(TestPipelineExtension.class)
class ActivateSegmentsSchemaTransformProviderTest {
  FakeHubSpot hubspot;

  @BeforeEach
  void start() throws Exception {
    hubspot = new FakeHubSpot(ActivateSegmentsTest.TOKEN);
  }

  @AfterEach
  void stop() {
    hubspot.close();
  }

  static SchemaTransformProvider provider() {
    for (SchemaTransformProvider p : ServiceLoader.load(SchemaTransformProvider.class)) {
      if (p.identifier().equals(ActivateSegmentsSchemaTransformProvider.IDENTIFIER)) {
        return p;
      }
    }
    throw new AssertionError("not registered with ServiceLoader");
  }

  static Row.FieldValueBuilder config(SchemaTransformProvider provider) {
    return Row.withSchema(provider.configurationSchema())
        .withFieldValue("platform", "hubspot")
        .withFieldValue("sync_state", "/tmp/unused-state")
        .withFieldValue("credential_env", null).withFieldValue("credential_file", null)
        .withFieldValue("credential_secret", null).withFieldValue("base_url", null)
        .withFieldValue("list_id", null).withFieldValue("field_mapping", null)
        .withFieldValue("max_customer_drop", null).withFieldValue("max_exit_share", null)
        .withFieldValue("allow_large_changes", null).withFieldValue("dry_run_directory", null);
  }

  @Test
  void rowsOfTheSegmentTransformReachThePlatform(TestPipeline p, @TempDir Path dir)
      throws Exception {
    Path token = dir.resolve("hubspot-token");
    Files.writeString(token, ActivateSegmentsTest.TOKEN + "\n");
    SchemaTransformProvider provider = provider();
    PCollectionRowTuple input = PCollectionRowTuple
        .of("identities", p.apply("Identities", Create.of(List.of(
                CustomerIdentity.create("a", "email", "ann@example.com"),
                CustomerIdentity.create("b", "email", "bob@example.com"))))
            .apply("IdentityRows", Convert.toRows()))
        .and("features", p.apply("Features", Create.of(List.of(
                ActivateSegmentsTest.features("a", true),
                ActivateSegmentsTest.features("b", false))))
            .apply("FeatureRows", Convert.toRows()))
        .and("memberships", p.apply("Memberships", Create.of(List.of(
                SegmentMembership.create("a", "loyal_customers", "lifecycle", false),
                SegmentMembership.create("b", "loyal_customers", "lifecycle", false))))
            .apply("MembershipRows", Convert.toRows()));
    PCollectionRowTuple out = input.apply("Activate", provider.from(config(provider)
        .withFieldValue("credential_file", token.toString())
        .withFieldValue("base_url", hubspot.baseUrl())
        .withFieldValue("sync_state", dir.resolve("state").toString())
        .withFieldValue("field_mapping", java.util.Map.of("monetary_total", "lifetime_value"))
        .build()));
    PAssert.that(out.get("dead_letters")).empty();
    PAssert.that(out.get("refused")).empty();
    p.run().waitUntilFinish();

    assertEquals(List.of("ann@example.com"), List.copyOf(hubspot.contacts.keySet()),
        "bob has no email consent");
    assertEquals("loyal_customers", hubspot.contacts.get("ann@example.com")
        .path("audience_segments").asText());
    assertEquals("30.00", hubspot.contacts.get("ann@example.com").path("lifetime_value")
        .asText());
  }

  /** Kit, one of the platforms added later, through the same configuration row. */
  @Test
  void kitIsAPlatformToo(TestPipeline p, @TempDir Path dir) throws Exception {
    try (dev.audiencesegmenter.io.kit.FakeKit kit = new dev.audiencesegmenter.io.kit.FakeKit()) {
      kit.customField("lifetime_value");
      Path token = dir.resolve("kit-token");
      Files.writeString(token, dev.audiencesegmenter.io.kit.FakeKit.TOKEN + "\n");
      SchemaTransformProvider provider = provider();
      PCollectionRowTuple input = PCollectionRowTuple
          .of("identities", p.apply("Identities", Create.of(List.of(
                  CustomerIdentity.create("a", "email", "ann@example.com"))))
              .apply("IdentityRows", Convert.toRows()))
          .and("features", p.apply("Features", Create.of(List.of(
                  ActivateSegmentsTest.features("a", true))))
              .apply("FeatureRows", Convert.toRows()))
          .and("memberships", p.apply("Memberships", Create.of(List.of(
                  SegmentMembership.create("a", "loyal_customers", "lifecycle", false))))
              .apply("MembershipRows", Convert.toRows()));
      PCollectionRowTuple out = input.apply("Activate", provider.from(config(provider)
          .withFieldValue("platform", "kit")
          .withFieldValue("credential_file", token.toString())
          .withFieldValue("base_url", kit.baseUrl())
          .withFieldValue("sync_state", dir.resolve("state").toString())
          .withFieldValue("field_mapping", java.util.Map.of("monetary_total", "lifetime_value"))
          .build()));
      PAssert.that(out.get("dead_letters")).empty();
      p.run().waitUntilFinish();

      assertEquals(java.util.Set.of("ann@example.com"), kit.subscribers.keySet());
      assertEquals("30.00", kit.subscribers.get("ann@example.com").path("fields")
          .path("lifetime_value").asText());
    }
  }

  @Test
  void badSettingsAreNamed() {
    SchemaTransformProvider provider = provider();
    assertEquals(ActivateSegmentsSchemaTransformProvider.IDENTIFIER + ": platform must be one "
        + "of hubspot, mailchimp, klaviyo, braze, salesforce, zoho, kit, got 'hubsopt'",
        assertThrows(IllegalArgumentException.class, () -> provider.from(config(provider)
            .withFieldValue("platform", "hubsopt")
            .withFieldValue("credential_env", "HUBSPOT_TOKEN").build())).getMessage());
    assertEquals(ActivateSegmentsSchemaTransformProvider.IDENTIFIER + ": give one of "
        + "credential_env, credential_file, credential_secret (got 2)",
        assertThrows(IllegalArgumentException.class, () -> provider.from(config(provider)
            .withFieldValue("credential_env", "HUBSPOT_TOKEN")
            .withFieldValue("credential_file", "/run/secrets/hubspot").build())).getMessage());
    assertEquals(ActivateSegmentsSchemaTransformProvider.IDENTIFIER + ": mailchimp needs "
        + "list_id", assertThrows(IllegalArgumentException.class, () -> provider.from(
            config(provider).withFieldValue("platform", "mailchimp")
                .withFieldValue("credential_env", "MAILCHIMP_KEY").build())).getMessage());
  }
}
