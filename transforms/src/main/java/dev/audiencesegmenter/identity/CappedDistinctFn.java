package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.grouping.TallyFn;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;

/**
 * The smallest {@code cap} distinct values of a key, and whether there were more. Memory per
 * key is bounded whatever the data: a junk value seen on a million records costs {@code cap}
 * strings, not a million. The result is the same in any merge order.
 */
final class CappedDistinctFn {
  private CappedDistinctFn() {}

  /** The combine: a {@link TallyFn} of {@link Values} capped at {@code cap}. */
  static Combine.CombineFn<String, Values, Values> of(int cap) {
    return TallyFn.<String, Values>of(Values::new, (acc, value) -> {
      acc.add(value, cap);
      return acc;
    }, (acc, other) -> acc.merge(other, cap), new ValuesCoder());
  }

  /** Sorted distinct values, at most the cap; {@code overflow} when some were dropped. */
  static final class Values {
    final TreeSet<String> values = new TreeSet<>();
    boolean overflow;

    void add(String value, int cap) {
      if (values.add(value) && values.size() > cap) {
        values.pollLast();
        overflow = true;
      }
    }

    /** Adds {@code other}'s values and overflow; returns this. */
    Values merge(Values other, int cap) {
      overflow |= other.overflow;
      other.values.forEach(v -> add(v, cap));
      return this;
    }

    /** The count, or more than the cap when overflowed. */
    int count() {
      return overflow ? values.size() + 1 : values.size();
    }
  }

  static final class ValuesCoder extends AtomicCoder<Values> {
    private static final Coder<List<String>> LIST = ListCoder.of(StringUtf8Coder.of());

    @Override
    public void encode(Values v, OutputStream out) throws IOException {
      VarIntCoder.of().encode(v.overflow ? 1 : 0, out);
      LIST.encode(new ArrayList<>(v.values), out);
    }

    @Override
    public Values decode(InputStream in) throws IOException {
      Values v = new Values();
      v.overflow = VarIntCoder.of().decode(in) == 1;
      v.values.addAll(LIST.decode(in));
      return v;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
