package dev.audiencesegmenter.io.hubspot;

import static dev.audiencesegmenter.io.sink.SinkTesting.contact;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.jdbc.PostgresTestDatabase;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.secrets.Credential;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.FakeVendorServer.Request;
import dev.audiencesegmenter.io.sink.JdbcSyncState;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SyncState;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Delta sync with the state in PostgreSQL: the second run sends only the changes. */
class HubSpotJdbcDeltaSyncTest {
  static final String TOKEN = "pat-na1-jdbc-delta-secret";
  static PostgresTestDatabase db;
  FakeHubSpot hubspot;

  @BeforeAll
  static void startDatabase() {
    db = PostgresTestDatabase.start();
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    db.close();
  }

  @BeforeEach
  void start() throws Exception {
    hubspot = new FakeHubSpot(TOKEN);
  }

  @AfterEach
  void stop() {
    hubspot.close();
  }

  Set<String> sync(List<ContactUpdate> updates, String runId) {
    int before = hubspot.server.requests().size();
    JdbcIO.DataSourceConfiguration dataSource =
        JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", db.jdbcUrl());
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<SyncStateEntry> previous = pipeline.apply("ReadState",
        JdbcSyncState.read(dataSource, "hubspot_sync_state"));
    DeltaSync.Result delta = DeltaSync.inputs(pipeline.apply(Create.of(updates)), previous)
        .apply(DeltaSync.create());
    SendContactUpdates.Result sent = delta.getChanges().apply(HubSpotConnector
        .create(Credential.of(TOKEN)).withBaseUrl(hubspot.baseUrl()).withAccount("jdbc").sink()
        .withBackoff(Duration.ofMillis(10), Duration.ofMillis(20)));
    SyncState.commitInputs(delta.getNewState(), previous, sent).apply("CommitState",
        JdbcSyncState.commit(dataSource, "hubspot_sync_state", runId));
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
  void theStateTableMakesTheSecondRunSendOnlyChanges() throws Exception {
    List<ContactUpdate> first = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      first.add(contact("c-" + i, "user-" + i + "@example.com"));
    }
    first.add(contact("c-bad", "invalid@example.com"));
    assertEquals(5, sync(first, "run-1").size());

    List<ContactUpdate> second = new ArrayList<>(first);
    second.set(0, first.get(0).toBuilder().setSegmentsCurrent(List.of()).build());
    second.remove(3);
    assertEquals(Set.of("user-0@example.com", "user-3@example.com", "invalid@example.com"),
        sync(second, "run-2"));
    try (Connection connection = db.connection(); Statement statement =
        connection.createStatement(); ResultSet rows = statement.executeQuery(
            "SELECT count(*), count(DISTINCT run_id) FROM hubspot_sync_state")) {
      rows.next();
      assertEquals(3, rows.getInt(1), "c-0, c-1, c-2: c-3 is gone, c-bad never synced");
      assertEquals(1, rows.getInt(2));
    }
  }
}
