package dev.audiencesegmenter.report;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Which feature columns a segment summary describes, found by name and type in the features'
 * Beam schema so that it follows whatever columns a run has: every number and boolean
 * (a boolean as 0 / 1, so its mean is the share of true) except ids and coordinates, a fixed
 * list of low-cardinality category columns ({@link #CATEGORIES}) when present, and the
 * {@code consent_<channel>} booleans used to decide who is reachable. A column that is absent
 * is simply not described; nothing fails.
 */
final class TraitColumns implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Category columns summarized as shares per value; all have few distinct values. */
  static final List<String> CATEGORIES = List.of("lifecycle_stage", "preferred_channel",
      "preferred_device", "preferred_os", "churn_risk_band", "top_category", "country");
  /** The synthetic category of the RFM grid, "R,F", when the score columns exist. */
  static final String RFM_CELL = "rfm_cell";
  /** (recency score, frequency score) column names tried in order for the RFM grid. */
  private static final List<List<String>> RFM_SCORES = List.of(List.of("r_score", "f_score"),
      List.of("rfm_r", "rfm_f"), List.of("recency_score", "frequency_score"));
  /** Numbers whose mean says nothing about a customer (coordinates, raw model inputs). */
  private static final Set<String> NOT_TRAITS = Set.of("lat", "lon", "latitude", "longitude",
      "employees_rank");

  static final String REVENUE = "monetary_total";
  static final String CLV = "predicted_clv_365d";
  static final String CHURN = "churn_risk";
  private static final String CONSENT_PREFIX = "consent_";

  private final List<String> numbers = new ArrayList<>();
  private final List<String> categories = new ArrayList<>();
  private final List<String> consentChannels = new ArrayList<>();
  private final @Nullable List<String> rfmScores;

  TraitColumns(Schema schema) {
    for (Schema.Field field : schema.getFields()) {
      String name = field.getName();
      Schema.TypeName type = field.getType().getTypeName();
      boolean numeric = type.isNumericType() || type == Schema.TypeName.BOOLEAN;
      if (numeric && !NOT_TRAITS.contains(name)) {
        numbers.add(name);
      }
      if (type == Schema.TypeName.BOOLEAN && name.startsWith(CONSENT_PREFIX)) {
        consentChannels.add(name.substring(CONSENT_PREFIX.length()));
      }
    }
    for (String category : CATEGORIES) {
      if (schema.hasField(category)
          && schema.getField(category).getType().getTypeName() == Schema.TypeName.STRING) {
        categories.add(category);
      }
    }
    List<String> rfm = null;
    for (List<String> pair : RFM_SCORES) {
      if (schema.hasField(pair.get(0)) && schema.hasField(pair.get(1))) {
        rfm = pair;
        categories.add(RFM_CELL);
        break;
      }
    }
    this.rfmScores = rfm;
  }

  List<String> numbers() {
    return numbers;
  }

  List<String> categories() {
    return categories;
  }

  /** Channels with a consent column, e.g. email for consent_email. */
  List<String> consentChannels() {
    return consentChannels;
  }

  int numberIndex(String column) {
    return numbers.indexOf(column);
  }

  int categoryIndex(String column) {
    return categories.indexOf(column);
  }

  MemberValues extract(Row row) {
    BigDecimal[] values = new BigDecimal[numbers.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = decimal(row.getValue(numbers.get(i)));
    }
    String[] cats = new String[categories.size()];
    for (int i = 0; i < cats.length; i++) {
      String column = categories.get(i);
      if (column.equals(RFM_CELL)) {
        Object r = row.getValue(rfmScores.get(0));
        Object f = row.getValue(rfmScores.get(1));
        cats[i] = r == null || f == null ? null : r + "," + f;
      } else {
        Object value = row.getValue(column);
        cats[i] = value == null ? null : value.toString();
      }
    }
    return new MemberValues(false, null, values, cats);
  }

  /**
   * Whether the customer consented on one of {@code channels} (every consent channel when the
   * plan names none); null when none of those channels has a consent column.
   */
  @Nullable Boolean reachable(Row row, List<String> channels) {
    List<String> candidates = channels.isEmpty() ? consentChannels : channels;
    Boolean reachable = null;
    for (String channel : candidates) {
      if (!consentChannels.contains(channel)) {
        continue;
      }
      Object consent = row.getValue(CONSENT_PREFIX + channel);
      if (Boolean.TRUE.equals(consent)) {
        return true;
      }
      reachable = false;
    }
    return reachable;
  }

  private static @Nullable BigDecimal decimal(@Nullable Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Boolean b) {
      return b ? BigDecimal.ONE : BigDecimal.ZERO;
    }
    if (value instanceof BigDecimal d) {
      return d;
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      // The shortest decimal that reads back as d: exact sums stay short.
      return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    }
    if (value instanceof Number n) {
      return BigDecimal.valueOf(n.longValue());
    }
    return null;
  }
}
