package dev.audiencesegmenter.io.rails;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer at a time: PostgreSQL session advisory locks, one per table or sync state name,
 * held on a dedicated connection until {@link #close()}. Two runs that write the same tables
 * delete each other's rows (each keeps only its own run id), so the second run must not start:
 * {@link #acquire} uses {@code pg_try_advisory_lock}, which never waits, and fails naming the
 * session that holds the lock (its {@code application_name}, which this class sets to the
 * launching host and process, its PostgreSQL pid, user, client address and connection time).
 *
 * <p>The lock key is the first 8 bytes of SHA-256 of the connection's current schema and the
 * name, so the same table name in two schemas is two locks. The lock ends with the connection:
 * a launcher that dies releases it, and so does a database restart. Hold it in the process that
 * waits for the pipeline to finish.
 */
public final class WriterLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WriterLock.class);

  /** PostgreSQL keeps the first 63 bytes of an application_name. */
  private static final int MAX_APPLICATION_NAME = 63;

  private final List<String> names;
  private final DataSource dataSource;
  private final Connection connection;
  private final int sessionPid;

  private WriterLock(List<String> names, DataSource dataSource, Connection connection,
      int sessionPid) {
    this.names = names;
    this.dataSource = dataSource;
    this.connection = connection;
    this.sessionPid = sessionPid;
  }

  /**
   * Locks every name (sorted, without repeats) of {@code database}, or none: when one is held
   * elsewhere, those already taken are released and an {@link IllegalStateException} names
   * the holder. {@code where} names the database in messages (never with a password).
   */
  public static WriterLock acquire(JdbcIO.DataSourceConfiguration database, String where,
      List<String> names) {
    if (names == null || names.isEmpty()) {
      throw new IllegalArgumentException("WriterLock needs at least one name to lock");
    }
    List<String> sorted = new ArrayList<>(new TreeSet<>(names));
    DataSource dataSource = database.buildDatasource();
    Connection connection = null;
    try {
      connection = dataSource.getConnection();
      connection.setAutoCommit(true); // session locks must outlive any transaction
      try (PreparedStatement set = connection.prepareStatement(
          "SELECT set_config('application_name', ?, false), pg_backend_pid(), current_schema()")) {
        set.setString(1, applicationName());
        try (ResultSet r = set.executeQuery()) {
          r.next();
          int pid = r.getInt(2);
          String schema = r.getString(3);
          for (String name : sorted) {
            tryLock(connection, key(schema, name), name, where);
          }
          LOG.info("Holding the writer locks of {} in {} (PostgreSQL session {})", sorted, where,
              pid);
          return new WriterLock(sorted, dataSource, connection, pid);
        }
      }
    } catch (SQLException e) {
      close(connection, dataSource);
      throw new IllegalStateException("Cannot take the writer locks of " + sorted + " in "
          + where + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      close(connection, dataSource); // closing the session releases what it took
      throw e;
    }
  }

  private static void tryLock(Connection connection, long key, String name, String where)
      throws SQLException {
    try (PreparedStatement lock = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      lock.setLong(1, key);
      try (ResultSet r = lock.executeQuery()) {
        r.next();
        if (r.getBoolean(1)) {
          return;
        }
      }
    }
    throw new IllegalStateException(name + " in " + where + " is being written by another run: "
        + holder(connection, key) + ". Two runs writing the same tables or sync state delete "
        + "each other's rows: wait for that run to end (its lock ends with its database "
        + "connection).");
  }

  /** Who holds the advisory lock {@code key}, from pg_locks and pg_stat_activity. */
  private static String holder(Connection connection, long key) throws SQLException {
    // a bigint advisory key is stored as classid (high half) and objid (low half), objsubid 1
    try (PreparedStatement query = connection.prepareStatement("SELECT a.application_name, "
        + "a.pid, a.usename, host(a.client_addr), a.backend_start FROM pg_locks l "
        + "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        + "AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 1")) {
      query.setLong(1, key >>> 32);
      query.setLong(2, key & 0xFFFF_FFFFL);
      try (ResultSet r = query.executeQuery()) {
        if (!r.next()) {
          return "a session that has just ended (try again)";
        }
        String application = r.getString(1);
        String from = r.getString(4);
        return (application == null || application.isBlank() ? "an unnamed client"
                : application)
            + " (PostgreSQL session " + r.getInt(2) + ", user " + r.getString(3)
            + (from != null ? ", from " + from : "") + ", connected since "
            + r.getTimestamp(5).toInstant() + ")";
      }
    }
  }

  /** The lock key of {@code name} in {@code schema}. */
  static long key(String schema, String name) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256")
          .digest(("audience-segmenter:" + schema + "." + name).getBytes(StandardCharsets.UTF_8));
      long key = 0;
      for (int i = 0; i < 8; i++) {
        key = (key << 8) | (hash[i] & 0xFF);
      }
      return key;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** What other sessions see of the holder: this host and process. */
  public static String applicationName() {
    String name = "audience-segmenter on " + hostName() + " pid " + ProcessHandle.current().pid();
    return name.length() <= MAX_APPLICATION_NAME ? name : name.substring(0, MAX_APPLICATION_NAME);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      String env = System.getenv("HOSTNAME");
      return env != null ? env : "unknown host";
    }
  }

  /** The locked names, sorted. */
  public List<String> names() {
    return names;
  }

  /** The PostgreSQL process of the session holding the locks. */
  public int sessionPid() {
    return sessionPid;
  }

  /** Releases the locks by ending their session. */
  @Override
  public void close() {
    close(connection, dataSource);
    LOG.info("Released the writer locks of {}", names);
  }

  private static void close(@Nullable Connection connection, DataSource dataSource) {
    try {
      if (connection != null) {
        // a pooled connection outlives close(): release the locks explicitly first
        try (PreparedStatement unlock = connection.prepareStatement(
            "SELECT pg_advisory_unlock_all()")) {
          unlock.execute();
        } finally {
          connection.close();
        }
      }
    } catch (SQLException e) {
      LOG.warn("Closing the writer lock connection failed: {}", e.getMessage());
    }
    if (dataSource instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        LOG.warn("Closing the writer lock pool failed: {}", e.getMessage());
      }
    }
  }
}
