package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.util.Map;
import java.util.Set;

/** Reads and checks a profile attributes record (data-formats.md, "profile attributes"). */
final class ProfileParser implements RecordParser<ProfileAttributes> {
  private static final long serialVersionUID = 1L;

  @Override
  public ProfileAttributes parse(ObjectNode json) throws BadRecordException {
    String source = JsonFields.requiredString(json, "source");
    String id = JsonFields.requiredString(json, "id");
    org.joda.time.Instant time = JsonFields.requiredTime(json, "time");
    Map<String, String> ids = JsonFields.requiredIdentifiers(json);
    return ProfileAttributes.builder()
        .setSource(source)
        .setSourceRecordId(id)
        .setUpdateTime(time)
        .setIdentifiers(ids)
        .setAttributes(JsonFields.stringMap(json, "attrs"))
        .build();
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
