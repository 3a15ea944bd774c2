package dev.audiencesegmenter.segments;

import dev.audiencesegmenter.clusters.ExactSums;
import dev.audiencesegmenter.clusters.FeatureVectors;
import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.cel.bundle.Cel;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.Top;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;

/**
 * Scores customers outside a seed segment by how much they look like it, for the lookalike
 * family. On each column (standardized by the population's standard deviation σ) a trait
 * weighs {@code w = |seed mean - population mean| / σ}: the traits that set the seed apart
 * count most. A customer's score is {@code exp(-1/2 Σ (w / Σw) ((x - seed mean) / σ)²)}: 1 at
 * the seed's means, falling with the weighted distance (a null counts as the population mean).
 * Selected: the {@code topN} highest scores (ties at the N-th included) that are also at least
 * {@code minScore}. {@code lookalike_reason} names the two traits that weigh most.
 *
 * <pre>{@code
 * PCollection<CustomerFeatures> scored =
 *     features.apply(ScoreLookalikes.of(definitions.getLookalikeSpec()));
 * }</pre>
 */
public final class ScoreLookalikes
    extends PTransform<PCollection<CustomerFeatures>, PCollection<CustomerFeatures>> {
  private static final String ALL = "all";
  private static final String SEED = "seed";

  private final LookalikeSpec spec;

  private ScoreLookalikes(LookalikeSpec spec) {
    this.spec = spec;
  }

  public static ScoreLookalikes of(LookalikeSpec spec) {
    if (spec == null) {
      throw new IllegalArgumentException("lookalike spec must not be null");
    }
    return new ScoreLookalikes(spec);
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("seedSegment", spec.seedSegment()))
        .add(DisplayData.item("columns", String.join(",", spec.columns())))
        .add(DisplayData.item("topN", spec.topN()))
        .add(DisplayData.item("minScore", spec.minScore()));
  }

  @Override
  public PCollection<CustomerFeatures> expand(PCollection<CustomerFeatures> features) {
    Schema schema = features.getSchema();
    SerializableFunction<CustomerFeatures, Row> toRow = features.getToRowFunction();
    FeatureVectors vectors = new FeatureVectors(spec.columns(), toRow);
    PCollectionView<Map<String, List<BigDecimal>>> moments = features
        .apply("Moments", ParDo.of(new MomentsFn(spec, schema, toRow, vectors)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ListCoder.of(BigDecimalCoder.of())))
        .apply("SumMoments", Combine.perKey(new ExactSums()))
        .apply("MomentsView", View.asMap());
    PCollection<CustomerFeatures> scored = features
        .apply("Score", ParDo.of(new ScoreFn(spec, schema, toRow, vectors, moments))
            .withSideInputs(moments))
        .setCoder(features.getCoder());
    PCollectionView<List<Double>> best = scored
        .apply("Scores", ParDo.of(new ScoresFn()))
        .setCoder(DoubleCoder.of())
        .apply("TopScores", Top.largest(Math.max(1, spec.topN())))
        .apply("TopScoresView", View.asSingleton());
    return FilledColumns.mark(scored
        .apply("Select", ParDo.of(new SelectFn(spec, best)).withSideInputs(best))
        .setCoder(features.getCoder()), "ScoreLookalikes",
        FilledColumns.filledBy("ScoreLookalikes"));
  }

  /** Evaluates the seed segment's condition, compiled once per worker. */
  private abstract static class SeedAware<I, O> extends DoFn<I, O> {
    private final String when;
    private final Schema schema;
    final SerializableFunction<CustomerFeatures, Row> toRow;
    private transient CelRuntime.Program seed;

    SeedAware(LookalikeSpec spec, Schema schema, SerializableFunction<CustomerFeatures, Row> toRow) {
      this.when = spec.seedWhen();
      this.schema = schema;
      this.toRow = toRow;
    }

    @Setup
    public void compile() throws Exception {
      Cel cel = FeatureVariables.environment(schema);
      seed = cel.createProgram(cel.compile(when).getAst());
    }

    boolean inSeed(CustomerFeatures f) {
      try {
        return Boolean.TRUE.equals(seed.eval(FeatureVariables.resolver(toRow.apply(f))));
      } catch (CelEvaluationException e) {
        return false; // as in AssignSegments: an error is not membership
      }
    }
  }

  private static final class MomentsFn
      extends SeedAware<CustomerFeatures, KV<String, List<BigDecimal>>> {
    private final FeatureVectors vectors;

    MomentsFn(LookalikeSpec spec, Schema schema, SerializableFunction<CustomerFeatures, Row> toRow,
        FeatureVectors vectors) {
      super(spec, schema, toRow);
      this.vectors = vectors;
    }

    @ProcessElement
    public void process(@Element CustomerFeatures f,
        OutputReceiver<KV<String, List<BigDecimal>>> out) {
      List<BigDecimal> m = vectors.moments(f);
      out.output(KV.of(ALL, m));
      if (inSeed(f)) {
        out.output(KV.of(SEED, m));
      }
    }
  }

  private static final class ScoreFn extends SeedAware<CustomerFeatures, CustomerFeatures> {
    private final LookalikeSpec spec;
    private final FeatureVectors vectors;
    private final PCollectionView<Map<String, List<BigDecimal>>> moments;

    ScoreFn(LookalikeSpec spec, Schema schema, SerializableFunction<CustomerFeatures, Row> toRow,
        FeatureVectors vectors, PCollectionView<Map<String, List<BigDecimal>>> moments) {
      super(spec, schema, toRow);
      this.spec = spec;
      this.vectors = vectors;
      this.moments = moments;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      CustomerFeatures f = c.element();
      Map<String, List<BigDecimal>> m = c.sideInput(moments);
      if (!m.containsKey(SEED) || inSeed(f)) {
        c.output(f); // no seed to look like, or already in it
        return;
      }
      int n = spec.columns().size();
      double[] population = new double[n];
      double[] sigma = new double[n];
      double[] seedMean = new double[n];
      double[] weight = new double[n];
      double total = 0;
      for (int d = 0; d < n; d++) {
        double[] all = FeatureVectors.meanAndStd(m.get(ALL), d);
        population[d] = all[0];
        sigma[d] = all[1];
        seedMean[d] = FeatureVectors.meanAndStd(m.get(SEED), d)[0];
        weight[d] = Math.abs(seedMean[d] - population[d]) / sigma[d];
        total += weight[d];
      }
      double[] x = vectors.raw(f);
      double distance = 0;
      for (int d = 0; d < n; d++) {
        double w = total > 0 ? weight[d] / total : 1.0 / n;
        double value = Double.isNaN(x[d]) ? population[d] : x[d];
        double z = (value - seedMean[d]) / sigma[d];
        distance += w * z * z;
      }
      List<Integer> order = new ArrayList<>();
      for (int d = 0; d < n; d++) {
        order.add(d);
      }
      order.sort(Comparator.comparingDouble((Integer d) -> -weight[d])
          .thenComparing(spec.columns()::get));
      List<String> reasons = new ArrayList<>();
      for (int d : order.subList(0, Math.min(2, n))) {
        reasons.add(String.format(Locale.ROOT, "%s %s (seed mean %.4g, all %.4g)",
            spec.columns().get(d), Double.isNaN(x[d]) ? "unknown" : String.format(Locale.ROOT,
                "%.4g", x[d]), seedMean[d], population[d]));
      }
      c.output(f.toBuilder().setLookalikeScore(Math.exp(-0.5 * distance))
          .setLookalikeReason(String.join("; ", reasons)).build());
    }
  }

  private static final class ScoresFn extends DoFn<CustomerFeatures, Double> {
    @ProcessElement
    public void process(@Element CustomerFeatures f, OutputReceiver<Double> out) {
      if (f.getLookalikeScore() != null) {
        out.output(f.getLookalikeScore());
      }
    }
  }

  private static final class SelectFn extends DoFn<CustomerFeatures, CustomerFeatures> {
    private final LookalikeSpec spec;
    private final PCollectionView<List<Double>> best;
    private final Counter selected = Metrics.counter(ScoreLookalikes.class, "lookalikes_selected");

    SelectFn(LookalikeSpec spec, PCollectionView<List<Double>> best) {
      this.spec = spec;
      this.best = best;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      CustomerFeatures f = c.element();
      Double score = f.getLookalikeScore();
      if (score == null) {
        c.output(f);
        return;
      }
      List<Double> top = c.sideInput(best); // descending
      boolean inTop = spec.topN() == 0 || top.size() < spec.topN()
          || score >= top.get(spec.topN() - 1);
      boolean chosen = inTop && score >= spec.minScore();
      if (chosen) {
        selected.inc();
      }
      c.output(f.toBuilder().setLookalikeSelected(chosen).build());
    }
  }
}
