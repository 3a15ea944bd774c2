package dev.audiencesegmenter.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/** A hand-written coder for {@link SegmentMembership}: one compact block. */
public final class SegmentMembershipCoder extends AtomicCoder<SegmentMembership> {
  private static final SegmentMembershipCoder INSTANCE = new SegmentMembershipCoder();

  private SegmentMembershipCoder() {}

  public static SegmentMembershipCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(SegmentMembership m, OutputStream out) throws IOException {
    CompactBytes b = CompactBytes.writer();
    b.putString(m.getCustomerId()).putString(m.getSegment()).putString(m.getGroup())
        .putBoolean(m.getHoldout());
    b.writeTo(out);
  }

  @Override
  public SegmentMembership decode(InputStream in) throws IOException {
    CompactBytes b = CompactBytes.readFrom(in);
    SegmentMembership m = SegmentMembership.create(b.getString(), b.getString(), b.getString(),
        b.getBoolean());
    b.checkFullyRead();
    return m;
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
