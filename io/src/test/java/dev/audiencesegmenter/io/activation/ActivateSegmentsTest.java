package dev.audiencesegmenter.io.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.io.hubspot.FakeHubSpot;
import dev.audiencesegmenter.io.hubspot.HubSpotConnector;
import dev.audiencesegmenter.io.rails.ChangeLimits;
import dev.audiencesegmenter.io.rails.GuardExits;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.BuildContactUpdates;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.model.SegmentMembership;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.joda.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole delta-sync chain in one apply, run after run against a fake HubSpot. */
class ActivateSegmentsTest {
  static final String TOKEN = "pat-na1-activate-segments-0001";
  FakeHubSpot hubspot;

  @BeforeEach
  void start() throws Exception {
    hubspot = new FakeHubSpot(TOKEN);
  }

  @AfterEach
  void stop() {
    hubspot.close();
  }

  static CustomerFeatures features(String id, Boolean consent) {
    return CustomerFeatures.builder().setCustomerId(id)
        .setFirstSeen(Instant.parse("2024-01-01T00:00:00Z"))
        .setLastSeen(Instant.parse("2024-06-01T00:00:00Z")).setTenureDays(182)
        .setRecencyDays(29L).setFrequency(3).setMonetaryTotal(new BigDecimal("30.00"))
        .setMonetaryAvg(null).setPurchases30d(0).setPurchases90d(0).setPurchases180d(3)
        .setPurchases365d(3).setEmailOpens90d(0).setEmailClicks90d(0).setSiteVisits30d(0)
        .setSiteVisits90d(0).setCartAbandoned24h(false).setConsentEmail(consent).build();
  }

  /** One run: ann and cy are loyal; bob too unless {@code bobLeft}; cy never consented. */
  PipelineResult run(Path state, boolean bobLeft, ChangeLimits limits)
      throws NoSuchSchemaException {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    var identities = pipeline.apply("Identities", Create.of(List.of(
        CustomerIdentity.create("a", "email", "ann@example.com"),
        CustomerIdentity.create("b", "email", "bob@example.com"),
        CustomerIdentity.create("c", "email", "cy@example.com"))));
    var features = pipeline.apply("Features", Create.of(List.of(features("a", true),
        features("b", true), features("c", null))));
    var events = pipeline.apply("Events", Create.empty(KvCoder.of(StringUtf8Coder.of(),
        pipeline.getSchemaRegistry().getSchemaCoder(TypeDescriptor.of(CustomerEvent.class)))));
    List<SegmentMembership> held = new ArrayList<>(List.of(
        SegmentMembership.create("a", "loyal_customers", "lifecycle", false),
        SegmentMembership.create("c", "loyal_customers", "lifecycle", false)));
    if (!bobLeft) {
      held.add(SegmentMembership.create("b", "loyal_customers", "lifecycle", false));
    }
    var memberships = pipeline.apply("Memberships", Create.of(held));
    ActivateSegments.Result result = BuildContactUpdates
        .inputs(identities, features, events, memberships)
        .apply("Activate", ActivateSegments.create()
            .withFeatureColumns(List.of("monetary_total"))
            .to(HubSpotConnector.create(Credential.of(TOKEN)).withBaseUrl(hubspot.baseUrl())
                    .withAccount("activate").sink()
                    .withBackoff(Duration.ofMillis(10), Duration.ofMillis(20)),
                SyncStateStore.folder(state.toString()))
            .withLimits(limits));
    assertEquals(List.of("hubspot"), result.getVendors());
    PipelineResult run = pipeline.run();
    run.waitUntilFinish();
    return run;
  }

  static long heldBack(PipelineResult result) {
    long sum = 0;
    for (MetricResult<Long> counter : result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(GuardExits.class, "customers_held_back"))
        .build()).getCounters()) {
      sum += counter.getAttempted();
    }
    return sum;
  }

  @Test
  void sendsOnlyWhatChangedHoldsBackLargeExitsAndCommitsTheState(@TempDir Path dir)
      throws Exception {
    Path state = dir.resolve("sync-state").resolve("hubspot");
    run(state, false, ChangeLimits.defaults());
    assertEquals(List.of("ann@example.com", "bob@example.com"),
        hubspot.contacts.keySet().stream().sorted().toList(), "cy never consented");
    assertEquals("loyal_customers", hubspot.contacts.get("bob@example.com")
        .path("audience_segments").asText());
    assertTrue(Files.list(state).anyMatch(f -> f.toString().endsWith(".jsonl")),
        "the state is committed");

    int requests = hubspot.server.requests().size();
    run(state, false, ChangeLimits.defaults());
    assertEquals(requests, hubspot.server.requests().size(), "nothing changed: nothing sent");

    // bob leaves: one exit of two memberships held is over the default 20 %
    PipelineResult refused = run(state, true, ChangeLimits.defaults());
    assertEquals(1, heldBack(refused));
    assertEquals("loyal_customers", hubspot.contacts.get("bob@example.com")
        .path("audience_segments").asText(), "the exit was held back");

    run(state, true, ChangeLimits.defaults().withAllowLargeChanges(true));
    assertEquals("", hubspot.contacts.get("bob@example.com").path("audience_segments")
        .asText(), "allowed: bob left the segment");
    assertEquals(1, hubspot.writesPerEmail.get("ann@example.com").get(), "ann was sent once");
  }

  @Test
  void configurationIsCheckedAndShown() {
    ActivateSegments none = ActivateSegments.create();
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    assertEquals("ActivateSegments needs at least one destination: to(sink, store)",
        assertThrows(IllegalStateException.class, () -> none.expand(
            org.apache.beam.sdk.values.PCollectionTuple.empty(pipeline))).getMessage());
    var sink = HubSpotConnector.create(Credential.of(TOKEN)).sink();
    ActivateSegments once = none.to(sink, SyncStateStore.folder("/tmp/state/hubspot"));
    assertEquals("ActivateSegments: hubspot is already a destination",
        assertThrows(IllegalArgumentException.class,
            () -> once.to(sink, SyncStateStore.folder("/tmp/other"))).getMessage());
    String display = DisplayData.from(once.withFeatureColumns(List.of("frequency")))
        .toString();
    assertTrue(display.contains("hubspot (state: folder /tmp/state/hubspot/; segments: all; "
        + "receives: members)"), display);
    assertTrue(display.contains("frequency"), display);
    assertFalse(display.contains(TOKEN), display);
    assertEquals("A sync state folder must be given, got ''",
        assertThrows(IllegalArgumentException.class, () -> SyncStateStore.folder(""))
            .getMessage());
  }
}
