package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.ConsentValue;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.Map;
import java.util.Set;

/**
 * Reads and checks a profile attributes record (data-formats.md, "profile attributes").
 * Attributes {@code consent_<channel>} (or {@code consent.<channel>}) whose value is not in
 * {@link ConsentValue}'s table are noted on the record (dead letters) and kept as written: the
 * features read them as withdrawn.
 */
final class ProfileParser implements FlatRecordParser<ProfileAttributes> {
  private static final long serialVersionUID = 1L;

  private static final JsonRecord.Schema SCHEMA = new JsonRecord.Schema();
  private static final int SOURCE = SCHEMA.scalar("source");
  private static final int ID = SCHEMA.scalar("id");
  private static final int TIME = SCHEMA.scalar("time");
  private static final int IDS = SCHEMA.stringMap("ids");
  private static final int ATTRS = SCHEMA.stringMap("attrs");

  @Override
  public JsonRecord.Schema schema() {
    return SCHEMA;
  }

  @Override
  public ProfileAttributes parse(JsonRecord json) throws BadRecordException {
    String source = JsonFields.requiredString(json, SOURCE);
    String id = JsonFields.requiredString(json, ID);
    org.joda.time.Instant time = JsonFields.requiredTime(json, TIME);
    Map<String, String> ids = JsonFields.requiredIdentifiers(json, IDS);
    Map<String, String> attrs = JsonFields.stringMap(json, ATTRS);
    for (Map.Entry<String, String> e : attrs.entrySet()) {
      String channel = ConsentValue.attributeChannel(e.getKey());
      if (channel != null && ConsentValue.parse(e.getValue()) == null) {
        json.note(ConsentValue.unreadable(json.name(ATTRS) + "." + e.getKey(), channel,
            e.getValue()));
      }
    }
    return ProfileAttributes.builder()
        .setSource(source)
        .setSourceRecordId(id)
        .setUpdateTime(time)
        .setIdentifiers(ids)
        .setAttributes(attrs)
        .build();
  }

  @Override
  public Map<String, String> identifiers(ProfileAttributes profile) {
    return profile.getIdentifiers();
  }

  @Override
  public String duplicateKey(ProfileAttributes profile) {
    return profile.getSource() + "\u0000" + profile.getSourceRecordId();
  }

  @Override
  public Set<String> csvMapColumns() {
    return Set.of("ids", "attrs");
  }
}
