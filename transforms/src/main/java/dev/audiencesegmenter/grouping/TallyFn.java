package dev.audiencesegmenter.grouping;

import java.io.Serializable;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;

/**
 * A {@link Combine.CombineFn} for tallies: mutable sums that take one input at a time and
 * merge by addition, where the accumulator is the result (histograms, counts per cell, holdout
 * sums). Each such type then states only how it starts, adds and merges, and its coder.
 *
 * <pre>{@code
 * Combine.globally(TallyFn.of(EngagementChurnTable::new, EngagementChurnTable::add,
 *     EngagementChurnTable::merge, EngagementChurnTable.coder()))
 * }</pre>
 */
public final class TallyFn<InputT, T> extends Combine.CombineFn<InputT, T, T> {
  /** A new, empty tally. */
  public interface Empty<T> extends Serializable {
    T get();
  }

  /** Adds {@code in} to {@code tally} and returns the tally. */
  public interface Add<T, InputT> extends Serializable {
    T apply(T tally, InputT in);
  }

  private final Empty<T> empty;
  private final Add<T, InputT> add;
  private final Add<T, T> merge;
  private final Coder<T> coder;

  private TallyFn(Empty<T> empty, Add<T, InputT> add, Add<T, T> merge, Coder<T> coder) {
    this.empty = empty;
    this.add = add;
    this.merge = merge;
    this.coder = coder;
  }

  public static <InputT, T> TallyFn<InputT, T> of(Empty<T> empty, Add<T, InputT> add,
      Add<T, T> merge, Coder<T> coder) {
    return new TallyFn<>(empty, add, merge, coder);
  }

  @Override
  public T createAccumulator() {
    return empty.get();
  }

  @Override
  public T addInput(T tally, InputT in) {
    return add.apply(tally, in);
  }

  @Override
  public T mergeAccumulators(Iterable<T> tallies) {
    T merged = empty.get();
    for (T t : tallies) {
      merged = merge.apply(merged, t);
    }
    return merged;
  }

  @Override
  public T extractOutput(T tally) {
    return tally;
  }

  @Override
  public Coder<T> getAccumulatorCoder(CoderRegistry registry, Coder<InputT> inputCoder) {
    return coder;
  }

  @Override
  public Coder<T> getDefaultOutputCoder(CoderRegistry registry, Coder<InputT> inputCoder) {
    return coder;
  }
}
