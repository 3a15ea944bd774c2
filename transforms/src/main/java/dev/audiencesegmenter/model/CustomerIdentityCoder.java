package dev.audiencesegmenter.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;

/**
 * A hand-written coder for {@link CustomerIdentity}: one compact block. The identity step's
 * rows travel with it inside the flow (on Flink each output of the step is read by its own
 * task, which decodes the other outputs' rows too); the public output carries the schema.
 */
public final class CustomerIdentityCoder extends AtomicCoder<CustomerIdentity> {
  private static final CustomerIdentityCoder INSTANCE = new CustomerIdentityCoder();

  private CustomerIdentityCoder() {}

  public static CustomerIdentityCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(CustomerIdentity identity, OutputStream out) throws IOException {
    CompactBytes b = CompactBytes.writer();
    b.putString(identity.getCustomerId()).putString(identity.getIdType())
        .putString(identity.getIdValue());
    b.writeTo(out);
  }

  @Override
  public CustomerIdentity decode(InputStream in) throws IOException {
    CompactBytes b = CompactBytes.readFrom(in);
    CustomerIdentity identity = CustomerIdentity.create(b.getString(), b.getString(),
        b.getString());
    b.checkFullyRead();
    return identity;
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
