package dev.audiencesegmenter.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.joda.time.Instant;

/**
 * A hand-written coder for {@link ProfileAttributes}, as {@link CustomerEventCoder} is for
 * events: one compact block, maps decoded as sorted maps, deterministic.
 */
public final class ProfileAttributesCoder extends AtomicCoder<ProfileAttributes> {
  private static final ProfileAttributesCoder INSTANCE = new ProfileAttributesCoder();

  private ProfileAttributesCoder() {}

  public static ProfileAttributesCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(ProfileAttributes p, OutputStream out) throws IOException {
    CompactBytes b = CompactBytes.writer();
    write(b, p);
    b.writeTo(out);
  }

  /** Writes a profile's fields into a block another coder is building. */
  public static void write(CompactBytes b, ProfileAttributes p) {
    b.putString(p.getSource())
        .putString(p.getSourceRecordId())
        .putLong(p.getUpdateTime().getMillis())
        .putStringMap(p.getIdentifiers())
        .putStringMap(p.getAttributes());
  }

  @Override
  public ProfileAttributes decode(InputStream in) throws IOException {
    CompactBytes b = CompactBytes.readFrom(in);
    ProfileAttributes p = read(b);
    b.checkFullyRead();
    return p;
  }

  public static ProfileAttributes read(CompactBytes b) throws IOException {
    return ProfileAttributes.builder()
        .setSource(b.getString())
        .setSourceRecordId(b.getString())
        .setUpdateTime(new Instant(b.getLong()))
        .setIdentifiers(b.getStringMap())
        .setAttributes(b.getStringMap())
        .build();
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
