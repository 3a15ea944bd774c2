package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.DeadLetter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.util.VarInt;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A line on its way to deduplication: the raw line with its record, or the line's dead letter.
 * One type for both, so parsing is a single-output step that a runner fuses with the shuffle
 * after it (a second output would be materialized on its own).
 */
final class ParsedLine<T> {
  final String raw;
  final @Nullable T record;
  final @Nullable DeadLetter rejected;

  private ParsedLine(String raw, @Nullable T record, @Nullable DeadLetter rejected) {
    this.raw = raw;
    this.record = record;
    this.rejected = rejected;
  }

  static <T> ParsedLine<T> parsed(String raw, T record) {
    return new ParsedLine<>(raw, record, null);
  }

  static <T> ParsedLine<T> rejected(DeadLetter deadLetter) {
    return new ParsedLine<>("", null, deadLetter);
  }

  /** A tag, then the raw line and the record, or the dead letter's three fields. */
  static final class LineCoder<T> extends CustomCoder<ParsedLine<T>> {
    private static final StringUtf8Coder TEXT = StringUtf8Coder.of();
    private final Coder<T> recordCoder;

    LineCoder(Coder<T> recordCoder) {
      this.recordCoder = recordCoder;
    }

    @Override
    public void encode(ParsedLine<T> line, OutputStream out) throws IOException {
      if (line.record != null) {
        VarInt.encode(0, out);
        TEXT.encode(line.raw, out);
        recordCoder.encode(line.record, out);
      } else {
        VarInt.encode(1, out);
        TEXT.encode(line.rejected.getStep(), out);
        TEXT.encode(line.rejected.getReason(), out);
        TEXT.encode(line.rejected.getRecord(), out);
      }
    }

    @Override
    public ParsedLine<T> decode(InputStream in) throws IOException {
      if (VarInt.decodeInt(in) == 0) {
        return parsed(TEXT.decode(in), recordCoder.decode(in));
      }
      return rejected(DeadLetter.create(TEXT.decode(in), TEXT.decode(in), TEXT.decode(in)));
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof LineCoder<?> c && c.recordCoder.equals(recordCoder);
    }

    @Override
    public int hashCode() {
      return recordCoder.hashCode();
    }
  }
}
