package dev.audiencesegmenter.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.io.braze.BrazeConnectorTest;
import dev.audiencesegmenter.io.jdbc.PostgresTestDatabase;
import dev.audiencesegmenter.io.klaviyo.FakeKlaviyo;
import dev.audiencesegmenter.io.sink.ContactUpdate;
import dev.audiencesegmenter.io.sink.DeltaSync;
import dev.audiencesegmenter.io.sink.Json;
import dev.audiencesegmenter.io.sink.JdbcSyncState;
import dev.audiencesegmenter.io.sink.SendContactUpdates;
import dev.audiencesegmenter.io.sink.SyncState;
import dev.audiencesegmenter.io.sink.SyncStateEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The SMS withdrawal with the state in PostgreSQL: a table from before the {@code sms_withdrawn}
 * column reads as not delivered, gets the column on the commit, and then records delivery.
 */
@Timeout(180)
class SmsWithdrawalJdbcStateTest {
  static PostgresTestDatabase db;

  @BeforeAll
  static void startDatabase() {
    db = PostgresTestDatabase.start();
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    db.close();
  }

  static final String TABLE = "klaviyo_state_before_sms";

  void sync(SendContactUpdates sink, List<ContactUpdate> updates) {
    sync(sink, TABLE, updates);
  }

  void sync(SendContactUpdates sink, String table, List<ContactUpdate> updates) {
    JdbcIO.DataSourceConfiguration dataSource =
        JdbcIO.DataSourceConfiguration.create("org.postgresql.Driver", db.jdbcUrl());
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<SyncStateEntry> previous = pipeline.apply("ReadState",
        JdbcSyncState.read(dataSource, table));
    DeltaSync.Result delta = DeltaSync.inputs(pipeline.apply(Create.of(updates)
            .withType(TypeDescriptor.of(ContactUpdate.class))), previous)
        .apply(DeltaSync.create().withSmsWithdrawals(true)
            .withPushWithdrawals(sink.getConnector().handlesPushWithdrawals()));
    SendContactUpdates.Result sent = delta.getChanges().apply(sink.withNumShards(1));
    SyncState.commitInputs(delta.getNewState(), previous, sent).apply("CommitState",
        JdbcSyncState.commit(dataSource, table, "run-" + System.nanoTime()));
    pipeline.run().waitUntilFinish();
  }

  @Test
  void anOlderStateTableReadsAsNotDeliveredAndThenRecordsTheSmsWithdrawal() throws Exception {
    ContactUpdate ann = ConsentWithdrawalTest.withoutSms(ConsentWithdrawalTest.texting());
    try (Connection connection = db.connection()) {
      try (Statement statement = connection.createStatement()) {
        // the table as the email-withdrawal release made it: no sms_withdrawn
        statement.execute("CREATE TABLE \"" + TABLE + "\" (\"key\" text PRIMARY KEY, "
            + "\"payload_hash\" text NOT NULL, \"segments\" jsonb, \"email\" text, "
            + "\"phone\" text, \"withdrawn\" boolean NOT NULL, \"run_id\" text)");
      }
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO \"" + TABLE
          + "\" VALUES (?, ?, '[\"vip\"]'::jsonb, ?, ?, false, 'run-0')")) {
        insert.setString(1, "c-1");
        insert.setString(2, DeltaSync.payloadHash(ann));
        insert.setString(3, "ann@example.com");
        insert.setString(4, "+15550100001");
        insert.executeUpdate();
      }
    }
    try (FakeKlaviyo fake = new FakeKlaviyo(ConsentWithdrawalTest.KL_KEY)) {
      sync(ConsentWithdrawalTest.klaviyo(fake), List.of(ann));
      assertEquals(List.of("+15550100001"), fake.unsubscribedPhones);
      assertEquals(0, fake.jobSizes.size(), "unchanged: no import");
      try (Connection connection = db.connection(); Statement statement =
          connection.createStatement(); ResultSet rows = statement.executeQuery(
              "SELECT \"sms_withdrawn\", \"withdrawn\" FROM \"" + TABLE + "\"")) {
        rows.next();
        assertEquals(true, rows.getBoolean(1));
        assertEquals(false, rows.getBoolean(2));
      }

      int after = fake.server.requests().size();
      sync(ConsentWithdrawalTest.klaviyo(fake), List.of(ann));
      assertEquals(after, fake.server.requests().size(), "a withdrawal sent twice");
    }
  }

  /**
   * The push withdrawal the same way: a table from before {@code push_withdrawn} reads as not
   * delivered, Braze gets the push unsubscribe, the column is added and records delivery.
   */
  @Test
  void anOlderStateTableReadsAsNotDeliveredAndThenRecordsThePushWithdrawal() throws Exception {
    String table = "braze_state_before_push";
    ContactUpdate ann = ConsentWithdrawalTest.consenting("c-1", "ann@example.com",
        List.of("vip")).toBuilder().setPushConsent(false).build();
    try (Connection connection = db.connection()) {
      try (Statement statement = connection.createStatement()) {
        // the table as the SMS-withdrawal release made it: no push_withdrawn
        statement.execute("CREATE TABLE \"" + table + "\" (\"key\" text PRIMARY KEY, "
            + "\"payload_hash\" text NOT NULL, \"segments\" jsonb, \"email\" text, "
            + "\"phone\" text, \"withdrawn\" boolean NOT NULL, "
            + "\"sms_withdrawn\" boolean NOT NULL, \"run_id\" text)");
      }
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO \"" + table
          + "\" VALUES (?, ?, '[\"vip\"]'::jsonb, ?, NULL, false, false, 'run-0')")) {
        insert.setString(1, "c-1");
        insert.setString(2, DeltaSync.payloadHash(ann));
        insert.setString(3, "ann@example.com");
        insert.executeUpdate();
      }
    }
    BrazeConnectorTest.FakeBraze fake = new BrazeConnectorTest.FakeBraze();
    try {
      fake.users.put("c-1", Json.object().put("email", "ann@example.com"));
      sync(ConsentWithdrawalTest.braze(fake), table, List.of(ann));
      assertEquals("unsubscribed", fake.users.get("c-1").path("push_subscribe").asText());
      assertEquals(1, fake.server.requests().size(), "unchanged: only the push withdrawal");
      try (Connection connection = db.connection(); Statement statement =
          connection.createStatement(); ResultSet rows = statement.executeQuery(
              "SELECT \"push_withdrawn\", \"withdrawn\", \"sms_withdrawn\" FROM \""
                  + table + "\"")) {
        rows.next();
        assertEquals(true, rows.getBoolean(1));
        assertEquals(false, rows.getBoolean(2));
        // no SMS consent and no number: nothing to withdraw on SMS, recorded as such
        assertEquals(true, rows.getBoolean(3));
      }

      sync(ConsentWithdrawalTest.braze(fake), table, List.of(ann));
      assertEquals(1, fake.server.requests().size(), "a withdrawal sent twice");
    } finally {
      fake.server.close();
    }
  }
}
