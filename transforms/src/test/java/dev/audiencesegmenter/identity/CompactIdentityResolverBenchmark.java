package dev.audiencesegmenter.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Measures {@link CompactIdentityResolver} (not a unit test). Run with the test classpath:
 *
 * <pre>
 * # once: normalize the generator's data to one line of type\tvalue pairs per record
 * # (CP: transforms/target/test-classes:transforms/target/classes and the test dependencies)
 * java -cp CP ...CompactIdentityResolverBenchmark prepare /tmp/data/e1m /tmp/e1m.ids
 * # the 1M-event data; then 10 disjoint copies of it (values suffixed)
 * java -Xmx300m -cp CP ...CompactIdentityResolverBenchmark run /tmp/e1m.ids 1
 * java -Xmx3g   -cp CP ...CompactIdentityResolverBenchmark run /tmp/e1m.ids 10
 * # 1,000,000 identifiers in chains of 1,000 (records link neighbours), unlimited or limited
 * java -Xmx1g -cp CP ...CompactIdentityResolverBenchmark chains 1000000 1000 limited
 * </pre>
 *
 * Times are per phase, wall and this thread's CPU (the machine may be shared); heap "after
 * GC" is what the resolver holds, "peak" the sum of the heap pools' peaks.
 * Records are streamed into the resolver, never held: what the heap holds is the resolver's.
 * Copies after the first suffix every value but placeholders with {@code ~copy}.
 */
public final class CompactIdentityResolverBenchmark {
  private CompactIdentityResolverBenchmark() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "prepare" -> prepare(Paths.get(args[1]), Paths.get(args[2]));
      case "run" -> run(Paths.get(args[1]), Integer.parseInt(args[2]));
      case "chains" -> chains(Integer.parseInt(args[1]), Integer.parseInt(args[2]),
          args.length > 3 && args[3].equals("limited"));
      default -> throw new IllegalArgumentException("prepare | run | chains");
    }
  }

  private static void prepare(Path data, Path out) throws IOException {
    IdentifierNormalizer normalizer = IdentifierNormalizer.create("US", false);
    ObjectMapper json = new ObjectMapper();
    long[] counts = new long[2];
    try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      Consumer<Map<String, String>> write = raw -> {
        counts[0]++;
        Map<String, String> ids = NormalizeRecordFn.normalized(normalizer, raw);
        if (ids.isEmpty()) {
          return;
        }
        counts[1]++;
        try {
          w.write(encode(ids));
          w.write('\n');
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };
      for (String sub : new String[] {"events", "profiles"}) {
        try (Stream<Path> files = Files.list(data.resolve(sub))) {
          for (Path file : files.sorted().toList()) {
            String name = file.getFileName().toString();
            if (name.contains(".csv")) {
              String[][] header = new String[1][];
              CompactResolverFixtures.forEachLine(file, line -> {
                String[] cells = line.split(",", -1);
                if (header[0] == null) {
                  header[0] = cells;
                  return;
                }
                Map<String, String> raw = new LinkedHashMap<>();
                for (int i = 0; i < cells.length && i < header[0].length; i++) {
                  if (header[0][i].startsWith("ids.") && !cells[i].isEmpty()) {
                    raw.put(header[0][i].substring(4), cells[i]);
                  }
                }
                write.accept(raw);
              });
            } else {
              CompactResolverFixtures.forEachLine(file, line -> {
                try {
                  JsonNode ids = json.readTree(line).get("ids");
                  if (ids != null && ids.isObject()) {
                    Map<String, String> raw = new LinkedHashMap<>();
                    for (Iterator<Map.Entry<String, JsonNode>> it = ids.fields();
                        it.hasNext(); ) {
                      Map.Entry<String, JsonNode> e = it.next();
                      if (e.getValue().isValueNode() && !e.getValue().isNull()) {
                        raw.put(e.getKey(), e.getValue().asText());
                      }
                    }
                    write.accept(raw);
                  }
                } catch (IOException e) {
                  // not JSON: the reader's dead letter
                }
              });
            }
          }
        }
      }
    }
    System.out.printf("records read %,d, with a valid identifier %,d -> %s%n", counts[0],
        counts[1], out);
  }

  private static String encode(Map<String, String> ids) {
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, String> e : ids.entrySet()) {
      if (s.length() > 0) {
        s.append('\t');
      }
      s.append(escape(e.getKey())).append('\t').append(escape(e.getValue()));
    }
    return s.toString();
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r",
        "\\r");
  }

  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        out.append(n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Streams the prepared file's records, {@code copies} disjoint times (values suffixed). */
  private static long forEachRecord(Path file, int copies, Consumer<Map<String, String>> out)
      throws IOException {
    long n = 0;
    for (int copy = 0; copy < copies; copy++) {
      String suffix = copy == 0 ? "" : "~" + copy;
      try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          String[] cells = line.split("\t", -1);
          Map<String, String> ids = new TreeMap<>();
          for (int i = 0; i + 1 < cells.length; i += 2) {
            String type = unescape(cells[i]);
            String value = unescape(cells[i + 1]);
            // Placeholders stay placeholders in every copy: the copies' junk is the original's.
            ids.put(type, copy == 0 || PlaceholderValues.isPlaceholder(type, value) ? value
                : value + suffix);
          }
          out.accept(ids);
          n++;
        }
      }
    }
    return n;
  }

  private static void run(Path file, int copies) throws IOException {
    cpuMark = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    long r0 = System.nanoTime();
    forEachRecord(file, copies, ids -> { });
    report("read only", r0, System.nanoTime(), "reading and parsing the prepared file, "
        + "included in add below");
    resetPeaks();
    long t0 = System.nanoTime();
    CompactIdentityResolver resolver = CompactIdentityResolver.create(IdentityRules.defaults());
    long records = forEachRecord(file, copies, resolver::addRecord);
    long t1 = System.nanoTime();
    addNanos = t1 - t0;
    report("add", t0, t1, String.format("%,d records in, %,d distinct, %,d identifiers",
        records, resolver.recordCount(), resolver.nodeCount()));
    resolveAndQuery(resolver, consumer -> {
      try {
        forEachRecord(file, copies, consumer);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  private static void chains(int identifiers, int length, boolean limited) {
    resetPeaks();
    String[] types = limited ? new String[] {"email", "phone"}
        : new String[] {"device_id", "anonymous_id"};
    Consumer<Consumer<Map<String, String>>> records = out -> {
      for (int chain = 0; chain < identifiers / length; chain++) {
        // Node names in an order unrelated to the chain, as in ConnectedComponentsTest.
        for (int i = 0; i + 1 < length; i++) {
          Map<String, String> ids = new TreeMap<>();
          ids.put(types[i % 2], name(chain, i, limited, i % 2 == 0));
          ids.put(types[(i + 1) % 2], name(chain, i + 1, limited, (i + 1) % 2 == 0));
          out.accept(ids);
        }
      }
    };
    long t0 = System.nanoTime();
    CompactIdentityResolver resolver = CompactIdentityResolver.create(IdentityRules.defaults());
    records.accept(resolver::addRecord);
    long t1 = System.nanoTime();
    addNanos = t1 - t0;
    report("add", t0, t1, String.format("%,d distinct records, %,d identifiers (%s)",
        resolver.recordCount(), resolver.nodeCount(), limited ? "email/phone, limit 5"
            : "device_id/anonymous_id, no limit"));
    resolveAndQuery(resolver, records);
  }

  private static String name(int chain, int i, boolean limited, boolean email) {
    String hashed = String.format("%08x-%d-%d", Integer.reverse((chain * 1000 + i)
        * 0x9E3779B1), chain, i);
    if (!limited) {
      return hashed;
    }
    return email ? hashed + "@x.io" : String.format("+1617%07d", chain * 1000 + i);
  }

  private static void resolveAndQuery(CompactIdentityResolver resolver,
      Consumer<Consumer<Map<String, String>>> records) {
    usedAfterGcMb();
    cpuMark = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    long t = System.nanoTime();
    CompactResolution result = resolver.resolve();
    long resolveNanos = System.nanoTime() - t;
    report("resolve", t, t + resolveNanos, result.counters().toString());
    long[] rows = new long[1];
    t = System.nanoTime();
    result.forEachIdentity(row -> rows[0]++);
    report("identities", t, System.nanoTime(), String.format("%,d rows streamed; %,d junk rows,"
        + " %,d changes", rows[0], result.junk().size(), result.changes().size()));
    CustomerLookup lookup = result.lookup();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    t = System.nanoTime();
    try {
      CustomerLookupCoder.of().encode(lookup, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    report("encode lookup", t, System.nanoTime(), String.format("%,d bytes for %,d identifiers,"
        + " %,d customers, %d colliding", bytes.size(), lookup.identifierCount(),
        lookup.customerCount(), lookup.collidingIdentifiers()));
    byte[] encoded = bytes.toByteArray();
    bytes = null;
    t = System.nanoTime();
    CustomerLookup decoded;
    try {
      decoded = CustomerLookupCoder.of().decode(new ByteArrayInputStream(encoded));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    report("decode lookup", t, System.nanoTime(), "");
    encoded = null;
    long[] q = new long[3];
    t = System.nanoTime();
    records.accept(ids -> {
      CustomerLookup.Owner o = decoded.ownerOf(ids);
      q[0]++;
      q[1] += o.linked() ? 0 : 1;
      q[2] += o.junkIdentifiers();
    });
    report("query lookup", t, System.nanoTime(), String.format("%,d records (with reading"
        + " them): %,d dead letters, %,d identifiers dropped on records", q[0], q[1], q[2]));
    System.out.printf("add + resolve: %.2f s (add %.2f s, resolve %.2f s)%n",
        (addNanos + resolveNanos) / 1e9, addNanos / 1e9, resolveNanos / 1e9);
  }

  private static long startNanos;
  private static long addNanos;

  private static long cpuMark;

  /** Wall time of the phase, and this thread's CPU time since the last report. */
  private static void report(String phase, long from, long to, String detail) {
    long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    double cpuSeconds = (cpu - cpuMark) / 1e9;
    long used = usedAfterGcMb();
    System.out.printf("%-14s %7.3f s wall %7.3f s cpu  heap after GC %,5d MB  peak %,5d MB  %s%n",
        phase, (to - from) / 1e9, cpuSeconds, used, peakHeapMb(), detail);
    cpuMark = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static long usedAfterGcMb() {
    System.gc();
    Runtime rt = Runtime.getRuntime();
    return (rt.totalMemory() - rt.freeMemory()) >> 20;
  }

  private static void resetPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
    startNanos = System.nanoTime();
    cpuMark = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static long peakHeapMb() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak >> 20;
  }
}
