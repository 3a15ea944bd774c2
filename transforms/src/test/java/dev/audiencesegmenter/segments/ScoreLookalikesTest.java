package dev.audiencesegmenter.segments;

import static dev.audiencesegmenter.segments.SegmentDefinitionsTest.error;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SegmentMembership;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestPipelineExtension.class)
class ScoreLookalikesTest {
  private static final String YAML = "groups:\n"
      + "  - name: base\n"
      + "    segments:\n"
      + "      - name: heavy\n"
      + "        when: frequency >= 10\n"
      + "  - name: lookalike\n"
      + "    family: lookalike\n"
      + "    seed_segment: heavy\n"
      + "    features: [frequency, email_opens_90d]\n"
      + "    top_n: 2\n";

  private static CustomerFeatures customer(String id, long frequency, long opens) {
    return AddSegmentScoresTest.buyer(id, 10L, frequency, 10, null).toBuilder()
        .setEmailOpens90d(opens).build();
  }

  @Test
  void customersLikeTheSeedScoreHighestAndTheTopNAreSelected(TestPipeline p) {
    // Population (6): frequency mean 7, SD 4.08248; opens mean 4, SD 2.58199. Seed a, b:
    // means 11 and 6. Weights |11-7|/4.08248 = 0.97980 and |6-4|/2.58199 = 0.77460, i.e.
    // 0.55848 and 0.44152. Score exp(-1/2 sum w z^2): e (9, 6) 0.935179, c (8, 5) 0.832016,
    // d (2, 1) 0.112483, f (1, 0) 0.056838. Top 2: e and c.
    SegmentDefinitions definitions = SegmentDefinitions.parse(YAML, "l.yaml");
    PCollection<CustomerFeatures> scored = p.apply(Create.of(customer("a", 10, 5),
            customer("b", 12, 7), customer("c", 8, 5), customer("d", 2, 1),
            customer("e", 9, 6), customer("f", 1, 0)))
        .apply(ScoreLookalikes.of(definitions.getLookalikeSpec()));
    PAssert.that(scored.apply(MapElements.into(TypeDescriptors.strings()).via(c ->
            c.getCustomerId() + " " + (c.getLookalikeScore() == null ? "-" : String.format(
                Locale.ROOT, "%.6f", c.getLookalikeScore())) + " " + c.getLookalikeSelected())))
        .containsInAnyOrder("a - null", "b - null", "c 0.832016 true", "d 0.112483 false",
            "e 0.935179 true", "f 0.056838 false");
    PAssert.that(scored.apply("Reason", MapElements.into(TypeDescriptors.strings())
            .via(c -> c.getCustomerId() + ": " + c.getLookalikeReason())))
        .satisfies(rows -> {
          List<String> list = new ArrayList<>();
          rows.forEach(list::add);
          assertEquals(true, list.contains("e: frequency 9.000 (seed mean 11.00, all 7.000); "
              + "email_opens_90d 6.000 (seed mean 6.000, all 4.000)"), list.toString());
          return null;
        });
    PAssert.that(scored.apply("Assign", AssignSegments.of(definitions)).getMemberships()
            .apply("Members", MapElements.into(TypeDescriptors.strings())
                .via(SegmentMembership::toString)))
        .containsInAnyOrder(member("a", "heavy", "base"), member("b", "heavy", "base"),
            member("c", "lookalike_heavy", "lookalike"),
            member("e", "lookalike_heavy", "lookalike"));
    p.run().waitUntilFinish();
  }

  private static String member(String id, String segment, String group) {
    return SegmentMembership.create(id, segment, group, false).toString();
  }

  @Test
  void theSeedMustBeDefinedAboveAndASelectionGiven() {
    assertEquals("segments.yaml:8:19: group 'lookalike': seed_segment 'heavvy' is not a "
        + "segment defined above it (did you mean 'heavy'?)",
        error(YAML.replace("seed_segment: heavy", "seed_segment: heavvy")));
    assertEquals("segments.yaml:6:5: group 'lookalike': a lookalike group needs top_n or "
        + "min_score", error(YAML.replace("    top_n: 2\n", "")));
    assertEquals("segments.yaml:9:27: group 'lookalike': column 'customer_id' is not "
        + "numeric, it is STRING", error(YAML.replace("email_opens_90d", "customer_id")));
  }
}
