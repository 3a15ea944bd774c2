package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.io.braze.BrazeConnector;
import dev.audiencesegmenter.io.secrets.Credential;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sink mapping's {@code braze.sms_subscription_group}: a group id, {@code none}, or unset. */
class BrazeSmsSettingTest {
  static BrazeConnector configured(String yaml) {
    SinkMapping mapping = SinkMapping.parse(yaml, "mapping.yaml", Set.of(), Set.of());
    return Activation.brazeSms(BrazeConnector.create(Credential.of("k")), mapping);
  }

  @Test
  void aGroupIdIsWhereSmsWithdrawalsGo() {
    BrazeConnector braze = configured("braze: {sms_subscription_group: 5a1b-sms}\n");
    assertEquals("5a1b-sms", braze.getSmsSubscriptionGroup());
    assertTrue(braze.handlesSmsWithdrawals());
  }

  @Test
  void noneMeansTheWorkspaceSendsNoSms() {
    BrazeConnector braze = configured("braze: {sms_subscription_group: none}\n");
    assertEquals(null, braze.getSmsSubscriptionGroup());
    assertFalse(braze.handlesSmsWithdrawals());
  }

  @Test
  void unsetSmsWithdrawalsAreStillDueAndDeadLettered() {
    BrazeConnector braze = configured("braze: {}\n");
    assertEquals(null, braze.getSmsSubscriptionGroup());
    assertTrue(braze.handlesSmsWithdrawals());
  }

  @Test
  void aBlankGroupFailsNamingTheKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> configured("braze: {sms_subscription_group: ' '}\n"));
    assertEquals("mapping.yaml: braze.sms_subscription_group must be a text value, got ' '",
        e.getMessage());
  }
}
