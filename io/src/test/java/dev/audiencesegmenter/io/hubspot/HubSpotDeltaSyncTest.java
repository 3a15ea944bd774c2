package dev.audiencesegmenter.io.hubspot;

import static dev.audiencesegmenter.io.sink.SinkTesting.contact;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SyncState;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two and three runs of delta sync into a fake HubSpot, with the state in a folder. */
class HubSpotDeltaSyncTest {
  static final String TOKEN = "pat-na1-delta-secret-0001";
  FakeHubSpot hubspot;

  @BeforeEach
  void start() throws Exception {
    hubspot = new FakeHubSpot(TOKEN);
  }

  @AfterEach
  void stop() {
    hubspot.close();
  }

  /** Runs one sync of {@code updates}; returns the emails HubSpot received in that run. */
  Set<String> sync(List<ContactUpdate> updates, Path output) {
    int before = hubspot.server.requests().size();
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    String state = output.resolve("sync-state").resolve("hubspot").toString();
    PCollection<SyncStateEntry> previous = pipeline.apply("ReadState", SyncState.read(state));
    DeltaSync.Result delta = DeltaSync.inputs(pipeline.apply(Create.of(updates)), previous)
        .apply(DeltaSync.create());
    SendContactUpdates.Result sent = delta.getChanges().apply(HubSpotConnector
        .create(Credential.of(TOKEN)).withBaseUrl(hubspot.baseUrl()).withAccount("delta").sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(20)));
    SyncState.commitInputs(delta.getNewState(), previous, sent)
        .apply(SyncState.commit(state, 2));
    pipeline.run().waitUntilFinish();
    Set<String> emails = new TreeSet<>();
    List<Request> requests = hubspot.server.requests();
    for (Request request : requests.subList(before, requests.size())) {
      for (JsonNode input : Json.parse(request.body()).path("inputs")) {
        emails.add(input.path("id").asText());
      }
    }
    return emails;
  }

  @Test
  void secondRunSendsOnlyChangesAndRejectedContactsAgain(@TempDir Path output) {
    List<ContactUpdate> first = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      first.add(contact("c-" + i, "user-" + i + "@example.com"));
    }
    first.add(contact("c-bad", "invalid@example.com"));
    assertEquals(7, sync(first, output).size());
    assertEquals(6, hubspot.contacts.size());

    List<ContactUpdate> second = new ArrayList<>(first);
    second.set(1, first.get(1).toBuilder().setFields(Map.of("first_name", "Changed")).build());
    second.set(2, first.get(2).toBuilder()
        .setSegmentsCurrent(List.of("loyal_customers", "vip")).build());
    second.remove(3); // c-3 is gone: an exit
    Set<String> sentSecond = sync(second, output);
    assertEquals(Set.of("user-1@example.com", "user-2@example.com", "user-3@example.com",
        "invalid@example.com"), sentSecond);
    assertEquals("", hubspot.contacts.get("user-3@example.com").path("audience_segments")
        .asText(), "c-3 left every segment");
    assertEquals("loyal_customers;vip", hubspot.contacts.get("user-2@example.com")
        .path("audience_segments").asText());

    // a third run with nothing new sends only the contact HubSpot keeps rejecting
    assertEquals(Set.of("invalid@example.com"), sync(second, output));
    assertTrue(hubspot.writesPerEmail.get("user-0@example.com").get() == 1);
  }
}
