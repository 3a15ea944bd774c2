package dev.audiencesegmenter.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.util.VarInt;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A record that passed a step's checks, or the dead letter of one that did not: both in one
 * stream. A step with two outputs is shipped twice on runners that give every output the
 * whole of its step's results (Flink's batch translation does), so hot steps keep one output
 * and their rejects travel in it, to be split off where the stream ends or is small.
 */
public final class Checked<T> {
  private final @Nullable T record;
  private final @Nullable DeadLetter deadLetter;

  private Checked(@Nullable T record, @Nullable DeadLetter deadLetter) {
    this.record = record;
    this.deadLetter = deadLetter;
  }

  public static <T> Checked<T> passed(T record) {
    return new Checked<>(Objects.requireNonNull(record, "record"), null);
  }

  public static <T> Checked<T> rejected(DeadLetter deadLetter) {
    return new Checked<>(null, Objects.requireNonNull(deadLetter, "deadLetter"));
  }

  public boolean passed() {
    return record != null;
  }

  /** The record; fails for a rejected one. */
  public T record() {
    if (record == null) {
      throw new IllegalStateException("a rejected record has no record: " + deadLetter);
    }
    return record;
  }

  /** The dead letter; fails for a record that passed. */
  public DeadLetter deadLetter() {
    if (deadLetter == null) {
      throw new IllegalStateException("a record that passed has no dead letter");
    }
    return deadLetter;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checked<?> c && Objects.equals(record, c.record)
        && Objects.equals(deadLetter, c.deadLetter);
  }

  @Override
  public int hashCode() {
    return Objects.hash(record, deadLetter);
  }

  @Override
  public String toString() {
    return passed() ? "passed " + record : "rejected " + deadLetter;
  }

  /** Splits the records that passed off a checked stream. */
  public static final class RecordsFn<T> extends DoFn<Checked<T>, T> {
    @ProcessElement
    public void process(@Element Checked<T> c, OutputReceiver<T> out) {
      if (c.passed()) {
        out.output(c.record());
      }
    }
  }

  /** Splits the dead letters off a checked stream. */
  public static final class DeadLettersFn<T> extends DoFn<Checked<T>, DeadLetter> {
    @ProcessElement
    public void process(@Element Checked<T> c, OutputReceiver<DeadLetter> out) {
      if (!c.passed()) {
        out.output(c.deadLetter());
      }
    }
  }

  /** A tag, then the record with its own coder, or the dead letter's three fields. */
  public static final class Coder<T> extends CustomCoder<Checked<T>> {
    private final org.apache.beam.sdk.coders.Coder<T> recordCoder;

    private Coder(org.apache.beam.sdk.coders.Coder<T> recordCoder) {
      this.recordCoder = recordCoder;
    }

    public static <T> Coder<T> of(org.apache.beam.sdk.coders.Coder<T> recordCoder) {
      return new Coder<>(recordCoder);
    }

    public org.apache.beam.sdk.coders.Coder<T> recordCoder() {
      return recordCoder;
    }

    @Override
    public void encode(Checked<T> c, OutputStream out) throws IOException {
      if (c.record != null) {
        VarInt.encode(0, out);
        recordCoder.encode(c.record, out);
      } else {
        VarInt.encode(1, out);
        CompactBytes b = CompactBytes.writer();
        b.putString(c.deadLetter.getStep()).putString(c.deadLetter.getReason())
            .putString(c.deadLetter.getRecord());
        b.writeTo(out);
      }
    }

    @Override
    public Checked<T> decode(InputStream in) throws IOException {
      if (VarInt.decodeInt(in) == 0) {
        return passed(recordCoder.decode(in));
      }
      CompactBytes b = CompactBytes.readFrom(in);
      Checked<T> c = rejected(DeadLetter.create(b.getString(), b.getString(), b.getString()));
      b.checkFullyRead();
      return c;
    }

    @Override
    public void verifyDeterministic() throws NonDeterministicException {
      recordCoder.verifyDeterministic();
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Coder<?> c && c.recordCoder.equals(recordCoder);
    }

    @Override
    public int hashCode() {
      return recordCoder.hashCode();
    }
  }
}
