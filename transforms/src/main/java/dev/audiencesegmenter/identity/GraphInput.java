package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.grouping.EncodedBatches;
import dev.audiencesegmenter.grouping.EncodedValues;
import dev.audiencesegmenter.model.CompactBytes;
import dev.audiencesegmenter.model.CustomerIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.values.KV;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What the one-worker resolver reads: the normalized identifiers of a record (type to value),
 * or a row of the previous run's identities.
 */
final class GraphInput {
  final @Nullable Map<String, String> identifiers;
  final @Nullable CustomerIdentity previous;

  private GraphInput(@Nullable Map<String, String> identifiers,
      @Nullable CustomerIdentity previous) {
    this.identifiers = identifiers;
    this.previous = previous;
  }

  static GraphInput record(Map<String, String> identifiers) {
    return new GraphInput(identifiers, null);
  }

  static GraphInput previous(CustomerIdentity row) {
    return new GraphInput(null, row);
  }

  /**
   * The input as the bytes of its coder, keyed to the one worker: the identifier sets of events
   * and profiles pass a Flatten before they are gathered (see EncodedValues).
   */
  static KV<Integer, byte[]> toOneWorker(GraphInput in) {
    return KV.of(0, EncodedValues.encode(Coder.INSTANCE, in));
  }

  /** A writer of inputs in batches for the one worker (key 0), see {@link EncodedBatches}. */
  static EncodedBatches<GraphInput> batchesToOneWorker() {
    return EncodedBatches.writer(Coder.INSTANCE, 1);
  }

  /** The inputs of single elements ({@link #toOneWorker}) and of batches alike. */
  static Iterable<GraphInput> decodeAll(Iterable<byte[]> inputs) {
    return EncodedBatches.decodeAll(Coder.INSTANCE, inputs);
  }

  /** A tag byte, then the identifier map or the identity row. */
  static final class Coder extends AtomicCoder<GraphInput> {
    private static final Coder INSTANCE = new Coder();

    static Coder of() {
      return INSTANCE;
    }

    @Override
    public void encode(GraphInput in, OutputStream out) throws IOException {
      CompactBytes b = CompactBytes.writer();
      if (in.identifiers != null) {
        b.putByte(0).putStringMap(in.identifiers);
      } else {
        b.putByte(1).putString(in.previous.getCustomerId()).putString(in.previous.getIdType())
            .putString(in.previous.getIdValue());
      }
      b.writeTo(out);
    }

    @Override
    public GraphInput decode(InputStream in) throws IOException {
      CompactBytes b = CompactBytes.readFrom(in);
      GraphInput g = b.getByte() == 0 ? record(b.getStringMap())
          : previous(CustomerIdentity.create(b.getString(), b.getString(), b.getString()));
      b.checkFullyRead();
      return g;
    }
  }
}
