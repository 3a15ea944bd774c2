package dev.audiencesegmenter.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerIdentity;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.joda.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/** Records for the compact resolver's tests: the bundled sample, and adversarial graphs. */
final class CompactResolverFixtures {
  private static final Instant T = Instant.parse("2024-03-01T12:00:00Z");

  private CompactResolverFixtures() {}

  static CustomerEvent event(String id, Map<String, String> ids) {
    return CustomerEvent.builder().setSource("shop").setSourceRecordId(id)
        .setEventType("purchase").setEventTime(T).setIdentifiers(ids).build();
  }

  /**
   * The identifier maps (raw) of every event and profile line of a data folder, except the
   * sample's {@code legacy-import.jsonl}: its records are the reader's rejects (a bad date, a
   * bad revenue, a duplicate), which never reach identity resolution.
   */
  static List<Map<String, String>> rawIdentifiers(Path folder) {
    List<Map<String, String>> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String sub : List.of("events", "profiles")) {
      try (Stream<Path> files = Files.list(folder.resolve(sub))) {
        for (Path file : files.sorted().toList()) {
          String name = file.getFileName().toString();
          if (name.equals("legacy-import.jsonl")) {
            continue;
          }
          if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
            readCsv(file, out);
          } else if (name.endsWith(".jsonl") || name.endsWith(".jsonl.gz")) {
            forEachLine(file, line -> {
              try {
                JsonNode ids = json.readTree(line).get("ids");
                if (ids != null && ids.isObject()) {
                  Map<String, String> map = new LinkedHashMap<>();
                  for (Iterator<Map.Entry<String, JsonNode>> it = ids.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                      map.put(e.getKey(), e.getValue().asText());
                    }
                  }
                  out.add(map);
                }
              } catch (IOException e) {
                // not a JSON object: a dead letter of the reader, not of identity resolution
              }
            });
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  private static void readCsv(Path file, List<Map<String, String>> out) {
    String[][] header = new String[1][];
    forEachLine(file, line -> {
      String[] cells = line.split(",", -1);
      if (header[0] == null) {
        header[0] = cells;
        return;
      }
      Map<String, String> map = new LinkedHashMap<>();
      for (int i = 0; i < cells.length && i < header[0].length; i++) {
        if (header[0][i].startsWith("ids.") && !cells[i].isEmpty()) {
          map.put(header[0][i].substring(4), cells[i]);
        }
      }
      out.add(map);
    });
  }

  static void forEachLine(Path file, java.util.function.Consumer<String> lines) {
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16)
            : raw;
        BufferedReader reader = new BufferedReader(new InputStreamReader(in,
            StandardCharsets.UTF_8), 1 << 16)) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isBlank()) {
          lines.accept(line);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path sample() {
    Path here = Paths.get("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("sample/events"))) {
        return p.resolve("sample");
      }
    }
    throw new IllegalStateException("no sample/ above " + here);
  }

  /** Rules for adversarial graphs: small limits and fan-out, so that every rule fires. */
  static IdentityRules randomRules(Random random) {
    if (random.nextInt(4) == 0) {
      return IdentityRules.defaults().withBlockedValues("email", List.of("orders@shop.io"));
    }
    Map<String, Integer> priorities = new LinkedHashMap<>();
    priorities.put("user_id", 1);
    priorities.put("email", 1 + random.nextInt(3));
    priorities.put("phone", 1 + random.nextInt(3));
    if (random.nextBoolean()) {
      priorities.put("crm_id", 1);
    }
    priorities.put("device_id", random.nextBoolean() ? null : 2 + random.nextInt(3));
    priorities.put("anonymous_id", null);
    return IdentityRules.defaults()
        .withPriorities(priorities)
        .withMaxFanOut(3 + random.nextInt(6))
        .withBlockedValues("email", List.of("orders@shop.io"))
        .withBlockedValues("user_id", List.of("kiosk"));
  }

  /**
   * Raw identifier maps of people with a few identifiers each, written with noise; shared
   * values with a large fan-out; placeholders and blocked values; bridges between people that
   * put customers over limits through chains; records with many types; unicode values whose
   * UTF-16 order differs from their code point order; types whose names prefix each other.
   */
  static List<Map<String, String>> adversarial(Random random, int people, int records) {
    List<List<String[]>> persons = new ArrayList<>();
    String[] extraTypes = {"user", "user-x", "loyalty", "zeta"};
    for (int p = 0; p < people; p++) {
      List<String[]> ids = new ArrayList<>();
      int n = 1 + random.nextInt(5);
      for (int i = 0; i < n; i++) {
        ids.add(randomId(random, p, extraTypes));
      }
      persons.add(ids);
    }
    List<Map<String, String>> out = new ArrayList<>();
    String[] hubs = {"hub-" + random.nextInt(3), "(617) 200-0000", "desk@shop.io"};
    String[] hubTypes = {"device_id", "phone", "email"};
    String[][] junk = {{"email", "Test@Test.com"}, {"user_id", "undefined"},
        {"email", "noreply@shop.io"}, {"email", "orders@shop.io"}, {"user_id", "kiosk"},
        {"anonymous_id", "N/A"}, {"phone", "(234) 567-8901"}, {"device_id", "0"}};
    for (int r = 0; r < records; r++) {
      Map<String, String> map = new LinkedHashMap<>();
      List<String[]> person = persons.get(random.nextInt(people));
      int take = 1 + random.nextInt(Math.min(3, person.size()));
      for (int i = 0; i < take; i++) {
        String[] id = person.get(random.nextInt(person.size()));
        put(map, noisyType(random, id[0]), noisyValue(random, id));
      }
      int roll = random.nextInt(100);
      if (roll < 8) { // a bridge: someone else's identifier on this record
        String[] other = persons.get(random.nextInt(people)).get(0);
        put(map, other[0], other[1]);
      } else if (roll < 14) {
        int h = random.nextInt(hubs.length);
        put(map, hubTypes[h], hubs[h]);
      } else if (roll < 20) {
        String[] j = junk[random.nextInt(junk.length)];
        put(map, j[0], j[1]);
      } else if (roll < 22) { // many types on one record
        for (String type : List.of("user_id", "email", "phone", "crm_id", "device_id",
            "anonymous_id", "user", "user-x", "loyalty", "zeta")) {
          String[] id = randomId(random, random.nextInt(people), new String[] {type});
          if (id[0].equals(type) || random.nextBoolean()) {
            put(map, id[0], id[1]);
          }
        }
      } else if (roll < 24) { // only junk, or nothing valid
        String[] j = junk[random.nextInt(junk.length)];
        map.clear();
        map.put(j[0], j[1]);
        if (random.nextBoolean()) {
          map.put("phone", "12");
        }
      } else if (roll < 25) {
        map.put("bad:type", "x");
      }
      out.add(map);
    }
    return out;
  }

  /**
   * Puts an identifier, replacing one whose type normalizes the same: which of two such a
   * record keeps would depend on map order, which a runner does not preserve.
   */
  private static void put(Map<String, String> map, String type, String value) {
    String normalized = type.strip().toLowerCase(java.util.Locale.ROOT);
    map.keySet().removeIf(t -> t.strip().toLowerCase(java.util.Locale.ROOT).equals(normalized));
    map.put(type, value);
  }

  private static String[] randomId(Random random, int person, String[] extraTypes) {
    int k = random.nextInt(10);
    int v = person * 7 + random.nextInt(3);
    String[] unicode = {"\uFF21", "\uD83D\uDE00", "\u00E9", "\uE000", "a", "\u00FF", "Z"};
    return switch (k) {
      case 0, 1 -> new String[] {"email", "e" + v + "@x.io"};
      case 2 -> new String[] {"phone", String.format("+1617200%04d", 1000 + v % 9000)};
      case 3 -> new String[] {"user_id", "u" + v};
      case 4 -> new String[] {"user_id", unicode[v % unicode.length] + v};
      case 5 -> new String[] {"device_id", unicode[(v / 3) % unicode.length] + "d" + v};
      case 6 -> new String[] {"anonymous_id", "a:" + v};
      case 7 -> new String[] {"crm_id", "" + v};
      default -> new String[] {extraTypes[random.nextInt(extraTypes.length)],
          unicode[v % unicode.length] + v};
    };
  }

  private static String noisyType(Random random, String type) {
    return random.nextInt(10) == 0 ? " " + type.toUpperCase(java.util.Locale.ROOT) : type;
  }

  private static String noisyValue(Random random, String[] id) {
    if (id[0].equals("email") && random.nextInt(5) == 0) {
      return " " + id[1].toUpperCase(java.util.Locale.ROOT);
    }
    if (id[0].equals("phone") && random.nextInt(3) == 0) {
      String digits = id[1].substring(2);
      return "(" + digits.substring(0, 3) + ") " + digits.substring(3, 6) + "-"
          + digits.substring(6);
    }
    return id[1];
  }

  /** A previous run's identities from a resolution, with ids of an older version mixed in. */
  static List<CustomerIdentity> previousFrom(List<CustomerIdentity> identities, Random random) {
    Map<String, String> renamed = new LinkedHashMap<>();
    List<CustomerIdentity> out = new ArrayList<>();
    for (CustomerIdentity row : identities) {
      String id = renamed.computeIfAbsent(row.getCustomerId(),
          c -> random.nextInt(3) == 0 ? "cust-" + random.nextInt(1000) + "-" + c.substring(2, 5)
              : c);
      out.add(CustomerIdentity.create(id, row.getIdType(), row.getIdValue()));
      if (random.nextInt(40) == 0) { // a hand-edited file: a second id for one identifier
        out.add(CustomerIdentity.create("cust-extra-" + random.nextInt(3), row.getIdType(),
            row.getIdValue()));
      }
    }
    out.add(CustomerIdentity.create("cust-gone", "user_id", "gone-" + random.nextInt(99)));
    return out;
  }
}
