package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdentityRulesTest {

  @Test
  void defaultsRankAndLimitTheCommonTypes() {
    IdentityRules rules = IdentityRules.defaults();
    assertEquals(List.of("user_id", "crm_id", "email", "phone", "device_id", "anonymous_id"),
        rules.getPriorities());
    assertEquals(1, rules.limit("user_id"));
    assertEquals(5, rules.limit("email"));
    assertNull(rules.limit("anonymous_id"));
    assertNull(rules.limit("loyalty_card"));
    assertTrue(rules.compareTypes("user_id", "email") < 0);
    assertTrue(rules.compareTypes("anonymous_id", "email") > 0);
    // Unconfigured types rank last, alphabetically.
    assertTrue(rules.compareTypes("anonymous_id", "loyalty_card") < 0);
    assertTrue(rules.compareTypes("a_type", "b_type") < 0);
    assertEquals(20, rules.getMaxFanOut());
    assertFalse(rules.getEmailProviderRules());
  }

  @Test
  void parsesYaml() {
    IdentityRules rules = IdentityRules.parse("""
        identifiers:
          - type: user_id
            max_per_customer: 1
          - type: Email
            max_per_customer: 3
          - type: anonymous_id
        max_fan_out: 50
        email_provider_rules: true
        blocked_values:
          email: [" Orders@MyShop.com "]
          phone: ["(415) 200-0000"]
        """, "identity.yaml");
    assertEquals(List.of("user_id", "email", "anonymous_id"), rules.getPriorities());
    assertEquals(3, rules.limit("email"));
    assertNull(rules.limit("phone"));
    assertEquals(50, rules.getMaxFanOut());
    assertTrue(rules.getEmailProviderRules());
    assertTrue(rules.isBlocked("email:orders@myshop.com"));
    assertTrue(rules.isBlocked("phone:+14152000000"));
  }

  @Test
  void blockedValuesAreNormalizedAsTheDataIsWhateverTheKeysOrder() {
    // the provider rules come after the list: the list is still read with them
    IdentityRules rules = IdentityRules.parse("""
        blocked_values:
          email: [Orders.Desk+eu@gmail.com]
        email_provider_rules: true
        """, "identity.yaml");
    assertTrue(rules.isBlocked("email:ordersdesk@gmail.com"), rules.getBlockedNodes().toString());
    assertFalse(rules.withEmailProviderRules(false).isBlocked("email:ordersdesk@gmail.com"));
    assertTrue(rules.withEmailProviderRules(false)
        .isBlocked("email:orders.desk+eu@gmail.com"));
  }

  @Test
  void blockedPhonesAreReadInTheRunsRegion() {
    String yaml = "blocked_values: {phone: ['020 7946 0018']}";
    IdentityRules rules = IdentityRules.parse(yaml, "identity.yaml", "GB");
    assertEquals("GB", rules.getDefaultRegion());
    assertTrue(rules.isBlocked("phone:+442079460018"), rules.getBlockedNodes().toString());
    // a UK national number is no US number: read in the US, it could never link
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rules.withDefaultRegion("US"));
    assertEquals("blocked phone value '020 7946 0018' is not a valid phone after "
        + "normalization in region US, so it could never link", e.getMessage());
    // the transform reads the rules in its own region
    ResolveIdentities resolve = ResolveIdentities.create().withDefaultRegion("GB")
        .withRules(IdentityRules.defaults().withDefaultRegion("GB")
            .withBlockedValues("phone", List.of("020 7946 0018")));
    assertTrue(resolve.getRules().isBlocked("phone:+442079460018"));
    assertTrue(ResolveIdentities.create()
        .withRules(IdentityRules.defaults().withBlockedValues("phone", List.of("+44 20 7946 0018")))
        .withDefaultRegion("GB").getRules().getDefaultRegion().equals("GB"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "max_fan: 3|identity.yaml: unknown key 'max_fan'; known: identifiers, max_fan_out, "
          + "email_provider_rules, blocked_values",
      "max_fan_out: 0|identity.yaml: max_fan_out must be at least 1, got 0",
      "max_fan_out: lots|identity.yaml: max_fan_out must be a whole number, got 'lots'",
      "identifiers: [{type: email, max_per_customer: 0}]|identity.yaml: max_per_customer of "
          + "identifier type 'email' must be at least 1, got 0",
      "identifiers: [{type: email}, {type: email}]|identity.yaml: identifier type 'email' is "
          + "listed twice",
      "identifiers: [{type: email, max: 2}]|identity.yaml: unknown key 'max' in identifiers "
          + "entry 'email'; known: type, max_per_customer",
      "blocked_values: {phone: ['12']}|identity.yaml: blocked phone value '12' is not a valid "
          + "phone after normalization in region US, so it could never link",
      "email_provider_rules: yes please|identity.yaml: email_provider_rules must be true or "
          + "false, got 'yes please'"})
  void badRulesAreNamed(String yaml, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> IdentityRules.parse(yaml, "identity.yaml"));
    assertEquals(message, e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"null", "UNDEFINED", "n/a", "0"})
  void placeholdersOfAnyType(String value) {
    assertTrue(PlaceholderValues.isPlaceholder("user_id", value.toLowerCase()));
  }

  @ParameterizedTest
  @CsvSource({"email,test@test.com", "email,noreply@shop.example", "email,a@a.com",
      "phone,+11111111111", "phone,+447777777777", "phone,+11234567890"})
  void placeholdersByType(String type, String value) {
    assertTrue(PlaceholderValues.isPlaceholder(type, value));
  }

  @ParameterizedTest
  @CsvSource({"email,ann.lee@example.com", "phone,+14155550132", "user_id,u-17"})
  void realValuesAreNotPlaceholders(String type, String value) {
    assertFalse(PlaceholderValues.isPlaceholder(type, value));
  }

  @ParameterizedTest
  @CsvSource({
      "Ann.Lee+promo@Gmail.com, annlee@gmail.com",
      "ann.lee@googlemail.com, annlee@gmail.com",
      "ann+x@outlook.com, ann@outlook.com",
      "ann.lee+x@example.com, ann.lee+x@example.com",
      "+tagonly@gmail.com, +tagonly@gmail.com"})
  void emailProviderRules(String written, String expected) {
    assertEquals(expected,
        IdentifierNormalizer.create("US", true).normalize("email", written).orElseThrow());
    assertEquals(written.strip().toLowerCase(),
        IdentifierNormalizer.create("US").normalize("email", written).orElseThrow());
  }
}
