package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.clv.ParetoNbdModel;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CDNOW transactions (the 1/10 sample of Fader, Hardie &amp; Lee), converted to purchase
 * events and run through the pipeline with {@code --asOf=1997-09-30}, reproduce the published
 * customer summary for all 2,357 customers and the published model parameters. The run takes
 * Pareto/NBD as its purchase model, the one its holdout report chooses.
 */
@Timeout(600)
class CdnowPipelineTest {
  static final Path CDNOW = Path.of("..", "transforms", "src", "test", "resources", "cdnow");

  @TempDir static Path work;
  static Path out;

  @BeforeAll
  static void run() throws IOException {
    Path events = work.resolve("events");
    Files.createDirectories(events);
    try (Writer w = Files.newBufferedWriter(events.resolve("cdnow.jsonl"))) {
      int line = 0;
      for (String raw : Files.readAllLines(CDNOW.resolve("CDNOW_sample.txt"))) {
        String[] f = raw.strip().split("\\s+");
        if (f.length < 5) {
          continue;
        }
        String date = f[2].substring(0, 4) + "-" + f[2].substring(4, 6) + "-"
            + f[2].substring(6);
        w.write("{\"source\":\"cdnow\",\"id\":\"" + (++line) + "\",\"type\":\"purchase\","
            + "\"time\":\"" + date + "T12:00:00Z\",\"ids\":{\"user_id\":\"" + f[1] + "\"},"
            + "\"revenue\":" + f[4] + ",\"currency\":\"USD\"}\n");
      }
    }
    out = work.resolve("out");
    PipelineRuns.runToCompletion(List.of(
        "--input=" + events + "/*",
        "--segments=" + PipelineRuns.SAMPLE.resolve("segments-advanced.yaml"),
        "--asOf=1997-09-30",
        "--holdoutEnd=1998-06-30",
        "--purchaseModel=pareto_nbd",
        "--output=" + out,
        "@../runner-configs/flink-local.args"));
  }

  @Test
  void reproducesThePublishedCustomerSummary() throws IOException {
    Map<String, String> idOfCustomer = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("identities"))) {
      idOfCustomer.put(row.get("customer_id").asText(), row.get("id_value").asText());
    }
    Map<Integer, JsonNode> features = new HashMap<>();
    for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
      features.put(Integer.parseInt(idOfCustomer.get(row.get("customer_id").asText())), row);
    }
    List<String> published = Files.readAllLines(
        CDNOW.resolve("cdnow_customers_summary_with_transactions.csv"));
    assertEquals(2357, published.size() - 1);
    assertEquals(2357, features.size());
    for (String line : published.subList(1, published.size())) {
      String[] f = line.split(",");
      JsonNode row = features.get(Integer.parseInt(f[0]));
      String who = "customer " + f[0];
      assertEquals(Integer.parseInt(f[1]), row.get("repeat_purchases").asInt(), who + " x");
      assertEquals(Double.parseDouble(f[2]), row.get("recency_weeks").asDouble(), 0.005,
          who + " t_x");
      assertEquals(Double.parseDouble(f[3]), row.get("age_weeks").asDouble(), 0.005,
          who + " T");
      double zbar = row.get("mean_repeat_value").isNull() ? 0
          : row.get("mean_repeat_value").asDouble();
      assertEquals(Double.parseDouble(f[4]), zbar, 0.0101, who + " zbar");
    }
  }

  @Test
  void writesTheHoldoutValidation() throws IOException {
    JsonNode report = new ObjectMapper().readTree(
        out.resolve("model/holdout-validation.json").toFile());
    assertEquals(2357, report.get("customers").asInt());
    // Distinct purchase days of the sample's customers from 1997-10-01 to 1998-06-30:
    // awk '$3 >= 19971001 && $3 <= 19980630 {print $2, $3}' CDNOW_sample.txt | sort -u | wc -l
    assertEquals(1882, report.get("actual_repeat_purchases").asInt());
    // BG/NBD and Pareto/NBD scored side by side on the same customers.
    JsonNode models = report.get("models");
    assertEquals("bg_nbd", models.get(0).get("model").asText());
    assertEquals(report.get("predicted_repeat_purchases").asDouble(),
        models.get(0).get("predicted_repeat_purchases").asDouble(), 1e-9);
    assertEquals("pareto_nbd", models.get(1).get("model").asText());
    assertTrue(models.get(1).get("fitted").asBoolean(), models.toString());
    assertEquals((models.get(1).get("predicted_repeat_purchases").asDouble() - 1882) / 1882,
        models.get(1).get("error_of_total").asDouble(), 1e-4);
    // per customer, Pareto/NBD misses by 0.755 purchases and BG/NBD by 0.786
    assertEquals(0.7855, models.get(0).get("mean_absolute_error").asDouble(), 1e-4);
    assertEquals(0.7545, models.get(1).get("mean_absolute_error").asDouble(), 1e-4);
    assertEquals("pareto_nbd", report.get("chosen_model").asText());
  }

  @Test
  void thePurchaseColumnsComeFromParetoNbd() throws IOException {
    JsonNode model = new ObjectMapper().readTree(out.resolve("model/clv.json").toFile());
    assertEquals("pareto_nbd", model.get("purchase_model").asText());
    JsonNode p = model.get("pareto_nbd");
    // Fader & Hardie's Pareto/NBD estimates on this sample: r = 0.553, alpha = 10.578,
    // s = 0.606, beta = 11.669
    assertEquals(0.553, p.get("r").asDouble(), 0.001);
    assertEquals(10.578, p.get("alpha").asDouble(), 0.01);
    assertEquals(0.606, p.get("s").asDouble(), 0.001);
    assertEquals(11.669, p.get("beta").asDouble(), 0.02);
    ParetoNbdModel pareto = new ParetoNbdModel(p.get("r").asDouble(),
        p.get("alpha").asDouble(), p.get("s").asDouble(), p.get("beta").asDouble());
    int rows = 0;
    for (JsonNode row : OutputFiles.rows(out.resolve("features"))) {
      int x = row.get("repeat_purchases").asInt();
      // whole days, as the columns (rounded to 4 decimals) were computed from
      double tx = Math.round(row.get("recency_weeks").asDouble() * 7) / 7.0;
      double t = Math.round(row.get("age_weeks").asDouble() * 7) / 7.0;
      String who = row.toString();
      assertEquals(pareto.pAlive(x, tx, t), row.get("p_alive").asDouble(), 1e-6, who);
      assertEquals(pareto.expectedPurchases(365 / 7.0, x, tx, t),
          row.get("expected_purchases_365d").asDouble(), 1e-6, who);
      rows++;
    }
    assertEquals(2357, rows);
  }

  @Test
  void fitsThePublishedParameters() throws IOException {
    JsonNode model = new ObjectMapper().readTree(out.resolve("model/clv.json").toFile());
    JsonNode bg = model.get("bg_nbd");
    assertEquals(0.243, bg.get("r").asDouble(), 0.006);
    assertEquals(4.414, bg.get("alpha").asDouble(), 0.006);
    assertEquals(0.793, bg.get("a").asDouble(), 0.006);
    assertEquals(2.426, bg.get("b").asDouble(), 0.006);
    assertEquals(2357, bg.get("customers").asInt());
    JsonNode gg = model.get("gamma_gamma");
    assertEquals(6.25, gg.get("p").asDouble(), 0.006);
    assertEquals(3.74, gg.get("q").asDouble(), 0.006);
    assertEquals(15.44, gg.get("gamma").asDouble(), 0.006);
    assertEquals(946, gg.get("customers").asInt());
  }
}
