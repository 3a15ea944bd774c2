package dev.audiencesegmenter.io.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Mapping files: mistakes named by file:line:column, and FORMAT:PATTERN sources. */
class MappingFilesTest {

  private static String error(String yaml) {
    return assertThrows(InvalidMappingException.class,
        () -> MappingFiles.parse(yaml, "crm.yaml")).getMessage();
  }

  @Test
  void misspeltKeyIsNamedWithItsLineAndASuggestion() {
    assertEquals("crm.yaml:3:1: unknown key 'identifers' in the top level (known: attributes, "
        + "attributes_from, consent, currency, format, id, identifiers, keep, kind, properties, "
        + "properties_from, revenue, source, time, type) (did you mean 'identifiers'?)",
        error("kind: profiles\ntime: updated\nidentifers:\n  email: Email\n"));
  }

  @Test
  void eventsNeedATypeAndProfilesHaveNone() {
    assertEquals("crm.yaml:1:1: a mapping of events needs 'type'",
        error("kind: events\ntime: t\nidentifiers: {user_id: uid}\n"));
    assertEquals("crm.yaml:4:10: profiles have no 'revenue'; remove it",
        error("kind: profiles\ntime: t\nidentifiers: {email: e}\nrevenue: amount\n"));
    assertEquals("crm.yaml:4:13: 'properties' belongs to a mapping of events; this one maps "
        + "profiles (use 'attributes')",
        error("kind: profiles\ntime: t\nidentifiers: {email: e}\nproperties: {a: b}\n"));
  }

  @Test
  void badTimeSettingsAndPathsAreNamed() {
    assertEquals("crm.yaml:2:23: unknown time unit 'epoch_micro' (known: epoch_micros, "
        + "epoch_millis, epoch_seconds, iso) (did you mean 'epoch_micros'?)",
        error("kind: profiles\ntime: {path: t, unit: epoch_micro}\nidentifiers: {e: e}\n"));
    assertEquals("crm.yaml:2:26: time pattern 'yyyy-MM-dd HH:mm:ss{' is not valid: "
        + "Pattern includes reserved character: '{'",
        error("kind: profiles\ntime: {path: t, pattern: \"yyyy-MM-dd HH:mm:ss{\"}\n"
            + "identifiers: {e: e}\n"));
    assertEquals("crm.yaml:3:22: 'identifiers.email': path 'params[key]': step 'params[key]' "
        + "must read name[field=value]",
        error("kind: profiles\ntime: t\nidentifiers: {email: \"params[key]\"}\n"));
    assertEquals("crm.yaml:1:7: 'kind' must be events or profiles, got 'event'",
        error("kind: event\n"));
  }

  @Test
  void aUserMappingReadsLikeABuiltInOne() {
    SourceMapping m = MappingFiles.parse("kind: events\nsource: shopify\nid: id\n"
        + "type: {path: topic, names: {orders/paid: purchase}}\n"
        + "time: {path: created_at}\nidentifiers:\n  email: [customer.email, email]\n"
        + "revenue: total_price\ncurrency: currency\n", "mappings/shopify.yaml");
    assertEquals("mappings/shopify.yaml", m.getName());
    assertEquals("shopify", m.getSource());
    assertEquals(SourceMapping.Kind.EVENTS, m.getKind());
    assertEquals(List.of("customer.email", "email"), m.getIdentifiers().get("email").written());
    assertEquals("purchase", m.getTypeNames().get("orders/paid"));
    assertEquals(TimeField.Unit.ISO, m.getTime().unit());
  }

  @Test
  void typedAttributesAreCheckedAndWrittenCanonically(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    SourceMapping m = MappingFiles.parse("kind: profiles\nid: id\ntime: t\n"
        + "identifiers: {email: email}\nattributes:\n  age: {path: Age, type: int}\n"
        + "  vip: {path: VIP, type: bool}\n  score: {path: Score, type: double}\n"
        + "  plan: {path: Plan, type: string}\n", "crm.yaml");
    assertEquals(java.util.Map.of("age", dev.audiencesegmenter.segments.TraitType.INT, "vip",
        dev.audiencesegmenter.segments.TraitType.BOOL, "score",
        dev.audiencesegmenter.segments.TraitType.DOUBLE), m.getFieldTypes());
    java.nio.file.Path csv = java.nio.file.Files.writeString(dir.resolve("crm.csv"),
        "id,t,email,Age,VIP,Score,Plan\n"
            + "1,2024-01-01T00:00:00Z,a@example.com,042,Yes,1.50,pro\n"
            + "2,2024-01-01T00:00:00Z,b@example.com,thirty,maybe,x,free\n");
    var read = dev.audiencesegmenter.io.files.LocalRecords.mappedProfiles(csv.toString(), m);
    java.util.Map<String, java.util.Map<String, String>> attrs = new java.util.TreeMap<>();
    read.records().forEach(r -> attrs.put(r.getSourceRecordId(), r.getAttributes()));
    assertEquals(java.util.Map.of("1", java.util.Map.of("age", "42", "vip", "true", "score",
        "1.50", "plan", "pro"), "2", java.util.Map.of("plan", "free")), attrs);
    assertEquals(java.util.Set.of(
        "format 'crm.yaml', field 'Age': 'thirty' is not an int; attribute 'age' is left out",
        "format 'crm.yaml', field 'VIP': 'maybe' is not a bool; attribute 'vip' is left out",
        "format 'crm.yaml', field 'Score': 'x' is not a double; attribute 'score' is left out"),
        read.deadLetters().stream().map(d -> d.getReason())
            .collect(java.util.stream.Collectors.toSet()));
    assertEquals("crm.yaml:2:35: unknown type 'integer' of attribute 'age' (known: bool, "
        + "double, int, list, string)", error("kind: profiles\nattributes: {age: {path: a, type: "
        + "integer}}\ntime: t\nidentifiers: {e: e}\n"));
  }

  @Test
  void everyBuiltInFormatLoads() {
    for (SourceMapping.Kind kind : SourceMapping.Kind.values()) {
      for (String name : kind == SourceMapping.Kind.EVENTS ? BuiltInFormats.EVENT_FORMATS
          : BuiltInFormats.PROFILE_FORMATS) {
        SourceMapping m = BuiltInFormats.get(name, kind);
        assertEquals(name, m.getName());
        assertEquals(kind, m.getKind());
      }
    }
    assertEquals(null, BuiltInFormats.get("hubspot", SourceMapping.Kind.EVENTS));
  }

  @Test
  void sourcesTakeAFormatPrefixOnlyWhenItIsOne() {
    assertEquals(new SourceSpec("ga4", "gs://b/events_*.json"),
        SourceSpec.parse("ga4:gs://b/events_*.json"));
    assertEquals(new SourceSpec("hubspot", "crm/contacts*.csv"),
        SourceSpec.parse("HubSpot:crm/contacts*.csv"));
    assertEquals(new SourceSpec("gs://b/maps/shop.yaml", "gs://b/shop/*.jsonl"),
        SourceSpec.parse("gs://b/maps/shop.yaml:gs://b/shop/*.jsonl"));
    assertEquals(new SourceSpec(null, "gs://b/native/*.jsonl"),
        SourceSpec.parse("gs://b/native/*.jsonl"));
    assertEquals(new SourceSpec(null, "data/events/*"), SourceSpec.parse("data/events/*"));
    assertEquals("source 'mixpannel:mp/*.jsonl': unknown format 'mixpannel' (known: ga4, "
        + "segment, mixpanel, amplitude, hubspot, salesforce, zoho, or a mapping file ending "
        + "in .yaml) (did you mean 'mixpanel'?)", assertThrows(IllegalArgumentException.class,
            () -> SourceSpec.parse("mixpannel:mp/*.jsonl")).getMessage());
    assertEquals("source 'segment:' names format 'segment' but no file pattern after the ':'",
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse("segment:"))
            .getMessage());
  }

  @Test
  void globBracesSplitAtCommasByBeamAreJoinedBack() {
    // --input=ga4:x/{a,b}.json --input=y/*.jsonl, as Beam hands a list option over
    assertEquals(List.of(new SourceSpec("ga4", "x/{a,b}.json"), new SourceSpec(null,
        "y/*.jsonl")), SourceSpec.parseAll(List.of("ga4:x/{a", "b}.json", "y/*.jsonl")));
    assertEquals("source 'x/{a,b' opens a '{' it never closes",
        assertThrows(IllegalArgumentException.class,
            () -> SourceSpec.parseAll(List.of("x/{a", "b"))).getMessage());
  }
}
