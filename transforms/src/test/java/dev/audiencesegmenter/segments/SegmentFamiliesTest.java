package dev.audiencesegmenter.segments;

import static dev.audiencesegmenter.segments.SegmentDefinitionsTest.error;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.SegmentMembership;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The built-in families of {@link SegmentDefinitions}: rfm, value_tiers, geo_radius. */
@ExtendWith(TestPipelineExtension.class)
class SegmentFamiliesTest {

  private static final String FAMILIES = "groups:\n"
      + "  - name: rfm\n"
      + "    family: rfm\n"
      + "    holdout_percent: 10\n"
      + "  - name: value\n"
      + "    family: value_tiers\n"
      + "    vip_top_percent: 5\n"
      + "    low_bottom_percent: 40\n";

  @Test
  void familiesGenerateTheirSegmentsInPriorityOrder() {
    SegmentDefinitions d = SegmentDefinitions.parse(FAMILIES, "f.yaml");
    List<String> names = new ArrayList<>();
    d.getSegments().forEach(s -> names.add(s.name() + " " + s.holdoutPercent()));
    assertEquals(List.of("rfm_champions 10.0", "rfm_loyal 10.0", "rfm_potential_loyalist 10.0",
        "rfm_new_customers 10.0", "rfm_promising 10.0", "rfm_need_attention 10.0",
        "rfm_about_to_sleep 10.0", "rfm_at_risk 10.0", "rfm_cant_lose_them 10.0",
        "rfm_hibernating 10.0", "rfm_lost 10.0", "value_vip 0.0", "value_standard 0.0",
        "value_low 0.0"), names);
    assertEquals(new SegmentDefinitions.Segment("value_vip", "value",
        "Top 5% of customers by predicted 12-month lifetime value", "value_tier == \"vip\"", 0),
        d.getSegments().get(11));
    assertEquals(new SegmentDefinitions.ValueTierCuts(5, 40), d.getValueTierCuts());
    assertEquals(true, d.getGroups().get(0).exclusive());
  }

  @Test
  void engagementFamilyHasThreeTiersWithCheckedCutOffs() {
    String yaml = "groups:\n  - name: engaged\n    family: engagement\n"
        + "    high_top_percent: 25\n    low_bottom_percent: 30\n";
    SegmentDefinitions d = SegmentDefinitions.parse(yaml, "e.yaml");
    List<String> segments = new ArrayList<>();
    d.getSegments().forEach(s -> segments.add(s.name() + ": " + s.when()));
    assertEquals(List.of("engaged_high: engagement_tier == \"high\"",
        "engaged_medium: engagement_tier == \"medium\"",
        "engaged_low: engagement_tier == \"low\""), segments);
    assertEquals(new SegmentDefinitions.EngagementCuts(25, 30), d.getEngagementCuts());
    assertEquals("segments.yaml:5:25: group 'engaged': low_bottom_percent must be from 0 to 75 "
        + "(100 - high_top_percent), got 80", error(yaml.replace("30", "80")));
  }

  @Test
  void lifecycleFamilyHasASegmentPerStage() {
    SegmentDefinitions d = SegmentDefinitions.parse("groups:\n  - name: stage\n"
        + "    family: lifecycle\n", "l.yaml");
    List<String> segments = new ArrayList<>();
    d.getSegments().forEach(s -> segments.add(s.name() + ": " + s.when()));
    assertEquals(List.of("stage_new: lifecycle_stage == \"new\"",
        "stage_reactivated: lifecycle_stage == \"reactivated\"",
        "stage_active: lifecycle_stage == \"active\"",
        "stage_at_risk: lifecycle_stage == \"at_risk\"",
        "stage_churned: lifecycle_stage == \"churned\""), segments);
    assertEquals(true, d.getGroups().get(0).exclusive());
  }

  @Test
  void badFamilyConfigurationIsPlaced() {
    assertEquals("segments.yaml:3:13: group 'rfm': unknown family 'rmf' (known: clusters, "
        + "engagement, geo_radius, lifecycle, lookalike, rfm, value_tiers) (did you mean 'rfm'?)",
        error(FAMILIES.replace("family: rfm",
            "family: rmf")));
    assertEquals("segments.yaml:8:25: group 'value': low_bottom_percent must be from 0 to 95 "
        + "(100 - vip_top_percent), got 96", error(FAMILIES.replace("40", "96")));
    assertEquals("segments.yaml:7:22: 'vip_top_percent' must be a whole number of percent, "
        + "got 'ten'", error(FAMILIES.replace("vip_top_percent: 5", "vip_top_percent: ten")));
    assertEquals("segments.yaml:4:22: group 'rfm': 'vip_top_percent' belongs to a group with "
        + "family value_tiers", error(FAMILIES.replace("holdout_percent: 10",
            "vip_top_percent: 10")));
    assertEquals("segments.yaml:4:15: group 'rfm': the rfm family defines its own segments; "
        + "remove 'segments'", error(FAMILIES.replace("    holdout_percent: 10\n",
            "    segments: []\n")));
    assertEquals("segments.yaml:5:11: group name 'rfm' is used twice",
        error(FAMILIES.replace("name: value", "name: rfm")));
  }

  @Test
  void geoRadiusSegmentsAreCheckedAndWrittenAsConditions() {
    String yaml = "groups:\n"
        + "  - name: stores\n"
        + "    family: geo_radius\n"
        + "    segments:\n"
        + "      - name: near_london\n"
        + "        center: [51.5074, -0.1278]\n"
        + "        radius_km: 25\n";
    SegmentDefinitions.Segment s = SegmentDefinitions.parse(yaml, "g.yaml").getSegments()
        .get(0);
    assertEquals("lat != null && lon != null && distance_km(lat, lon, 51.5074, -0.1278) "
        + "<= 25.0", s.when());
    assertEquals("segments.yaml:6:18: segment 'near_london': latitude must be from -90 to "
        + "90, got 95.0", error(yaml.replace("51.5074", "95")));
    assertEquals("segments.yaml:7:20: segment 'near_london': radius_km must be above 0, got "
        + "0.0", error(yaml.replace("25", "0")));
  }

  @Test
  void rfmAndValueTierGroupsAssignByTheScores(TestPipeline p) {
    // Scores as AddSegmentScores would set them; a customer without scores joins no segment.
    List<CustomerFeatures> customers = List.of(
        scored("a", 5, 5, "vip"), scored("b", 1, 1, "low"), scored("c", 3, 3, "standard"),
        AddSegmentScoresTest.buyer("d", null, 0, 0, null));
    PAssert.that(p.apply(Create.of(customers))
            .apply(AssignSegments.of(SegmentDefinitions.parse(FAMILIES, "f.yaml")))
            .getMemberships()
            .apply(MapElements.into(TypeDescriptors.strings())
                .via(SegmentMembership::toString)))
        .containsInAnyOrder(
            membership("a", "rfm_champions", "rfm"), membership("a", "value_vip", "value"),
            membership("b", "rfm_lost", "rfm"), membership("b", "value_low", "value"),
            membership("c", "rfm_need_attention", "rfm"),
            membership("c", "value_standard", "value"));
    p.run().waitUntilFinish();
  }

  @Test
  void geoRadiusMembershipIsExact(TestPipeline p) {
    // Haversine from London (51.5074, -0.1278), sphere of 6371.0088 km: St Albans (51.7520,
    // -0.3360) 30.76 km, Maidstone (51.2798, 0.5235) 51.79 km, Reading (51.4545, -0.9781)
    // 59.18 km. Radius 31 km holds London and St Albans; 55 km adds Maidstone; no position is
    // in neither.
    String yaml = "groups:\n"
        + "  - name: stores\n"
        + "    family: geo_radius\n"
        + "    segments:\n"
        + "      - name: near_london\n"
        + "        center: [51.5074, -0.1278]\n"
        + "        radius_km: 31\n"
        + "      - name: greater_london\n"
        + "        center: [51.5074, -0.1278]\n"
        + "        radius_km: 55\n";
    List<CustomerFeatures> customers = List.of(at("london", 51.5074, -0.1278),
        at("st_albans", 51.7520, -0.3360), at("maidstone", 51.2798, 0.5235),
        at("reading", 51.4545, -0.9781), at("nowhere", null, null));
    PAssert.that(p.apply(Create.of(customers))
            .apply(AssignSegments.of(SegmentDefinitions.parse(yaml, "g.yaml")))
            .getMemberships()
            .apply(MapElements.into(TypeDescriptors.strings())
                .via(m -> m.getCustomerId() + " " + m.getSegment())))
        .containsInAnyOrder("london near_london", "london greater_london",
            "st_albans near_london", "st_albans greater_london", "maidstone greater_london");
    p.run().waitUntilFinish();
  }

  private static CustomerFeatures at(String id, Double lat, Double lon) {
    return AddSegmentScoresTest.buyer(id, 10L, 1, 10, null).toBuilder().setLat(lat).setLon(lon)
        .build();
  }

  private static CustomerFeatures scored(String id, int r, int f, String tier) {
    return AddSegmentScoresTest.buyer(id, 10L, f, 10, 1.0).toBuilder().setRScore(r).setFScore(f)
        .setMScore(3).setRfmSegment(RfmScores.segment(r, f)).setValueTier(tier).build();
  }

  private static String membership(String id, String segment, String group) {
    return SegmentMembership.create(id, segment, group,
        Holdouts.inHoldout(id, segment, "", segment.startsWith("rfm_") ? 10 : 0)).toString();
  }
}
