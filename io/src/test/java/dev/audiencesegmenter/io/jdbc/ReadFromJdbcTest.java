package dev.audiencesegmenter.io.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.io.files.LocalRecords;
import dev.audiencesegmenter.io.files.ReadProfileAttributes;
import dev.audiencesegmenter.io.files.ReadResult;
import dev.audiencesegmenter.io.sources.MappingFiles;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 3, against a real PostgreSQL server. Profiles: a CRM-like table of 100,000
 * contacts, read in parallel ranges of its key through a mapping, gives the same profiles (and
 * the same rejects) as the file source reading the same rows written out as CSV. Events: an
 * orders table through an events mapping gives exactly the events written out by hand.
 */
@Timeout(600)
class ReadFromJdbcTest {
  static final int ROWS = 100_000;
  static final String MAPPING = String.join("\n",
      "kind: profiles", "source: crm_db", "id: contact_id", "time: updated_at",
      "identifiers:", "  crm_id: contact_id", "  email: email", "  phone: phone",
      "consent:", "  email: {path: email_opt_out, opt_out: true}",
      "attributes:", "  first_name: first_name", "  country: country", "  plan: plan",
      "  employees: employees", "  lifetime_value: lifetime_value", "");
  static PostgresTestDatabase db;

  @BeforeAll
  static void startDatabase() throws Exception {
    db = PostgresTestDatabase.start();
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE crm_contacts (contact_id bigint PRIMARY KEY, email text, "
          + "phone text, first_name text, country text, plan text, employees integer, "
          + "lifetime_value numeric(12,2), email_opt_out boolean, updated_at timestamptz)");
      // Every 9th contact has no email, only every 10th a phone: the crm id is always there.
      // Contact 77777 was modified in 2150: an absurd time, a dead letter.
      s.execute("INSERT INTO crm_contacts SELECT i, "
          + "CASE WHEN i % 9 = 0 THEN NULL ELSE 'p' || i || '@example.com' END, "
          + "CASE WHEN i % 10 = 0 THEN '+1 415 555 ' || lpad((i % 10000)::text, 4, '0') END, "
          + "'Name' || i, (ARRAY['US','DE','FR','JP'])[1 + i % 4], "
          + "CASE WHEN i % 3 = 0 THEN 'pro' WHEN i % 3 = 1 THEN 'free' END, "
          + "CASE WHEN i % 5 = 0 THEN i % 1000 END, (i % 997) * 1.25, i % 7 = 0, "
          + "CASE WHEN i = 77777 THEN timestamptz '2150-01-01 00:00:00+00' "
          + "ELSE timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute' END "
          + "FROM generate_series(1, " + ROWS + ") AS i");
    }
  }

  @AfterAll
  static void stopDatabase() throws Exception {
    db.close();
  }

  @Test
  void partitionedTableReadEqualsTheFileSourceOnTheSameRows(@TempDir Path dir)
      throws Exception {
    Path csv = dir.resolve("contacts.csv");
    writeCsv(csv);
    SourceMapping mapping = MappingFiles.parse(MAPPING, "crm_db.yaml");
    LocalRecords<ProfileAttributes> expected =
        LocalRecords.mappedProfiles(csv.toString(), mapping);
    assertEquals(ROWS - 1, expected.records().size());
    // As text (every field, maps sorted): what the assertion below ships with the pipeline.
    HashSet<String> expectedSet = new HashSet<>();
    expected.records().forEach(r -> expectedSet.add(text(r)));
    List<String> expectedRejects = List.of("format 'crm_db.yaml', field 'updated_at': absurd "
        + "value: time 2150-01-01T00:00:00Z is outside 1970-01-01 .. 2100-01-01");
    assertEquals(expectedRejects, reasons(expected.deadLetters()));

    // 100,000 records: the Direct runner's per-element checks off, as in runner-configs/.
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs(
        "--enforceImmutability=false", "--enforceEncodability=false").create());
    ReadResult<ProfileAttributes> fromTable = p.apply("FromTable", ReadFromJdbc
        .profiles(JdbcUpsert.postgresDataSource(db.jdbcUrl(), null, (String) null),
            "SELECT * FROM crm_contacts;", mapping)
        .withPartitions("contact_id", 8));
    ReadResult<ProfileAttributes> fromFile = p.apply("FromFile",
        ReadProfileAttributes.from(csv.toString()).withMapping(mapping));
    for (ReadResult<ProfileAttributes> read : List.of(fromTable, fromFile)) {
      PCollection<String> records = read.getRecords().apply(MapElements
          .into(TypeDescriptors.strings()).via(ReadFromJdbcTest::text));
      PAssert.that(records).satisfies(texts -> {
        List<String> all = new ArrayList<>();
        texts.forEach(all::add);
        assertEquals(ROWS - 1, all.size());
        assertEquals(expectedSet, new HashSet<>(all));
        return null;
      });
      PCollection<String> rejects = read.getDeadLetters().apply(MapElements
          .into(TypeDescriptors.strings()).via(DeadLetter::getReason));
      PAssert.that(rejects).containsInAnyOrder(expectedRejects);
    }
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  @Test
  void ordersTableReadsAsEvents() throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE orders (order_id text PRIMARY KEY, customer_email text, "
          + "status text, total numeric(10,2), currency char(3), channel text, "
          + "placed_at timestamp)");
      s.execute("INSERT INTO orders VALUES "
          + "('A-1', 'ann@example.com', 'paid', 42.50, 'usd', 'web', '2024-03-01 12:00:00'), "
          + "('A-2', 'ann@example.com', 'refunded', 10.00, 'USD', NULL, "
          + "'2024-03-02 08:30:00'), "
          + "('A-3', NULL, 'paid', 5.00, 'USD', 'shop', '2024-03-03 09:00:00')");
    }
    SourceMapping orders = MappingFiles.parse(String.join("\n", "kind: events",
        "source: orders_db", "id: order_id", "type:", "  path: status",
        "  names: {paid: purchase, refunded: refund}", "time: placed_at",
        "identifiers: {email: customer_email}",
        "revenue: {path: total, negative_for: [refund]}", "currency: currency",
        "properties: {channel: channel}", ""), "orders.yaml");
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    ReadResult<CustomerEvent> read = p.apply(ReadFromJdbc.events(
        JdbcUpsert.postgresDataSource(db.jdbcUrl(), null, (String) null),
        "SELECT * FROM orders", orders));
    PAssert.that(read.getRecords().apply(MapElements.into(TypeDescriptors.strings())
        .via(ReadFromJdbcTest::eventText))).containsInAnyOrder(
            "orders_db|A-1|purchase|2024-03-01T12:00:00.000Z|{email=ann@example.com}|42.50|USD"
                + "|{channel=web}",
            "orders_db|A-2|refund|2024-03-02T08:30:00.000Z|{email=ann@example.com}|-10.00|USD"
                + "|{}");
    PAssert.that(read.getDeadLetters().apply(MapElements.into(TypeDescriptors.strings())
        .via(d -> d.getStep() + ": " + d.getReason()))).containsInAnyOrder(
            "ReadEventsFromJdbc/Parse: format 'orders.yaml': no identifier (looked in "
                + "customer_email)");
    assertEquals(PipelineResult.State.DONE, p.run().waitUntilFinish());
  }

  static String eventText(CustomerEvent e) {
    return String.join("|", e.getSource(), e.getSourceRecordId(), e.getEventType(),
        e.getEventTime().toString(), new java.util.TreeMap<>(e.getIdentifiers()).toString(),
        String.valueOf(e.getRevenue()), String.valueOf(e.getCurrency()),
        new java.util.TreeMap<>(e.getProperties()).toString());
  }

  /** The table's rows as a CSV export of them: booleans as true/false, times ISO in UTC. */
  private static void writeCsv(Path file) throws Exception {
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT * FROM crm_contacts ORDER BY contact_id");
        BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        CSVPrinter printer = new CSVPrinter(out, CSVFormat.DEFAULT)) {
      int n = r.getMetaData().getColumnCount();
      List<String> header = new ArrayList<>();
      for (int i = 1; i <= n; i++) {
        header.add(r.getMetaData().getColumnLabel(i));
      }
      printer.printRecord(header);
      while (r.next()) {
        List<String> cells = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          Object value = r.getObject(i);
          cells.add(value == null ? ""
              : value instanceof java.sql.Timestamp
                  ? r.getObject(i, OffsetDateTime.class).toInstant().toString()
                  : value.toString());
        }
        printer.printRecord(cells);
      }
    }
  }

  /** Every field of a profile, its maps in key order (a decoded record's maps have none). */
  static String text(ProfileAttributes p) {
    return String.join("|", p.getSource(), p.getSourceRecordId(), p.getUpdateTime().toString(),
        new java.util.TreeMap<>(p.getIdentifiers()).toString(),
        new java.util.TreeMap<>(p.getAttributes()).toString());
  }

  private static List<String> reasons(List<DeadLetter> deadLetters) {
    return deadLetters.stream().map(DeadLetter::getReason).toList();
  }
}
