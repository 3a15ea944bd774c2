package dev.audiencesegmenter.streaming;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.IdentityChange;
import dev.audiencesegmenter.model.MembershipChange;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Latest;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The streaming segmentation on small event streams whose outcome is worked out by hand. */
@Timeout(300)
class SegmentContinuouslyTest {
  private static final Instant T0 = Instant.parse("2024-01-01T10:00:00Z");
  private static final Duration HOUR = Duration.standardHours(1);
  private static final Duration DAY = Duration.standardDays(1);
  private static final SegmentDefinitions SEGMENTS = SegmentDefinitions.parse("""
      salt: "t"
      groups:
        - name: g
          exclusive: false
          segments:
            - name: recent_buyers
              when: frequency > 0 && recency_days < 30
            - name: big_spenders
              when: monetary_total >= 100.0
      """, "test.yaml");

  @RegisterExtension
  final TestPipelineExtension extension = TestPipelineExtension.fromOptions(options());

  private static DirectOptions options() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setTargetParallelism(2);
    return options;
  }

  private static int seq;

  private static CustomerEvent purchase(Map<String, String> ids, Instant time, String revenue) {
    return CustomerEvent.builder().setSource("shop").setSourceRecordId("o" + (seq++))
        .setEventType("purchase").setEventTime(time).setIdentifiers(ids)
        .setRevenue(revenue == null ? null : new BigDecimal(revenue)).setProperties(Map.of())
        .build();
  }

  /** "c-" and 16 hex digits of SHA-256 of the smallest identifier, computed here anew. */
  private static String id(String node) throws Exception {
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(
        node.getBytes(StandardCharsets.UTF_8));
    return "c-" + HexFormat.of().formatHex(hash, 0, 8);
  }

  private static TestStream.Builder<CustomerEvent> stream(TestPipeline p) throws Exception {
    return TestStream.create(p.getSchemaRegistry().getSchemaCoder(CustomerEvent.class));
  }

  private static SegmentContinuously segment() {
    return SegmentContinuously.of(SEGMENTS).withEvaluationInterval(HOUR);
  }

  private static MembershipChange change(String customer, String segment, String change,
      Instant at, String cause) {
    return MembershipChange.create(SegmentMembership.create(customer, segment, "g", false),
        change, at, cause);
  }

  private static PCollection<KV<String, CustomerFeatures>> latest(
      SegmentContinuously.Result result) {
    return result.getFeatures()
        .apply(Window.<CustomerFeatures>into(new GlobalWindows())
            .triggering(AfterWatermark.pastEndOfWindow()).withAllowedLateness(Duration.ZERO)
            .discardingFiredPanes())
        .apply(WithKeys.of(CustomerFeatures::getCustomerId).withKeyType(TypeDescriptors.strings()))
        .apply(Latest.perKey());
  }

  @Test
  void aCustomerLeavesATimeBasedSegmentOnATimerWithoutNewEvents(TestPipeline p)
      throws Exception {
    PCollection<CustomerEvent> events = p.apply(stream(p)
        .addElements(TimestampedValue.of(purchase(Map.of("user_id", "u1"), T0, "50"), T0))
        .advanceWatermarkToInfinity());
    SegmentContinuously.Result result = events.apply(segment()
        .withReevaluation(DAY, Duration.standardDays(60)));
    String c = id("user_id:u1");
    // Entered at the first hour after the purchase; recency_days reaches 30 at the 30th daily
    // re-evaluation, 2024-01-31T11:00 (30 days and 1 hour after the purchase).
    PAssert.that(result.getChanges()).containsInAnyOrder(
        change(c, "recent_buyers", MembershipChange.ENTERED, T0.plus(HOUR),
            MembershipChange.EVALUATION),
        change(c, "recent_buyers", MembershipChange.EXITED,
            Instant.parse("2024-01-31T11:00:00Z"), MembershipChange.EVALUATION));
    PAssert.that(result.getMerges()).empty();
    p.run().waitUntilFinish();
  }

  @Test
  void aRecordLinkingTwoCustomersMergesThemAndTheirState(TestPipeline p) throws Exception {
    Instant until = T0.plus(Duration.standardDays(3));
    PCollection<CustomerEvent> events = p.apply(stream(p)
        .addElements(TimestampedValue.of(purchase(Map.of("email", "a@x.com"), T0, "60"), T0))
        .advanceWatermarkTo(T0.plus(Duration.standardHours(2)))
        .addElements(TimestampedValue.of(purchase(Map.of("user_id", "u2"), T0.plus(DAY), "70"),
            T0.plus(DAY)))
        .advanceWatermarkTo(T0.plus(DAY).plus(Duration.standardHours(2)))
        .addElements(TimestampedValue.of(purchase(Map.of("email", "a@x.com", "user_id", "u2"),
            T0.plus(Duration.standardDays(2)), null).toBuilder().setEventType("page_view")
            .build(), T0.plus(Duration.standardDays(2))))
        .advanceWatermarkToInfinity());
    SegmentContinuously.Result result = events.apply(segment().withUntil(until));
    String kept = id("email:a@x.com");
    String absorbed = id("user_id:u2");
    Instant linkedAt = T0.plus(Duration.standardDays(2));
    PAssert.that(result.getMerges()).containsInAnyOrder(IdentityChange.create(
        IdentityChange.MERGE, kept, absorbed, "user_id:u2", "email:a@x.com",
        "linked by a streamed record"));
    PAssert.that(result.getChanges()).containsInAnyOrder(
        change(kept, "recent_buyers", MembershipChange.ENTERED, T0.plus(HOUR),
            MembershipChange.EVALUATION),
        change(absorbed, "recent_buyers", MembershipChange.ENTERED, T0.plus(DAY).plus(HOUR),
            MembershipChange.EVALUATION),
        change(absorbed, "recent_buyers", MembershipChange.EXITED, linkedAt,
            MembershipChange.MERGED_INTO + kept),
        // 60 + 70: the absorbed customer's purchase counts for the kept one from the instant
        // of the link (as a batch run with that asOf would link them: identity is not cut
        // at asOf); the linking record is a page view.
        change(kept, "big_spenders", MembershipChange.ENTERED, linkedAt,
            MembershipChange.EVALUATION));
    PAssert.that(latest(result).apply(MapElements.into(TypeDescriptors.strings())
            .via(kv -> kv.getKey() + " " + kv.getValue().getFrequency() + " "
                + kv.getValue().getMonetaryTotal() + " " + kv.getValue().getLastSeen())))
        .containsInAnyOrder(kept + " 2 130.00 " + linkedAt,
            absorbed + " 1 70.00 " + T0.plus(DAY));
    p.run().waitUntilFinish();
  }

  @Test
  void lateEventsCorrectTheLatestEvaluationDuplicatesCountOnceTooLateIsDeadLettered(
      TestPipeline p) throws Exception {
    Instant newest = T0.plus(Duration.standardDays(10));
    CustomerEvent first = purchase(Map.of("user_id", "u3"), newest, "10");
    CustomerEvent allowed = purchase(Map.of("user_id", "u3"), T0.plus(Duration.standardDays(5)),
        "5");
    CustomerEvent tooLate = purchase(Map.of("user_id", "u3"), T0, "20");
    Instant until = newest.plus(DAY);
    PCollection<CustomerEvent> events = p.apply(stream(p)
        .addElements(TimestampedValue.of(first, newest))
        .advanceWatermarkTo(newest.plus(Duration.standardHours(3)))
        .addElements(TimestampedValue.of(first, newest), TimestampedValue.of(allowed,
            allowed.getEventTime()), TimestampedValue.of(tooLate, tooLate.getEventTime()))
        .advanceWatermarkToInfinity());
    SegmentContinuously.Result result = events.apply(segment()
        .withAllowedLateness(Duration.standardDays(7)).withUntil(until));
    String c = id("user_id:u3");
    PAssert.that(latest(result).apply(MapElements.into(TypeDescriptors.strings())
            .via(kv -> kv.getKey() + " " + kv.getValue().getFrequency() + " "
                + kv.getValue().getMonetaryTotal() + " " + kv.getValue().getFirstSeen())))
        .containsInAnyOrder(c + " 2 15.00 " + allowed.getEventTime());
    PAssert.that(result.getDeadLetters().apply(MapElements.into(TypeDescriptors.strings())
            .via(DeadLetter::getReason)))
        .containsInAnyOrder("event more than 604800 s older than the newest event of its "
            + "customer");
    p.run().waitUntilFinish();
  }

  @Test
  void anEventArrivingAfterTheLastEvaluationStillCountsInIt(TestPipeline p) throws Exception {
    Instant until = T0.plus(Duration.standardDays(2));
    CustomerEvent late = purchase(Map.of("user_id", "u4"), T0.plus(DAY), "7");
    PCollection<CustomerEvent> events = p.apply(stream(p)
        .addElements(TimestampedValue.of(purchase(Map.of("user_id", "u4"), T0, "3"), T0))
        .advanceWatermarkTo(T0.plus(Duration.standardDays(5)))
        .addElements(TimestampedValue.of(late, late.getEventTime()))
        .advanceWatermarkToInfinity());
    SegmentContinuously.Result result = events.apply(segment().withUntil(until));
    PAssert.that(latest(result).apply(MapElements.into(TypeDescriptors.strings())
            .via(kv -> kv.getValue().getFrequency() + " " + kv.getValue().getMonetaryTotal())))
        .containsInAnyOrder("2 10.00");
    p.run().waitUntilFinish();
  }

  @Test
  void segmentsOnPopulationColumnsAreRefusedNamingSegmentAndColumn() {
    SegmentDefinitions rfm = SegmentDefinitions.parse("""
        salt: "t"
        groups:
          - name: g
            segments:
              - name: champions
                when: rfm_segment == "champions"
        """, "rfm.yaml");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SegmentContinuously.of(rfm));
    assertTrue(e.getMessage().startsWith("segment 'champions' uses column 'rfm_segment'"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> segment().withEvaluationInterval(Duration.ZERO));
    assertEquals(Duration.standardDays(7), segment().getAllowedLateness());
  }
}
