package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IdentifierNormalizerTest {
  private final IdentifierNormalizer us = IdentifierNormalizer.create("US");

  @ParameterizedTest
  @ValueSource(strings = {"(415) 555-0132", "+1 415-555-0132", "415.555.0132", "4155550132",
      " +14155550132 ", "1-415-555-0132"})
  void usPhonesInEveryNotationBecomeE164(String written) {
    assertEquals(Optional.of("+14155550132"), us.normalize("phone", written));
  }

  @Test
  void nationalNumbersAreReadInTheDefaultRegion() {
    IdentifierNormalizer gb = IdentifierNormalizer.create("GB");
    assertEquals(Optional.of("+442079460958"), gb.normalize("phone", "020 7946 0958"));
    // With an explicit country code the default region does not matter.
    assertEquals(Optional.of("+442079460958"), us.normalize("phone", "+44 20 7946 0958"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"123", "555-0132", "not a phone", "+1 000 000 0000", ""})
  void invalidPhonesNeverLink(String written) {
    assertEquals(Optional.empty(), us.normalize("phone", written));
  }

  @ParameterizedTest
  @CsvSource({
      "' Ann.Lee@Example.COM ', ann.lee@example.com",
      "ANN@X.IO, ann@x.io"})
  void emailsAreTrimmedAndLowerCased(String written, String expected) {
    assertEquals(Optional.of(expected), us.normalize("Email", written));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ann.example.com", "@example.com", "ann@", "ann lee@example.com", "  "})
  void malformedEmailsNeverLink(String written) {
    assertEquals(Optional.empty(), us.normalize("email", written));
  }

  @Test
  void otherTypesAreTrimmedOnly() {
    assertEquals(Optional.of("U-17"), us.normalize(" User_ID ", "  U-17 "));
    assertEquals("user_id", us.normalizeType(" User_ID "));
  }

  @Test
  void normalizeAllKeepsOnlyValidIdentifiers() {
    Map<String, String> ids = new LinkedHashMap<>();
    ids.put("Email", " A@B.COM");
    ids.put("phone", "12");
    ids.put("user_id", "u1");
    assertEquals(Map.of("email", "a@b.com", "user_id", "u1"), us.normalizeAll(ids));
  }

  @Test
  void unknownRegionIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IdentifierNormalizer.create("XX"));
    assertTrue(e.getMessage().contains("'XX'"), e.getMessage());
  }
}
