package dev.audiencesegmenter.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * The latest value of each of a customer's traits: name to (time, value). The later time wins;
 * at the same time the smaller value by text wins, so that the result does not depend on the
 * order records arrive in (and a withdrawn consent, "false", beats a given one, "true").
 *
 * <p>Bounded: at most {@link #CAP} trait names are kept: the traits that have columns of their
 * own ({@link AddProfileTraits#COLUMNS}) always, then the others by name. Which names are
 * kept, and their values, do not depend on merge order: a name among the CAP first of all is
 * among the CAP first of every part that holds it.
 */
final class LatestValues {
  static final int CAP = 64;

  record Value(long time, String value) {}

  private static final Comparator<String> KEEP_FIRST = Comparator
      .comparing((String name) -> !AddProfileTraits.COLUMNS.contains(name))
      .thenComparing(Comparator.naturalOrder());

  final TreeMap<String, Value> values = new TreeMap<>(KEEP_FIRST);

  void put(String name, long time, String value) {
    Value old = values.get(name);
    if (old == null || time > old.time()
        || (time == old.time() && value.compareTo(old.value()) < 0)) {
      values.put(name, new Value(time, value));
    }
    while (values.size() > CAP) {
      values.pollLastEntry();
    }
  }

  LatestValues mergeFrom(LatestValues other) {
    other.values.forEach((k, v) -> put(k, v.time(), v.value()));
    return this;
  }

  String get(String name) {
    Value v = values.get(name);
    return v == null ? null : v.value();
  }

  /** Coder: count, then name, time and value of each trait. */
  static final class Coder extends AtomicCoder<LatestValues> {
    private static final long serialVersionUID = 1L;
    private static final StringUtf8Coder STRING = StringUtf8Coder.of();
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();

    @Override
    public void encode(LatestValues v, OutputStream out) throws IOException {
      INT.encode(v.values.size(), out);
      for (Map.Entry<String, Value> e : v.values.entrySet()) {
        STRING.encode(e.getKey(), out);
        LONG.encode(e.getValue().time(), out);
        STRING.encode(e.getValue().value(), out);
      }
    }

    @Override
    public LatestValues decode(InputStream in) throws IOException {
      LatestValues v = new LatestValues();
      int n = INT.decode(in);
      for (int i = 0; i < n; i++) {
        v.values.put(STRING.decode(in), new Value(LONG.decode(in), STRING.decode(in)));
      }
      return v;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
