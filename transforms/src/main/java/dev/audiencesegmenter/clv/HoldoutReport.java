package dev.audiencesegmenter.clv;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.MapCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;

/**
 * Predicted against actual repeat purchases in a holdout period, as users of the lifetimes
 * library check a fit: in total, per calibration frequency (x = 0, 1, ..., and "7+"), and the
 * mean absolute error per customer, for each of its models side by side (BG/NBD's figures also
 * at the top level, as before); also P(alive)'s calibration, spend against its prediction, and
 * the cumulative repeat purchases week by week. Mergeable: built per customer and added up.
 */
public final class HoldoutReport implements Serializable {
  private static final long serialVersionUID = 5L;
  /** Frequencies from this one up are reported together. */
  static final int TOP_BUCKET = 7;
  /** The models a report scores by default, in the order of {@link #add}'s predictions. */
  public static final List<String> MODELS = java.util.Arrays.stream(PurchaseModel.values())
      .map(PurchaseModel::jsonName).toList();
  /** Each customer's figures are added on a grid of 1 / GRID: see {@link #onGrid}. */
  private static final double GRID = 0x1p30;
  /** P(alive) is calibrated in this many equal bins. */
  static final int P_ALIVE_BINS = 10;

  /** The models scored, BG/NBD first: the order of every prediction array. */
  private final List<String> models;
  /** Per bucket: customers, actual, then per model its predicted sum and absolute error. */
  private final int width;
  private final TreeMap<Integer, double[]> buckets = new TreeMap<>();
  /**
   * P(alive) calibration: per model, per tenth of P(alive) (0–0.1, ..., 0.9–1), the customers,
   * the sum of their P(alive) and how many of them bought in the holdout.
   */
  private final double[][] calibration;
  /** Spend in the holdout: the actual sum, then per model its predicted sum and absolute error. */
  private final double[] spend;
  /**
   * Repeat purchases by the end of each week of the holdout (the last point at its end): per
   * week, the actual cumulative sum, then each model's predicted one.
   */
  private final TreeMap<Integer, double[]> cumulative = new TreeMap<>();
  /** The holdout's length in weeks: where the last point of {@link #cumulative} lies. */
  private double holdoutWeeks;
  /**
   * Why a model was not fitted, by name: the same for every customer's report, so shared, not
   * copied, until two different maps meet in {@link #merge}.
   */
  private Map<String, String> notFitted = Map.of();

  /** A report of the purchase models, {@link #MODELS}. */
  public HoldoutReport() {
    this(MODELS);
  }

  /**
   * A report of {@code models} (JSON names, BG/NBD first: the top level repeats its figures),
   * e.g. {@link #MODELS} and a covariate model ({@link PurchaseCovariates#name()}).
   */
  public HoldoutReport(List<String> models) {
    if (models.isEmpty() || !models.get(0).equals(PurchaseModel.BG_NBD.jsonName())
        || new HashSet<>(models).size() != models.size()) {
      throw new IllegalArgumentException("a holdout report scores distinct models, "
          + PurchaseModel.BG_NBD.jsonName() + " first; got " + models);
    }
    this.models = List.copyOf(models);
    this.width = 2 + 2 * models.size();
    this.calibration = new double[models.size()][3 * P_ALIVE_BINS];
    this.spend = new double[1 + 2 * models.size()];
  }

  /** The models scored, in the order of every prediction array. */
  public List<String> models() {
    return models;
  }

  /**
   * Adds one customer: calibration frequency x, actual holdout purchases and each model's
   * prediction, in {@link #models()} order (NaN for a model that could not be fitted).
   */
  public HoldoutReport add(long x, long actual, double... predicted) {
    checkPerModel(predicted);
    double[] b = buckets.computeIfAbsent((int) Math.min(x, TOP_BUCKET), k -> new double[width]);
    b[0] += 1;
    b[1] += actual;
    for (int m = 0; m < predicted.length; m++) {
      b[2 + 2 * m] += onGrid(predicted[m]);
      b[3 + 2 * m] += onGrid(Math.abs(predicted[m] - actual));
    }
    return this;
  }

  /**
   * Adds one customer to the P(alive) calibration: whether the customer bought in the holdout
   * and each model's P(alive) at the calibration end (NaN for a model not fitted). A purchase
   * shows the customer alive; no purchase does not show the opposite, so a well-calibrated
   * model's P(alive) lies above the share who bought in each bin.
   */
  public HoldoutReport addPAlive(boolean bought, double... pAlive) {
    checkPerModel(pAlive);
    for (int m = 0; m < pAlive.length; m++) {
      if (Double.isNaN(pAlive[m])) {
        continue;
      }
      int bin = Math.min(P_ALIVE_BINS - 1, (int) (pAlive[m] * P_ALIVE_BINS));
      calibration[m][3 * bin] += 1;
      calibration[m][3 * bin + 1] += onGrid(pAlive[m]);
      calibration[m][3 * bin + 2] += bought ? 1 : 0;
    }
    return this;
  }

  /**
   * Adds one customer's spend in the holdout: actual and each model's prediction, in {@link
   * #models()} order (NaN for a model not fitted).
   */
  public HoldoutReport addSpend(double actual, double... predicted) {
    checkPerModel(predicted);
    spend[0] += onGrid(actual);
    for (int m = 0; m < predicted.length; m++) {
      spend[1 + 2 * m] += onGrid(predicted[m]);
      spend[2 + 2 * m] += onGrid(Math.abs(predicted[m] - actual));
    }
    return this;
  }

  /**
   * Adds one customer's repeat purchases week by week: {@code predicted[week - 1][model]} is a
   * model's expectation by the end of that week, the last at the holdout's end ({@code weeks}
   * weeks long), and the actual purchase days are counted in the weeks of {@code holdout}.
   */
  public HoldoutReport addCumulative(HoldoutPurchases.Outcome holdout, double[][] predicted,
      double weeks) {
    holdoutWeeks = weeks;
    for (int w = 1; w <= predicted.length; w++) {
      checkPerModel(predicted[w - 1]);
      double[] point = cumulative.computeIfAbsent(w, k -> new double[1 + models.size()]);
      point[0] += holdout.daysInFirstWeeks(w);
      for (int m = 0; m < models.size(); m++) {
        point[1 + m] += onGrid(predicted[w - 1][m]);
      }
    }
    return this;
  }

  /**
   * {@code v} rounded to a multiple of 2⁻³⁰ (about 10⁻⁹). Sums of such numbers are exact in a
   * double while they stay below 2²³ (8.4 million), so they do not depend on the order in which
   * a runner merges the customers' reports: the report is the same on every runner.
   */
  private static double onGrid(double v) {
    return Math.rint(v * GRID) / GRID;
  }

  private void checkPerModel(double[] values) {
    if (values.length != models.size()) {
      throw new IllegalArgumentException("one value per model of " + models + ", got "
          + values.length);
    }
  }

  /**
   * Records why models of this report were not fitted (by name, e.g. a fit's {@link
   * ClvFitException} message), for {@link #toJson}; adds to reasons already recorded. Two
   * different reasons for one model (reports of different fits) keep the first in text order,
   * so that merges in any order agree.
   */
  public HoldoutReport notFitted(Map<String, String> reasons) {
    for (String model : reasons.keySet()) {
      if (!models.contains(model)) {
        throw new IllegalArgumentException("a reason for model '" + model
            + "', which this report does not score; it scores " + models);
      }
    }
    if (notFitted.isEmpty()) {
      notFitted = Map.copyOf(reasons); // no copy when it is one already
    } else if (!reasons.isEmpty() && !notFitted.equals(reasons)) {
      Map<String, String> union = new TreeMap<>(notFitted);
      reasons.forEach((model, reason) -> union.merge(model, reason,
          (a, b) -> a.compareTo(b) <= 0 ? a : b));
      notFitted = Map.copyOf(union);
    }
    return this;
  }

  /** Adds {@code other}, a report of the same models, to this one. */
  public HoldoutReport merge(HoldoutReport other) {
    if (!other.models.equals(models)) {
      throw new IllegalArgumentException("cannot add a report of " + other.models
          + " to one of " + models);
    }
    notFitted(other.notFitted);
    other.buckets.forEach((k, v) -> {
      double[] b = buckets.computeIfAbsent(k, key -> new double[width]);
      for (int i = 0; i < width; i++) {
        b[i] += v[i];
      }
    });
    for (int m = 0; m < calibration.length; m++) {
      for (int i = 0; i < calibration[m].length; i++) {
        calibration[m][i] += other.calibration[m][i];
      }
    }
    for (int i = 0; i < spend.length; i++) {
      spend[i] += other.spend[i];
    }
    holdoutWeeks = Math.max(holdoutWeeks, other.holdoutWeeks);
    other.cumulative.forEach((w, v) -> {
      double[] point = cumulative.computeIfAbsent(w, k -> new double[v.length]);
      for (int i = 0; i < v.length; i++) {
        point[i] += v[i];
      }
    });
    return this;
  }

  public double actualSpend() {
    return spend[0];
  }

  /** Model {@code m}'s predicted spend of the cohort; NaN if it was not fitted. */
  public double predictedSpend(int m) {
    return buckets.isEmpty() ? Double.NaN : spend[1 + 2 * m];
  }

  /** Model {@code m}'s mean over customers of |predicted spend - actual spend|. */
  public double spendMeanAbsoluteError(int m) {
    return spend[2 + 2 * m] / total(0);
  }


  private double total(int i) {
    return buckets.values().stream().mapToDouble(b -> b[i]).sum();
  }

  public long customers() {
    return Math.round(total(0));
  }

  public long actualTotal() {
    return Math.round(total(1));
  }

  /** BG/NBD's predicted total. */
  public double predictedTotal() {
    return predictedTotal(0);
  }

  /**
   * The predicted total of model {@code m} of {@link #models()}; NaN if it was not fitted, or
   * if there is nobody to predict (no model can be fitted on an empty calibration period).
   */
  public double predictedTotal(int m) {
    return buckets.isEmpty() ? Double.NaN : total(2 + 2 * m);
  }

  /** BG/NBD's mean over customers of |predicted - actual|. */
  public double meanAbsoluteError() {
    return meanAbsoluteError(0);
  }

  /** Model {@code m}'s mean over customers of |predicted - actual|. */
  public double meanAbsoluteError(int m) {
    return total(3 + 2 * m) / total(0);
  }

  /**
   * The name of the model that predicted the holdout best: the fitted model with the smallest
   * mean absolute error per customer; of models that tie, the first in {@link #models()}
   * (BG/NBD first). The error per customer, not the error of the total, decides: a model can
   * hit the total by luck while ranking customers worse, and the columns it feeds are per
   * customer.
   */
  public String chosen() {
    int best = 0; // also when nothing could be fitted: every error is NaN
    for (int m = 1; m < models.size(); m++) {
      double mae = meanAbsoluteError(m);
      if (Double.isFinite(mae) && mae < meanAbsoluteError(best)) {
        best = m;
      }
    }
    return models.get(best);
  }

  /** {@link #chosen()} as a purchase model, for a report of purchase models only. */
  public PurchaseModel chosenModel() {
    return PurchaseModel.parse(chosen());
  }

  /** Per frequency bucket: {customers, mean actual, then each model's mean predicted}. */
  public Map<String, double[]> byFrequency() {
    Map<String, double[]> out = new java.util.LinkedHashMap<>();
    buckets.forEach((k, b) -> {
      double[] row = new double[2 + models.size()];
      row[0] = b[0];
      row[1] = b[1] / b[0];
      for (int m = 0; m < models.size(); m++) {
        row[2 + m] = b[2 + 2 * m] / b[0];
      }
      out.put(k == TOP_BUCKET ? TOP_BUCKET + "+" : k.toString(), row);
    });
    return out;
  }

  public String toJson(String calibrationEnd, String holdoutEnd) {
    // BG/NBD not fitted (a backtest too short for it) or nobody in the cohort: null, not NaN
    StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
        "{\"calibration_end\":\"%s\",\"holdout_end\":\"%s\",\"customers\":%d,"
            + "\"predicted_repeat_purchases\":%s,\"actual_repeat_purchases\":%d,"
            + "\"mean_absolute_error\":%s,\"models\":[", calibrationEnd, holdoutEnd,
        customers(), number("%.2f", predictedTotal()), actualTotal(),
        number("%.4f", meanAbsoluteError())));
    for (int m = 0; m < models.size(); m++) {
      double predicted = predictedTotal(m);
      json.append(m == 0 ? "" : ",").append("{\"model\":\"").append(models.get(m))
          .append("\",\"fitted\":").append(Double.isFinite(predicted));
      if (!Double.isFinite(predicted)) {
        json.append(",\"reason\":\"")
            .append(JsonStringEncoder.getInstance().quoteAsString(notFittedReason(m)))
            .append('"');
      } else {
        // Relative to the actual total; null when nobody bought in the holdout.
        String errorOfTotal = actualTotal() == 0 ? "null" : String.format(Locale.ROOT, "%.4f",
            (predicted - actualTotal()) / actualTotal());
        json.append(String.format(Locale.ROOT, ",\"predicted_repeat_purchases\":%.2f,"
            + "\"error_of_total\":%s,\"mean_absolute_error\":%s,\"predicted_spend\":%s,"
            + "\"spend_mean_absolute_error\":%s", predicted, errorOfTotal,
            number("%.4f", meanAbsoluteError(m)), number("%.2f", predictedSpend(m)),
            number("%.4f", spendMeanAbsoluteError(m))));
      }
      json.append('}');
    }
    json.append("],\"actual_spend\":").append(String.format(Locale.ROOT, "%.2f", actualSpend()))
        .append(",\"chosen_model\":\"").append(chosen())
        .append("\",\"p_alive_calibration\":[");
    for (int m = 0; m < models.size(); m++) {
      json.append(m == 0 ? "" : ",").append("{\"model\":\"").append(models.get(m))
          .append("\",\"bins\":[");
      String binSep = "";
      for (int bin = 0; bin < P_ALIVE_BINS; bin++) {
        double n = calibration[m][3 * bin];
        if (n == 0) {
          continue;
        }
        json.append(binSep).append(String.format(Locale.ROOT, "{\"from\":%.1f,\"to\":%.1f,"
            + "\"customers\":%d,\"mean_p_alive\":%.4f,\"share_bought\":%.4f}",
            bin / (double) P_ALIVE_BINS, (bin + 1) / (double) P_ALIVE_BINS, Math.round(n),
            calibration[m][3 * bin + 1] / n, calibration[m][3 * bin + 2] / n));
        binSep = ",";
      }
      json.append("]}");
    }
    json.append("],\"by_frequency\":[");
    String sep = "";
    for (Map.Entry<String, double[]> e : byFrequency().entrySet()) {
      double[] row = e.getValue();
      json.append(sep).append(String.format(Locale.ROOT,
          "{\"frequency\":\"%s\",\"customers\":%d,\"mean_predicted\":%s,"
              + "\"mean_actual\":%.4f", e.getKey(), Math.round(row[0]),
          number("%.4f", row[2]), row[1]));
      for (int m = 1; m < models.size(); m++) {
        json.append(",\"mean_predicted_").append(models.get(m)).append("\":")
            .append(number("%.4f", row[2 + m]));
      }
      json.append('}');
      sep = ",";
    }
    json.append("],\"cumulative_repeat_purchases\":{\"weeks\":[");
    // Whole weeks, then the holdout's end, which may fall inside a week.
    json.append(String.join(",", cumulative.keySet().stream().map(w -> w < cumulative.lastKey()
            ? String.valueOf(w) : Math.abs(holdoutWeeks - w) < 1e-9 ? String.valueOf(w)
            : String.format(Locale.ROOT, "%.2f", holdoutWeeks)).toList()))
        .append("],\"actual\":[").append(series(0, "%.0f"));
    for (int m = 0; m < models.size(); m++) {
      json.append("],\"").append(models.get(m)).append("\":[").append(series(1 + m, "%.2f"));
    }
    return json.append("]}}").toString();
  }

  /** Why model {@code m} has no figures: its fit's reason, else what the sums show. */
  private String notFittedReason(int m) {
    String reason = notFitted.get(models.get(m));
    if (reason != null) {
      return reason;
    }
    return customers() == 0 ? "no customer in the calibration cohort"
        : "its prediction is not a finite number for some customers, so it is not scored "
            + "(a covariate model's category without repeat buyers can send its coefficient "
            + "to infinity)";
  }

  private String series(int i, String format) {
    return String.join(",", cumulative.values().stream().map(v -> number(format, v[i]))
        .toList());
  }

  private static String number(String format, double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "null";
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof HoldoutReport r) || !r.models.equals(models)
        || !r.buckets.keySet().equals(buckets.keySet())) {
      return false;
    }
    for (Map.Entry<Integer, double[]> e : buckets.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), r.buckets.get(e.getKey()))) {
        return false;
      }
    }
    if (!r.cumulative.keySet().equals(cumulative.keySet())) {
      return false;
    }
    for (Map.Entry<Integer, double[]> e : cumulative.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), r.cumulative.get(e.getKey()))) {
        return false;
      }
    }
    return java.util.Arrays.deepEquals(calibration, r.calibration)
        && java.util.Arrays.equals(spend, r.spend) && holdoutWeeks == r.holdoutWeeks
        && notFitted.equals(r.notFitted);
  }

  @Override
  public int hashCode() {
    return buckets.keySet().hashCode();
  }

  /** The coder of reports: built per customer, so not Java serialization. */
  public static Coder<HoldoutReport> coder() {
    return ReportCoder.INSTANCE;
  }

  /**
   * The models' names; then the bucket count, then each bucket's frequency and its sums, in
   * frequency order; then per model
   * its used P(alive) bins; then the spend sums; then the holdout's length in weeks, the weeks
   * and their cumulative sums; then the reasons of models not fitted.
   */
  private static final class ReportCoder extends AtomicCoder<HoldoutReport> {
    static final ReportCoder INSTANCE = new ReportCoder();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();
    private static final Coder<List<String>> NAMES = ListCoder.of(StringUtf8Coder.of());
    private static final Coder<Map<String, String>> REASONS =
        MapCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of());

    @Override
    public void encode(HoldoutReport report, OutputStream out) throws IOException {
      NAMES.encode(report.models, out);
      INT.encode(report.buckets.size(), out);
      for (Map.Entry<Integer, double[]> bucket : report.buckets.entrySet()) {
        INT.encode(bucket.getKey(), out);
        for (double sum : bucket.getValue()) {
          DOUBLE.encode(sum, out);
        }
      }
      // Sparse: a customer's report fills one bin per model.
      for (double[] model : report.calibration) {
        int used = 0;
        for (int bin = 0; bin < P_ALIVE_BINS; bin++) {
          used += model[3 * bin] > 0 ? 1 : 0;
        }
        INT.encode(used, out);
        for (int bin = 0; bin < P_ALIVE_BINS; bin++) {
          if (model[3 * bin] > 0) {
            INT.encode(bin, out);
            for (int k = 0; k < 3; k++) {
              DOUBLE.encode(model[3 * bin + k], out);
            }
          }
        }
      }
      for (double sum : report.spend) {
        DOUBLE.encode(sum, out);
      }
      DOUBLE.encode(report.holdoutWeeks, out);
      INT.encode(report.cumulative.size(), out);
      for (Map.Entry<Integer, double[]> point : report.cumulative.entrySet()) {
        INT.encode(point.getKey(), out);
        for (double sum : point.getValue()) {
          DOUBLE.encode(sum, out);
        }
      }
      REASONS.encode(report.notFitted, out);
    }

    @Override
    public HoldoutReport decode(InputStream in) throws IOException {
      HoldoutReport report = new HoldoutReport(NAMES.decode(in));
      int size = INT.decode(in);
      for (int i = 0; i < size; i++) {
        double[] sums = new double[report.width];
        int frequency = INT.decode(in);
        for (int j = 0; j < sums.length; j++) {
          sums[j] = DOUBLE.decode(in);
        }
        report.buckets.put(frequency, sums);
      }
      for (double[] model : report.calibration) {
        int used = INT.decode(in);
        for (int i = 0; i < used; i++) {
          int bin = INT.decode(in);
          for (int k = 0; k < 3; k++) {
            model[3 * bin + k] = DOUBLE.decode(in);
          }
        }
      }
      for (int i = 0; i < report.spend.length; i++) {
        report.spend[i] = DOUBLE.decode(in);
      }
      report.holdoutWeeks = DOUBLE.decode(in);
      int weeks = INT.decode(in);
      for (int i = 0; i < weeks; i++) {
        int week = INT.decode(in);
        double[] sums = new double[1 + report.models.size()];
        for (int j = 0; j < sums.length; j++) {
          sums[j] = DOUBLE.decode(in);
        }
        report.cumulative.put(week, sums);
      }
      report.notFitted = REASONS.decode(in);
      return report;
    }
  }
}
