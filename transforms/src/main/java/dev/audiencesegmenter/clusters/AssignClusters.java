package dev.audiencesegmenter.clusters;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Create;
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
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * k-means clusters of customers on standardized feature columns, written to the {@code
 * cluster} column (1 to k), and a JSON profile of each cluster ({@link Result#getProfiles}).
 *
 * <pre>{@code
 * AssignClusters.Result clusters = features.apply(AssignClusters.of(spec));
 * clusters.getFeatures();   // the same rows, with cluster set
 * clusters.getProfiles();   // one JSON document: k, silhouettes, each cluster's profile
 * }</pre>
 *
 * <ol>
 *   <li>Each column's mean and standard deviation (population, over non-null values) as exact
 *       decimal sums; a value is standardized to z, a null to 0 (the mean).
 *   <li>A sample of {@code sampleSize} customers, those with the smallest SHA-256 of
 *       {@code seed|customer_id}, is clustered in memory (k-means++ seeded with {@code seed},
 *       then Lloyd); without a given k, k from 3 to 7 with the best mean silhouette.
 *   <li>{@code iterations} Lloyd iterations over all customers as Beam steps: each assigns
 *       customers to the nearest centroid (the centroids a side input) and sums them per
 *       cluster with exact decimals, so every runner computes the same centroids. The sample
 *       was clustered to convergence, so these only refine; they are few because each one
 *       nests the graph again (Flink's batch optimizer walks such graphs exponentially: ten
 *       iterations behind identity resolution did not finish planning in ten minutes).
 * </ol>
 *
 * <p>A cluster's profile is its size, each column's mean against the population mean, and a
 * name from the columns where it stands out most (e.g. "high frequency, low recency_days").
 */
public final class AssignClusters
    extends PTransform<PCollection<CustomerFeatures>, AssignClusters.Result> {
  private static final MathContext DIGITS = FeatureVectors.DIGITS;

  private final ClusterSpec spec;

  private AssignClusters(ClusterSpec spec) {
    this.spec = spec;
  }

  public static AssignClusters of(ClusterSpec spec) {
    if (spec == null) {
      throw new IllegalArgumentException("cluster spec must not be null");
    }
    return new AssignClusters(spec);
  }

  /** The clustered rows and the clusters' profiles. */
  public static final class Result implements POutput {
    private static final TupleTag<CustomerFeatures> FEATURES = new TupleTag<>("features") {};
    private static final TupleTag<String> PROFILES = new TupleTag<>("profiles") {};
    private final PCollection<CustomerFeatures> features;
    private final PCollection<String> profiles;

    Result(PCollection<CustomerFeatures> features, PCollection<String> profiles) {
      this.features = features;
      this.profiles = profiles;
    }

    /** The input rows with {@code cluster} set (1 to k). */
    public PCollection<CustomerFeatures> getFeatures() {
      return features;
    }

    /** One JSON document: k, the silhouettes tried, and each cluster's profile. */
    public PCollection<String> getProfiles() {
      return profiles;
    }

    @Override
    public Pipeline getPipeline() {
      return features.getPipeline();
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(FEATURES, features, PROFILES, profiles);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input,
        PTransform<?, ?> transform) {}
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("columns", String.join(",", spec.columns())))
        .add(DisplayData.item("k", spec.k()).withLabel("Clusters (0: chosen by silhouette)"))
        .add(DisplayData.item("sampleSize", spec.sampleSize()))
        .add(DisplayData.item("iterations", spec.iterations()))
        .add(DisplayData.item("seed", spec.seed()));
  }

  @Override
  public Result expand(PCollection<CustomerFeatures> features) {
    Schema schema = features.getSchema();
    for (String column : spec.columns()) {
      if (!schema.hasField(column)) {
        throw new IllegalArgumentException("no feature column '" + column + "' to cluster on");
      }
    }
    SerializableFunction<CustomerFeatures, Row> toRow = features.getToRowFunction();
    FeatureVectors vectors = new FeatureVectors(spec.columns(), toRow);
    ListCoder<BigDecimal> decimals = ListCoder.of(BigDecimalCoder.of());
    ListCoder<List<Double>> matrix = ListCoder.of(ListCoder.of(DoubleCoder.of()));

    // count, sum and sum of squares per column, over non-null values
    PCollectionView<List<BigDecimal>> moments = features
        .apply("Moments", ParDo.of(new MomentsFn(vectors)))
        .setCoder(decimals)
        .apply("SumMoments", Combine.globally(new ExactSums()))
        .apply("MomentsView", View.asSingleton());

    PCollection<List<List<Double>>> initial = features
        .apply("SampleKeys", ParDo.of(new SampleKeyFn(vectors, spec.seed())))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ListCoder.of(DoubleCoder.of())))
        .apply("Sample", Top.of(spec.sampleSize(), new SmallestKeyFirst()).withoutDefaults())
        .apply("SeedCentroids", ParDo.of(new SeedFn(spec, moments)).withSideInputs(moments))
        .setCoder(matrix);
    PCollectionView<List<List<Double>>> centroids = initial.apply("Centroids0",
        View.asSingleton());
    for (int i = 1; i <= spec.iterations(); i++) {
      PCollectionView<Map<Integer, List<BigDecimal>>> sums = features
          .apply("Iteration" + i + "/Assign", ParDo.of(new SumsFn(vectors, moments, centroids))
              .withSideInputs(moments, centroids))
          .setCoder(KvCoder.of(VarIntCoder.of(), decimals))
          .apply("Iteration" + i + "/Sum", Combine.perKey(new ExactSums()))
          .apply("Iteration" + i + "/SumsView", View.asMap());
      centroids = features.getPipeline()
          .apply("Iteration" + i + "/Impulse", Create.of(i))
          .apply("Iteration" + i + "/Centroids", ParDo.of(new CentroidsFn(centroids, sums))
              .withSideInputs(centroids, sums))
          .setCoder(matrix)
          .apply("Iteration" + i + "/CentroidsView", View.asSingleton());
    }
    PCollection<CustomerFeatures> assigned = FilledColumns.mark(features
        .apply("AssignNearest", ParDo.of(new AssignFn(vectors, moments, centroids))
            .withSideInputs(moments, centroids))
        .setCoder(features.getCoder()), "AssignClusters",
        FilledColumns.filledBy("AssignClusters"));

    // Profiles: raw (unstandardized) sums per cluster, with the population moments.
    PCollectionView<Map<Integer, List<BigDecimal>>> clusterSums = assigned
        .apply("ClusterRawSums", ParDo.of(new RawSumsFn(vectors)))
        .setCoder(KvCoder.of(VarIntCoder.of(), decimals))
        .apply("SumPerCluster", Combine.perKey(new ExactSums()))
        .apply("ClusterSumsView", View.asMap());
    PCollection<String> profiles = features.getPipeline()
        .apply("ProfilesImpulse", Create.of(0))
        .apply("Profiles", ParDo.of(new ProfilesFn(spec, moments, clusterSums, initial.apply(
            "ChosenView", View.asSingleton())))
            .withSideInputs(moments, clusterSums))
        .setCoder(StringUtf8Coder.of());
    return new Result(assigned, profiles);
  }

  private static List<Double> boxed(double[] v) {
    List<Double> out = new ArrayList<>(v.length);
    for (double x : v) {
      out.add(x);
    }
    return out;
  }

  private static double[][] unboxed(List<List<Double>> m) {
    double[][] out = new double[m.size()][];
    for (int i = 0; i < m.size(); i++) {
      out[i] = m.get(i).stream().mapToDouble(Double::doubleValue).toArray();
    }
    return out;
  }

  private static final class MomentsFn extends DoFn<CustomerFeatures, List<BigDecimal>> {
    private final FeatureVectors vectors;

    MomentsFn(FeatureVectors vectors) {
      this.vectors = vectors;
    }

    @ProcessElement
    public void process(@Element CustomerFeatures f, OutputReceiver<List<BigDecimal>> out) {
      out.output(vectors.moments(f));
    }
  }

  private static final class SampleKeyFn
      extends DoFn<CustomerFeatures, KV<String, List<Double>>> {
    private final FeatureVectors vectors;
    private final long seed;

    SampleKeyFn(FeatureVectors vectors, long seed) {
      this.vectors = vectors;
      this.seed = seed;
    }

    @ProcessElement
    public void process(@Element CustomerFeatures f,
        OutputReceiver<KV<String, List<Double>>> out) {
      out.output(KV.of(sampleKey(seed, f.getCustomerId()), boxed(vectors.raw(f))));
    }
  }

  /** Hex SHA-256 of seed|id, then the id: sorts customers in a seed-fixed random order. */
  static String sampleKey(long seed, String customerId) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(
          (seed + "|" + customerId).getBytes(StandardCharsets.UTF_8));
      StringBuilder key = new StringBuilder();
      for (int i = 0; i < 8; i++) {
        key.append(String.format(Locale.ROOT, "%02x", hash[i]));
      }
      return key.append('|').append(customerId).toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  /** Top keeps the greatest: reversing the key order keeps the smallest keys. */
  private static final class SmallestKeyFirst
      implements Comparator<KV<String, List<Double>>>, Serializable {
    @Override
    public int compare(KV<String, List<Double>> a, KV<String, List<Double>> b) {
      return b.getKey().compareTo(a.getKey());
    }
  }

  private static final class SeedFn
      extends DoFn<List<KV<String, List<Double>>>, List<List<Double>>> {
    private final ClusterSpec spec;
    private final PCollectionView<List<BigDecimal>> moments;

    SeedFn(ClusterSpec spec, PCollectionView<List<BigDecimal>> moments) {
      this.spec = spec;
      this.moments = moments;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      List<KV<String, List<Double>>> sample = new ArrayList<>(c.element());
      sample.sort(Comparator.comparing(KV::getKey)); // Top's output order is not promised
      List<BigDecimal> m = c.sideInput(moments);
      List<double[]> points = new ArrayList<>();
      for (KV<String, List<Double>> s : sample) {
        points.add(FeatureVectors.standardize(s.getValue().stream().mapToDouble(Double::doubleValue)
            .toArray(), m));
      }
      double[][] best = null;
      if (spec.k() > 0) {
        best = KMeans.fit(points, spec.k(), spec.seed());
      } else {
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int k = ClusterSpec.MIN_AUTO_K; k <= ClusterSpec.MAX_AUTO_K; k++) {
          if (points.size() < k) {
            break;
          }
          double[][] centroids = KMeans.fit(points, k, spec.seed());
          double score = KMeans.silhouette(points, centroids);
          if (score > bestScore + 1e-9) { // a tie keeps the smaller k
            bestScore = score;
            best = centroids;
          }
        }
        if (best == null) {
          throw new IllegalStateException("too few customers to cluster: " + points.size());
        }
      }
      List<List<Double>> out = new ArrayList<>();
      for (double[] centroid : best) {
        out.add(boxed(centroid));
      }
      c.output(out);
    }
  }

  private static final class SumsFn extends DoFn<CustomerFeatures, KV<Integer, List<BigDecimal>>> {
    private final FeatureVectors vectors;
    private final PCollectionView<List<BigDecimal>> moments;
    private final PCollectionView<List<List<Double>>> centroids;

    SumsFn(FeatureVectors vectors, PCollectionView<List<BigDecimal>> moments,
        PCollectionView<List<List<Double>>> centroids) {
      this.vectors = vectors;
      this.moments = moments;
      this.centroids = centroids;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      double[] z = FeatureVectors.standardize(vectors.raw(c.element()), c.sideInput(moments));
      int cluster = KMeans.nearest(z, unboxed(c.sideInput(centroids)));
      List<BigDecimal> sums = new ArrayList<>(z.length + 1);
      sums.add(BigDecimal.ONE);
      for (double v : z) {
        sums.add(new BigDecimal(v));
      }
      c.output(KV.of(cluster, sums));
    }
  }

  private static final class CentroidsFn extends DoFn<Integer, List<List<Double>>> {
    private final PCollectionView<List<List<Double>>> previous;
    private final PCollectionView<Map<Integer, List<BigDecimal>>> sums;

    CentroidsFn(PCollectionView<List<List<Double>>> previous,
        PCollectionView<Map<Integer, List<BigDecimal>>> sums) {
      this.previous = previous;
      this.sums = sums;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      List<List<Double>> before = c.sideInput(previous);
      Map<Integer, List<BigDecimal>> s = c.sideInput(sums);
      List<List<Double>> next = new ArrayList<>();
      for (int k = 0; k < before.size(); k++) {
        List<BigDecimal> sum = s.get(k);
        if (sum == null) {
          next.add(before.get(k)); // an empty cluster keeps its centroid
          continue;
        }
        List<Double> centroid = new ArrayList<>();
        for (int d = 1; d < sum.size(); d++) {
          centroid.add(sum.get(d).divide(sum.get(0), DIGITS).doubleValue());
        }
        next.add(centroid);
      }
      c.output(next);
    }
  }

  private static final class AssignFn extends DoFn<CustomerFeatures, CustomerFeatures> {
    private final FeatureVectors vectors;
    private final PCollectionView<List<BigDecimal>> moments;
    private final PCollectionView<List<List<Double>>> centroids;
    private final Counter clustered = Metrics.counter(AssignClusters.class, "customers_clustered");

    AssignFn(FeatureVectors vectors, PCollectionView<List<BigDecimal>> moments,
        PCollectionView<List<List<Double>>> centroids) {
      this.vectors = vectors;
      this.moments = moments;
      this.centroids = centroids;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      double[] z = FeatureVectors.standardize(vectors.raw(c.element()), c.sideInput(moments));
      int cluster = KMeans.nearest(z, unboxed(c.sideInput(centroids)));
      clustered.inc();
      c.output(c.element().toBuilder().setCluster(cluster + 1).build());
    }
  }

  private static final class RawSumsFn
      extends DoFn<CustomerFeatures, KV<Integer, List<BigDecimal>>> {
    private final FeatureVectors vectors;

    RawSumsFn(FeatureVectors vectors) {
      this.vectors = vectors;
    }

    @ProcessElement
    public void process(@Element CustomerFeatures f,
        OutputReceiver<KV<Integer, List<BigDecimal>>> out) {
      double[] raw = vectors.raw(f);
      List<BigDecimal> sums = new ArrayList<>(2 * raw.length + 1);
      sums.add(BigDecimal.ONE);
      for (double v : raw) {
        boolean present = !Double.isNaN(v);
        sums.add(present ? BigDecimal.ONE : BigDecimal.ZERO);
        sums.add(present ? new BigDecimal(v) : BigDecimal.ZERO);
      }
      out.output(KV.of(f.getCluster(), sums));
    }
  }

  private static final class ProfilesFn extends DoFn<Integer, String> {
    private final ClusterSpec spec;
    private final PCollectionView<List<BigDecimal>> moments;
    private final PCollectionView<Map<Integer, List<BigDecimal>>> clusterSums;

    ProfilesFn(ClusterSpec spec, PCollectionView<List<BigDecimal>> moments,
        PCollectionView<Map<Integer, List<BigDecimal>>> clusterSums,
        PCollectionView<List<List<Double>>> unused) {
      this.spec = spec;
      this.moments = moments;
      this.clusterSums = clusterSums;
    }

    @ProcessElement
    public void process(ProcessContext c) throws JsonProcessingException {
      List<BigDecimal> m = c.sideInput(moments);
      Map<Integer, List<BigDecimal>> sums = new java.util.TreeMap<>(c.sideInput(clusterSums));
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("columns", spec.columns());
      doc.put("k", sums.size());
      doc.put("seed", spec.seed());
      List<Object> clusters = new ArrayList<>();
      for (Map.Entry<Integer, List<BigDecimal>> e : sums.entrySet()) {
        List<BigDecimal> s = e.getValue();
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("cluster", e.getKey());
        cluster.put("size", s.get(0).longValueExact());
        Map<String, Object> columns = new LinkedHashMap<>();
        double[] z = new double[spec.columns().size()];
        for (int d = 0; d < z.length; d++) {
          BigDecimal n = s.get(1 + 2 * d);
          double[] population = FeatureVectors.meanAndStd(m, d);
          double mean = n.signum() == 0 ? Double.NaN
              : s.get(2 + 2 * d).divide(n, DIGITS).doubleValue();
          z[d] = Double.isNaN(mean) ? 0 : (mean - population[0]) / population[1];
          Map<String, Object> col = new LinkedHashMap<>();
          col.put("mean", round(mean));
          col.put("population_mean", round(population[0]));
          col.put("z", round(z[d]));
          columns.put(spec.columns().get(d), col);
        }
        cluster.put("name", ClusterNames.describe(spec.columns(), z));
        cluster.put("columns", columns);
        clusters.add(cluster);
      }
      doc.put("clusters", clusters);
      c.output(new ObjectMapper().writeValueAsString(doc));
    }

    private static Object round(double v) {
      return Double.isNaN(v) ? null : BigDecimal.valueOf(v).round(new MathContext(6))
          .doubleValue();
    }
  }
}
