package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.DeadLetter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.util.VarInt;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A line on its way to deduplication: the raw line with its record (and the dead letters of
 * values it was read despite, see {@link LineParser#parseNoted}), or the line's dead letter.
 * One type for both, so parsing is a single-output step that a runner fuses with the shuffle
 * after it (a second output would be materialized on its own).
 */
final class ParsedLine<T> {
  final String raw;
  final @Nullable T record;
  final @Nullable DeadLetter rejected;
  /** Dead letters of a kept record; only the kept one of duplicates leaves them. */
  final List<DeadLetter> notes;

  private ParsedLine(String raw, @Nullable T record, @Nullable DeadLetter rejected,
      List<DeadLetter> notes) {
    this.raw = raw;
    this.record = record;
    this.rejected = rejected;
    this.notes = notes;
  }

  static <T> ParsedLine<T> parsed(String raw, T record) {
    return new ParsedLine<>(raw, record, null, List.of());
  }

  static <T> ParsedLine<T> parsed(String raw, T record, List<DeadLetter> notes) {
    return new ParsedLine<>(raw, record, null, notes);
  }

  static <T> ParsedLine<T> rejected(DeadLetter deadLetter) {
    return new ParsedLine<>("", null, deadLetter, List.of());
  }

  /**
   * A tag, then the raw line and the record (tag 0), followed by the notes (tag 2: their
   * count and three fields each), or the dead letter's three fields (tag 1).
   */
  static final class LineCoder<T> extends CustomCoder<ParsedLine<T>> {
    private static final StringUtf8Coder TEXT = StringUtf8Coder.of();
    private final Coder<T> recordCoder;

    LineCoder(Coder<T> recordCoder) {
      this.recordCoder = recordCoder;
    }

    @Override
    public void encode(ParsedLine<T> line, OutputStream out) throws IOException {
      if (line.record != null) {
        VarInt.encode(line.notes.isEmpty() ? 0 : 2, out);
        TEXT.encode(line.raw, out);
        recordCoder.encode(line.record, out);
        if (!line.notes.isEmpty()) {
          VarInt.encode(line.notes.size(), out);
          for (DeadLetter note : line.notes) {
            encodeDeadLetter(note, out);
          }
        }
      } else {
        VarInt.encode(1, out);
        encodeDeadLetter(line.rejected, out);
      }
    }

    @Override
    public ParsedLine<T> decode(InputStream in) throws IOException {
      int tag = VarInt.decodeInt(in);
      if (tag == 1) {
        return rejected(decodeDeadLetter(in));
      }
      String raw = TEXT.decode(in);
      T record = recordCoder.decode(in);
      if (tag == 0) {
        return parsed(raw, record);
      }
      int count = VarInt.decodeInt(in);
      List<DeadLetter> notes = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        notes.add(decodeDeadLetter(in));
      }
      return parsed(raw, record, notes);
    }

    private static void encodeDeadLetter(DeadLetter d, OutputStream out) throws IOException {
      TEXT.encode(d.getStep(), out);
      TEXT.encode(d.getReason(), out);
      TEXT.encode(d.getRecord(), out);
    }

    private static DeadLetter decodeDeadLetter(InputStream in) throws IOException {
      return DeadLetter.create(TEXT.decode(in), TEXT.decode(in), TEXT.decode(in));
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
