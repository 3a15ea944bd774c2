package dev.audiencesegmenter.io.rails;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import dev.audiencesegmenter.io.jdbc.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17, item 6: two holders of the same tables on a real PostgreSQL server. The second
 * fails at once, naming the first; other names stay free; a failed attempt keeps nothing.
 */
@Timeout(120)
class WriterLockTest {
  static PostgresTestDatabase db;

  @BeforeAll
  static void start() {
    db = PostgresTestDatabase.start();
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
  }

  static JdbcIO.DataSourceConfiguration database() {
    return JdbcUpsert.postgresDataSource(db.jdbcUrl(), null, (String) null);
  }

  @Test
  void aSecondWriterFailsFastNamingTheHolder() {
    try (WriterLock first = WriterLock.acquire(database(), "test database",
        List.of("customer_features", "segment_memberships"))) {
      long started = System.nanoTime();
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> WriterLock.acquire(database(), "test database",
              List.of("sync_state_hubspot", "segment_memberships")));
      assertTrue(System.nanoTime() - started < 10_000_000_000L, "did not fail fast");
      String message = e.getMessage();
      assertTrue(message.startsWith("segment_memberships in test database is being written by "
          + "another run: " + WriterLock.applicationName() + " (PostgreSQL session "
          + first.sessionPid() + ", user postgres, "), message);
      // the client address depends on how the test connects; the start time follows it
      assertTrue(message.matches(".*, connected since \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\)\\. .*"),
          message);
      assertTrue(message.endsWith("Two runs writing the same tables or sync state delete each "
          + "other's rows: wait for that run to end (its lock ends with its database "
          + "connection)."), message);

      // the failed attempt released sync_state_hubspot, which it had taken first
      try (WriterLock other = WriterLock.acquire(database(), "test database",
          List.of("sync_state_hubspot"))) {
        assertEquals(List.of("sync_state_hubspot"), other.names());
      }
    }
    // once the first run has ended, the tables are free again
    try (WriterLock again = WriterLock.acquire(database(), "test database",
        List.of("segment_memberships", "customer_features"))) {
      assertEquals(List.of("customer_features", "segment_memberships"), again.names());
    }
  }

  @Test
  void theSameNameInAnotherSchemaIsAnotherLock() throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS lock_other");
    }
    String otherSchema =
        db.jdbcUrl().replaceAll("currentSchema=[^&]*", "currentSchema=lock_other");
    try (WriterLock here = WriterLock.acquire(database(), "here", List.of("customer_features"));
        WriterLock there = WriterLock.acquire(
            JdbcUpsert.postgresDataSource(otherSchema, null, (String) null), "there",
            List.of("customer_features"))) {
      assertEquals(List.of("customer_features"), there.names());
    }
  }
}
