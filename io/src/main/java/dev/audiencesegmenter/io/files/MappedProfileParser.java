package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Profile attributes from a tool's export, through a profiles {@link SourceMapping}. Consent
 * flags become the attributes {@code consent_<channel>} ({@code true} or {@code false}), as in
 * the native format.
 */
final class MappedProfileParser extends MappedParser<ProfileAttributes> {
  private static final long serialVersionUID = 1L;

  MappedProfileParser(SourceMapping mapping) {
    super(MappedEventParser.requireKind(mapping, SourceMapping.Kind.PROFILES));
  }

  @Override
  ProfileAttributes map(JsonNode root, String json, List<String> notes)
      throws BadRecordException {
    org.joda.time.Instant time = time(root);
    Map<String, String> ids = identifiers(root);
    Map<String, String> attrs = new TreeMap<>(fields(root));
    typed(root, attrs, notes);
    consent(root, notes).forEach((channel, given) ->
        attrs.put("consent_" + channel, given.toString()));
    return ProfileAttributes.builder()
        .setSource(mapping.getSource())
        .setSourceRecordId(recordId(root, json))
        .setUpdateTime(time)
        .setIdentifiers(ids)
        .setAttributes(attrs)
        .build();
  }

  /**
   * Typed attributes in canonical form; one that is not of its type is left out and noted
   * (the record is kept).
   */
  private void typed(JsonNode root, Map<String, String> attrs, List<String> notes) {
    mapping.getFieldTypes().forEach((name, type) -> {
      String value = attrs.get(name);
      if (value == null) {
        return;
      }
      String canonical = type.canonical(value);
      if (canonical == null) {
        attrs.remove(name);
        notes.add("format '" + mapping.getName() + "', field '"
            + mapping.getFields().get(name).nameIn(root) + "': '" + JsonFields.abbreviate(value)
            + "' is not " + (type == dev.audiencesegmenter.segments.TraitType.INT ? "an " : "a ")
            + type + "; attribute '" + name + "' is left out");
      } else {
        attrs.put(name, canonical);
      }
    });
  }

  @Override
  public Map<String, String> identifiers(ProfileAttributes profile) {
    return profile.getIdentifiers();
  }

  @Override
  String source(ProfileAttributes profile) {
    return profile.getSource();
  }

  @Override
  String sourceRecordId(ProfileAttributes profile) {
    return profile.getSourceRecordId();
  }
}
