package dev.audiencesegmenter.io.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A real PostgreSQL server for tests: an embedded PostgreSQL 17 started from Maven artifacts
 * (it also runs as root), or, when {@code AUDIENCE_SEGMENTER_TEST_JDBC_URL} is set, that
 * external database. Each instance works in a fresh schema of its own, so test classes do not
 * see each other's tables; {@link #jdbcUrl()} selects it through {@code currentSchema}.
 *
 * <pre>{@code
 * static PostgresTestDatabase db;
 * @BeforeAll static void start() { db = PostgresTestDatabase.start(); }
 * @AfterAll static void stop() throws Exception { db.close(); }
 * }</pre>
 */
public final class PostgresTestDatabase implements AutoCloseable {
  public static final String EXTERNAL_URL_ENV = "AUDIENCE_SEGMENTER_TEST_JDBC_URL";

  private final EmbeddedPostgres embedded;
  private final String baseUrl;
  private final String schema = "t_" + UUID.randomUUID().toString().replace("-", "");

  private PostgresTestDatabase(EmbeddedPostgres embedded, String baseUrl) {
    this.embedded = embedded;
    this.baseUrl = baseUrl;
  }

  /** Starts the embedded server (or connects to the external one) and creates the schema. */
  public static PostgresTestDatabase start() {
    String external = System.getenv(EXTERNAL_URL_ENV);
    try {
      PostgresTestDatabase db;
      if (external != null && !external.isBlank()) {
        db = new PostgresTestDatabase(null, external);
      } else {
        // The default 10 s wait for the server is too short when three test JVMs share two
        // loaded cores (a CI run failed so); a slow start is not a failure.
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
            .setPGStartupWait(java.time.Duration.ofSeconds(60)).start();
        db = new PostgresTestDatabase(pg, pg.getJdbcUrl("postgres", "postgres"));
      }
      try (Connection c = DriverManager.getConnection(db.baseUrl);
          Statement s = c.createStatement()) {
        s.execute("CREATE SCHEMA " + db.schema);
      }
      return db;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start embedded PostgreSQL", e);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot prepare the test database", e);
    }
  }

  /** A URL whose connections work in this instance's own schema. */
  public String jdbcUrl() {
    return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
  }

  /** A new connection to this instance's schema; the caller closes it. */
  public Connection connection() throws SQLException {
    return DriverManager.getConnection(jdbcUrl());
  }

  /** Drops the schema and stops the embedded server. */
  @Override
  public void close() throws IOException, SQLException {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }
}
