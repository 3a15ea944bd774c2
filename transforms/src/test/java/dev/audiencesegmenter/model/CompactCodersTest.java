package dev.audiencesegmenter.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

class CompactCodersTest {

  private static CustomerEvent event(Map<String, String> props, BigDecimal revenue) {
    return CustomerEvent.builder().setSource("shop").setSourceRecordId("o-1")
        .setEventType("purchase").setEventTime(new Instant(1_709_294_400_123L))
        .setIdentifiers(new TreeMap<>(Map.of("email", "ann@example.com", "phone", "+14155550132")))
        .setRevenue(revenue).setCurrency("USD").setProperties(props)
        .setConsent(new TreeMap<>(Map.of("email", true, "sms", false)))
        .build();
  }

  @Test
  void eventsRoundTripWithEveryKindOfValue() throws Exception {
    Map<String, String> props = new TreeMap<>();
    props.put("sku", "A-1");
    props.put("name", "Crème brûlée 🍮");
    for (BigDecimal revenue : new BigDecimal[] {null, new BigDecimal("42.50"),
        new BigDecimal("-0.01"), new BigDecimal("1E+3"),
        new BigDecimal("123456789012345678901234567890.123456789")}) {
      CustomerEvent e = event(props, revenue);
      CustomerEvent back = CoderUtils.clone(CustomerEventCoder.of(), e);
      assertEquals(e, back);
      if (revenue != null) {
        assertEquals(revenue.scale(), back.getRevenue().scale(), "scale of " + revenue);
      }
    }
    CustomerEvent minimal = CustomerEvent.builder().setSource("web").setSourceRecordId("")
        .setEventType("site_visit").setEventTime(new Instant(-5L))
        .setIdentifiers(Map.of("anonymous_id", "a")).build();
    assertEquals(minimal, CoderUtils.clone(CustomerEventCoder.of(), minimal));
  }

  @Test
  void equalEventsEncodeToEqualBytesWhateverTheirMapsOrder() throws Exception {
    Map<String, String> sorted = new TreeMap<>(Map.of("b", "2", "a", "1", "c", "3"));
    Map<String, String> insertion = new LinkedHashMap<>();
    insertion.put("c", "3");
    insertion.put("a", "1");
    insertion.put("b", "2");
    assertArrayEquals(
        CoderUtils.encodeToByteArray(CustomerEventCoder.of(), event(sorted, null)),
        CoderUtils.encodeToByteArray(CustomerEventCoder.of(), event(insertion, null)));
  }

  @Test
  void recordsFollowEachOtherInOneStream() throws Exception {
    assertBothReadBackFromOneStream(CustomerEventCoder.of(),
        event(Map.of("sku", "A"), BigDecimal.ONE), event(new HashMap<>(), null));
  }

  /** {@code a} then {@code b} encoded into one stream decode to themselves, nothing left. */
  private static <T> void assertBothReadBackFromOneStream(Coder<T> coder, T a, T b)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    coder.encode(a, out);
    coder.encode(b, out);
    ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
    assertEquals(a, coder.decode(in));
    assertEquals(b, coder.decode(in));
    assertEquals(0, in.available());
  }

  @Test
  void aTruncatedRecordFailsLoudly() throws Exception {
    byte[] bytes = CoderUtils.encodeToByteArray(CustomerEventCoder.of(),
        event(Map.of("sku", "A"), BigDecimal.TEN));
    byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 3);
    assertThrows(IOException.class, () -> CustomerEventCoder.of().decode(
        new ByteArrayInputStream(cut)));
  }

  @Test
  void profilesRoundTrip() throws CoderException {
    ProfileAttributes p = ProfileAttributes.builder().setSource("crm").setSourceRecordId("c-9")
        .setUpdateTime(new Instant(1_706_745_600_000L))
        .setIdentifiers(new TreeMap<>(Map.of("crm_id", "9")))
        .setAttributes(new TreeMap<>(Map.of("city", "Zürich", "plan", "pro"))).build();
    assertEquals(p, CoderUtils.clone(ProfileAttributesCoder.of(), p));
  }

  @Test
  void identitiesRoundTripOneAfterAnother() throws Exception {
    assertBothReadBackFromOneStream(CustomerIdentityCoder.of(),
        CustomerIdentity.create("c-0001", "email", "zoë@example.com"),
        CustomerIdentity.create("c-0002", "phone", "+14155550132"));
  }
}
