package dev.audiencesegmenter.pipelines.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import dev.audiencesegmenter.io.files.ReadProfileAttributes;
import dev.audiencesegmenter.io.files.WriteJsonLines;
import dev.audiencesegmenter.model.CustomerIdentity;
import dev.audiencesegmenter.pipelines.sample.SampleDataGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Identity resolution quality at scale, not a test: generates N customers of the noisy sample
 * data (formatting variants, junk shared by many customers), resolves them on the Flink runner
 * in local mode and prints pairwise precision and recall against the generator's truth.
 *
 * <pre>
 * java -cp pipelines/target/audience-segmenter-pipelines-VERSION.jar \
 *     dev.audiencesegmenter.pipelines.bench.NoisyIdentityBenchmark --customers=170000
 * </pre>
 */
public final class NoisyIdentityBenchmark {
  private NoisyIdentityBenchmark() {}

  public static void main(String[] args) throws IOException {
    int customers = 170_000;
    for (String arg : args) {
      String[] kv = arg.replaceFirst("^--", "").split("=", 2);
      if (!kv[0].equals("customers")) {
        throw new IllegalArgumentException("Unknown option '" + kv[0] + "'; known: customers");
      }
      customers = Integer.parseInt(kv[1]);
    }
    Path work = Files.createTempDirectory("noisy-identity");
    Path data = work.resolve("data");
    long start = System.nanoTime();
    SampleDataGenerator.Counts counts =
        new SampleDataGenerator(42, LocalDate.parse("2024-06-30")).write(data, customers);
    long generated = System.nanoTime();

    FlinkPipelineOptions options = PipelineOptionsFactory.create().as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    options.setReIterableGroupByKeyResult(true);
    Pipeline p = Pipeline.create(options);
    Path out = work.resolve("identities");
    ResolveIdentities.inputs(
            p.apply("Events", ReadCustomerEvents.from(data.resolve("events") + "/*"))
                .getRecords(),
            p.apply("Profiles", ReadProfileAttributes.from(data.resolve("profiles") + "/*"))
                .getRecords())
        .apply(ResolveIdentities.create())
        .getIdentities()
        .apply(WriteJsonLines.<CustomerIdentity>to(out + "/"));
    p.run().waitUntilFinish();
    long resolved = System.nanoTime();

    Map<String, String> truth = new HashMap<>();
    List<String> lines = Files.readAllLines(data.resolve("truth/identities.csv"));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", 3);
      truth.put(f[1] + ":" + f[2], f[0]);
    }
    Map<String, String> predicted = new HashMap<>();
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Files.list(out)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("part-"))
          .toList()) {
        for (String line : Files.readAllLines(file)) {
          JsonNode row = json.readTree(line);
          predicted.put(row.get("id_type").asText() + ":" + row.get("id_value").asText(),
              row.get("customer_id").asText());
        }
      }
    }
    PairwiseScore score = PairwiseScore.of(truth, predicted);
    System.out.println("| customers | events | identifiers (truth) | identifiers resolved "
        + "| precision | recall | generate s | resolve s (Flink local, 2) |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    System.out.printf(Locale.ROOT, "| %,d | %,d | %,d | %,d | %.6f | %.6f | %.1f | %.1f |%n",
        counts.customers(), counts.events(), truth.size(), predicted.size(), score.precision(),
        score.recall(), (generated - start) / 1e9, (resolved - generated) / 1e9);
  }
}
