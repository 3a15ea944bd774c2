package dev.audiencesegmenter.io.files;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into lines the way {@code TextIO} does, so that records stay the same,
 * but holds at most a bounded number of bytes of any one line: a file without newlines, or a
 * gzip bomb, is read through and reported as one oversized line instead of filling the heap.
 *
 * <p>As in TextIO: {@code \n}, {@code \r} and {@code \r\n} end a line; a UTF-8 byte order mark
 * at the start of a file is dropped; a line after the last separator is a line, an empty rest
 * is not; bytes are decoded as UTF-8 with undecodable bytes as U+FFFD. For a byte range
 * {@code [from, to)} of a file, the lines are those that start in the range: the reader is
 * given the stream from {@code from - 1} (from 0 when {@code from} is 0), skips the line in
 * progress, and reads on past {@code to} to finish its last line.
 */
final class BoundedLineReader {
  /** Where lines go. */
  interface Sink {
    void line(String line);

    /**
     * A line of {@code bytes} bytes, more than could be held: {@code start} is its first
     * {@code keepChars} characters.
     */
    void oversized(String start, long bytes);
  }

  private static final int BUFFER_BYTES = 64 * 1024;

  private final InputStream in;
  private final byte[] buffer = new byte[BUFFER_BYTES];
  private int position;
  private int length;
  /** The file offset of {@code buffer[position]}. */
  private long offset;

  /** Bytes of the line in progress when it does not lie in one buffer; grows to the cap. */
  private byte[] line = new byte[256];
  private final int capBytes;
  private final int keepChars;

  /**
   * Lines of at most {@code capBytes} bytes are given whole (the parser decides whether they
   * are too long); longer ones as their first {@code keepChars} characters and their length.
   */
  private BoundedLineReader(InputStream in, long startOffset, int capBytes, int keepChars) {
    if (capBytes < 3 * keepChars) {
      throw new IllegalArgumentException("capBytes " + capBytes + " cannot hold " + keepChars
          + " characters");
    }
    this.in = in;
    this.offset = startOffset;
    this.capBytes = capBytes;
    this.keepChars = keepChars;
  }

  /**
   * Reads the lines that start in {@code [from, to)} from {@code in}, which begins at file
   * offset {@code from - 1} (or 0 when {@code from} is 0).
   */
  static void read(InputStream in, long from, long to, int capBytes, int keepChars, Sink sink)
      throws IOException {
    BoundedLineReader reader =
        new BoundedLineReader(in, from == 0 ? 0 : from - 1, capBytes, keepChars);
    if (from == 0) {
      reader.skipByteOrderMark();
      // The first line starts at 0, mark included, wherever its text begins.
      if (to <= 0 || !reader.nextLine(sink)) {
        return;
      }
    } else {
      reader.skipLine();  // it belongs to the range before
    }
    while (reader.offset < to && reader.nextLine(sink)) {
      // one line per turn
    }
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long NEWLINES = '\n' * ONES;
  private static final long RETURNS = '\r' * ONES;

  /**
   * The index of the first {@code \n} or {@code \r} in {@code bytes[from, to)}, or {@code to}.
   * Eight bytes per step (the byte-by-byte scan was a fifth of the reading step's time): in
   * {@code (v - ONES) & ~v & HIGHS} the lowest marked byte is the lowest zero byte of v.
   */
  static int lineEnd(byte[] bytes, int from, int to) {
    int i = from;
    for (; i + Long.BYTES <= to; i += Long.BYTES) {
      long word = (long) LONGS.get(bytes, i);
      long n = word ^ NEWLINES;
      long r = word ^ RETURNS;
      long found = ((n - ONES) & ~n | (r - ONES) & ~r) & HIGHS;
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    while (i < to && bytes[i] != '\n' && bytes[i] != '\r') {
      i++;
    }
    return i;
  }

  /** False at the end of the stream. */
  private boolean fill() throws IOException {
    while (position == length) {
      int n = in.read(buffer, 0, buffer.length);
      if (n < 0) {
        return false;
      }
      position = 0;
      length = n;
    }
    return true;
  }

  private void skipByteOrderMark() throws IOException {
    // The three bytes may arrive in more than one read.
    while (length < 3) {
      int n = in.read(buffer, length, buffer.length - length);
      if (n < 0) {
        break;
      }
      length += n;
    }
    if (length >= 3 && buffer[0] == (byte) 0xEF && buffer[1] == (byte) 0xBB
        && buffer[2] == (byte) 0xBF) {
      position = 3;
      offset = 3;
    }
  }

  /** Skips to the start of the next line. */
  private void skipLine() throws IOException {
    while (fill()) {
      int i = lineEnd(buffer, position, length);
      offset += i - position;
      position = i;
      if (i < length) {
        endOfLine();
        return;
      }
    }
  }

  /** Consumes a separator at {@code position}: {@code \n}, {@code \r} or {@code \r\n}. */
  private void endOfLine() throws IOException {
    byte separator = buffer[position++];
    offset++;
    if (separator == '\r' && fill() && buffer[position] == '\n') {
      position++;
      offset++;
    }
  }

  /** Reads one line into the sink; false when the stream has ended before a line starts. */
  private boolean nextLine(Sink sink) throws IOException {
    if (!fill()) {
      return false;
    }
    long bytes = 0;  // of the line, kept or not
    int kept = 0;  // bytes in {@code line}
    while (true) {
      int i = lineEnd(buffer, position, length);
      int n = i - position;
      boolean ended = i < length;
      if (ended && bytes == 0 && n <= capBytes) {
        // The whole line lies in the buffer: the common case, no copy.
        sink.line(new String(buffer, position, n, StandardCharsets.UTF_8));
        offset += n;
        position = i;
        endOfLine();
        return true;
      }
      int keep = (int) Math.min(n, capBytes - kept);
      if (keep > 0) {
        if (kept + keep > line.length) {
          line = Arrays.copyOf(line, Math.min(capBytes, Math.max(kept + keep, line.length * 2)));
        }
        System.arraycopy(buffer, position, line, kept, keep);
        kept += keep;
      }
      bytes += n;
      offset += n;
      position = i;
      if (ended) {
        endOfLine();
        break;
      }
      if (!fill()) {
        break;  // the last line has no separator
      }
    }
    if (bytes <= capBytes) {
      sink.line(new String(line, 0, kept, StandardCharsets.UTF_8));
    } else {
      String start = new String(line, 0, kept, StandardCharsets.UTF_8);
      sink.oversized(start.length() <= keepChars ? start : start.substring(0, keepChars), bytes);
    }
    if (line.length > 1 << 20) {
      line = new byte[256];  // one long line does not pin its buffer for the rest
    }
    return true;
  }
}
