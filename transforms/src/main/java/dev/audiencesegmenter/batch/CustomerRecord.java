package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.grouping.EncodedBatches;
import dev.audiencesegmenter.grouping.EncodedValues;
import dev.audiencesegmenter.model.CompactBytes;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerEventCoder;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.ProfileAttributes;
import dev.audiencesegmenter.model.ProfileAttributesCoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One record of a resolved customer on its way to the per-customer fold: an event or a profile
 * record, with the customer's id. What the fold does not read (the record's identifiers and
 * record id) is left out, so the shuffle carries less.
 */
final class CustomerRecord {
  final @Nullable String customerId;
  final @Nullable CustomerEvent event;
  final @Nullable ProfileAttributes profile;
  /** A record that belongs to no customer, on its way to the dead letters. */
  final @Nullable DeadLetter deadLetter;

  private CustomerRecord(@Nullable String customerId, @Nullable CustomerEvent event,
      @Nullable ProfileAttributes profile, @Nullable DeadLetter deadLetter) {
    this.customerId = customerId;
    this.event = event;
    this.profile = profile;
    this.deadLetter = deadLetter;
  }

  static CustomerRecord deadLetter(DeadLetter deadLetter) {
    return new CustomerRecord(null, null, null, deadLetter);
  }

  static CustomerRecord event(String customerId, CustomerEvent event) {
    return new CustomerRecord(customerId, event.toBuilder().setIdentifiers(Map.of())
        .setSourceRecordId("").build(), null, null);
  }

  static CustomerRecord profile(String customerId, ProfileAttributes profile) {
    return new CustomerRecord(customerId, null, profile.toBuilder()
        .setIdentifiers(Map.of()).setSourceRecordId("").build(), null);
  }

  /** The record as the bytes of its coder, to travel through a Flatten and a grouping. */
  static byte[] encode(CustomerRecord r) {
    return EncodedValues.encode(Coder.INSTANCE, r);
  }

  static Iterable<CustomerRecord> decodeAll(Iterable<byte[]> records) {
    return EncodedBatches.decodeAll(Coder.INSTANCE, records);
  }

  static Iterable<CustomerRecord> decodeAll(byte[] batch) {
    return EncodedBatches.decodeAll(Coder.INSTANCE, batch);
  }

  /** A tag byte, then the customer id and the event or the profile, or the dead letter. */
  static final class Coder extends AtomicCoder<CustomerRecord> {
    private static final Coder INSTANCE = new Coder();

    static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(CustomerRecord r, OutputStream out) throws IOException {
      CompactBytes b = CompactBytes.writer();
      if (r.event != null) {
        b.putByte(0).putString(r.customerId);
        CustomerEventCoder.write(b, r.event);
      } else if (r.profile != null) {
        b.putByte(1).putString(r.customerId);
        ProfileAttributesCoder.write(b, r.profile);
      } else {
        b.putByte(2).putString(r.deadLetter.getStep()).putString(r.deadLetter.getReason())
            .putString(r.deadLetter.getRecord());
      }
      b.writeTo(out);
    }

    @Override
    public CustomerRecord decode(InputStream in) throws IOException {
      CompactBytes b = CompactBytes.readFrom(in);
      int tag = b.getByte();
      CustomerRecord r = switch (tag) {
        case 0 -> new CustomerRecord(b.getString(), CustomerEventCoder.read(b), null, null);
        case 1 -> new CustomerRecord(b.getString(), null, ProfileAttributesCoder.read(b), null);
        default -> deadLetter(DeadLetter.create(b.getString(), b.getString(), b.getString()));
      };
      b.checkFullyRead();
      return r;
    }
  }
}
