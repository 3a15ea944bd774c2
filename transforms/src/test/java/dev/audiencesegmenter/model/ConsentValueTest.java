package dev.audiencesegmenter.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConsentValueTest {

  @Test
  void theTableReadsGivenAndWithdrawnValuesInAnyCaseTrimmed() {
    for (String given : List.of("yes", "1", "true", "y", "subscribed", "opted_in", " YES ",
        "True", "Y", "Subscribed", "OPTED_IN", "\t1\n")) {
      assertEquals(Boolean.TRUE, ConsentValue.parse(given), given);
    }
    for (String withdrawn : List.of("no", "0", "false", "n", "unsubscribed", "opted_out",
        "opt-out", " No ", "FALSE", "N", "Unsubscribed", "Opted_Out", "OPT-OUT")) {
      assertEquals(Boolean.FALSE, ConsentValue.parse(withdrawn), withdrawn);
    }
  }

  @Test
  void anythingElseIsUnreadable() {
    for (String other : List.of("maybe", "2", "-1", "1.0", "on", "off", "opt-in", "opted-out",
        "yes please", "t", "f", "null", "", " ", "ja", "0.0", "01")) {
      assertNull(ConsentValue.parse(other), other);
    }
  }

  @Test
  void anUnreadableValueWithdrawsTheChannelAndNamesFieldAndValue() {
    // Fail closed: a channel loses its consent; the "unsubscribed" flag turns on.
    assertFalse(ConsentValue.failClosed("email"));
    assertFalse(ConsentValue.failClosed("sms"));
    assertTrue(ConsentValue.failClosed("unsubscribed"));
    assertTrue(ConsentValue.failClosed(" Unsubscribed "));
    assertEquals("unreadable consent value 'maybe' in 'consent.email' (read as withdrawn: "
        + "false)", ConsentValue.unreadable("consent.email", "email", "maybe"));
    assertEquals("unreadable consent value 'x' in 'consent.unsubscribed' (read as withdrawn: "
        + "true)", ConsentValue.unreadable("consent.unsubscribed", "unsubscribed", "x"));
    String longValue = "y".repeat(100);
    assertEquals("unreadable consent value '" + "y".repeat(57) + "...' in 'attrs.consent_sms' "
        + "(read as withdrawn: false)",
        ConsentValue.unreadable("attrs.consent_sms", "sms", longValue));
  }

  @Test
  void consentAttributesAreFoundByNormalizedName() {
    assertEquals("email", ConsentValue.attributeChannel("consent_email"));
    assertEquals("email", ConsentValue.attributeChannel(" Consent.Email "));
    assertEquals("sms", ConsentValue.attributeChannel("CONSENT_SMS"));
    assertNull(ConsentValue.attributeChannel("consent_"));
    assertNull(ConsentValue.attributeChannel("consent"));
    assertNull(ConsentValue.attributeChannel("email_consent"));
    assertNull(ConsentValue.attributeChannel("plan"));
  }
}
