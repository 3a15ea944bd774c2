package dev.audiencesegmenter.features;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.lineage.FilledColumns;
import dev.audiencesegmenter.model.CustomerFeatures;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PCollection;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Sets {@code lifecycle_stage} from activity gaps and, when the value models ran, P(alive).
 * Apply it after {@code AddCustomerValue} (without value models p_alive is null and only the
 * gaps decide). "Inactive days" is {@code days_inactive}, or {@code tenure_days} for a customer
 * who never did anything themselves (only received messages). The first rule that holds wins:
 *
 * <pre>{@code
 * PCollection<CustomerFeatures> staged = features.apply(AssignLifecycleStage.create()
 *     .withNewDays(30).withInactivityDays(60, 180).withPAliveThresholds(0.5, 0.1));
 * }</pre>
 *
 * <ol>
 *   <li>{@code new}: {@code tenure_days < newDays};
 *   <li>{@code churned}: inactive days {@code >= churnDays};
 *   <li>{@code reactivated}: {@code reactivation_gap_days >= churnDays} (came back within the
 *       reactivation window after a gap long enough to count as churned);
 *   <li>{@code churned}: {@code p_alive < churnPAlive};
 *   <li>{@code at_risk}: inactive days {@code >= atRiskDays} or {@code p_alive < atRiskPAlive};
 *   <li>{@code active}: otherwise.
 * </ol>
 *
 * <p>Defaults (e-commerce, in days): new 30, at risk 60, churned 180, P(alive) at risk below
 * 0.5, churned below 0.1. For SaaS, weeks of inactivity matter: e.g. 14 / 28.
 */
@AutoValue
public abstract class AssignLifecycleStage
    extends PTransform<PCollection<CustomerFeatures>, PCollection<CustomerFeatures>> {
  public static final String NEW = "new";
  public static final String ACTIVE = "active";
  public static final String AT_RISK = "at_risk";
  public static final String CHURNED = "churned";
  public static final String REACTIVATED = "reactivated";

  public abstract int getNewDays();

  public abstract int getAtRiskDays();

  public abstract int getChurnDays();

  public abstract double getAtRiskPAlive();

  public abstract double getChurnPAlive();

  abstract Builder toBuilder();

  public static AssignLifecycleStage create() {
    return new AutoValue_AssignLifecycleStage.Builder().setNewDays(30).setAtRiskDays(60)
        .setChurnDays(180).setAtRiskPAlive(0.5).setChurnPAlive(0.1).build().validated();
  }

  /** Customers first seen fewer than this many days before asOf are new; at least 1. */
  public AssignLifecycleStage withNewDays(int days) {
    return toBuilder().setNewDays(days).build().validated();
  }

  /**
   * Inactive {@code atRiskDays} or more: at risk; {@code churnDays} or more: churned (and a
   * return after a gap of {@code churnDays} or more: reactivated). {@code 1 <= atRiskDays <
   * churnDays}.
   */
  public AssignLifecycleStage withInactivityDays(int atRiskDays, int churnDays) {
    return toBuilder().setAtRiskDays(atRiskDays).setChurnDays(churnDays).build().validated();
  }

  /**
   * P(alive) below {@code atRiskBelow}: at risk; below {@code churnBelow}: churned.
   * {@code 0 <= churnBelow <= atRiskBelow <= 1}; (0, 0) turns P(alive) off.
   */
  public AssignLifecycleStage withPAliveThresholds(double atRiskBelow, double churnBelow) {
    return toBuilder().setAtRiskPAlive(atRiskBelow).setChurnPAlive(churnBelow).build()
        .validated();
  }

  private AssignLifecycleStage validated() {
    if (getNewDays() < 1) {
      throw new IllegalArgumentException("lifecycle newDays must be at least 1, was "
          + getNewDays());
    }
    if (getAtRiskDays() < 1 || getAtRiskDays() >= getChurnDays()) {
      throw new IllegalArgumentException("lifecycle atRiskDays (" + getAtRiskDays()
          + ") must be at least 1 and below churnDays (" + getChurnDays() + ")");
    }
    if (!(getChurnPAlive() >= 0 && getChurnPAlive() <= getAtRiskPAlive()
        && getAtRiskPAlive() <= 1)) {
      throw new IllegalArgumentException("lifecycle P(alive) thresholds must satisfy 0 <= "
          + "churnPAlive (" + getChurnPAlive() + ") <= atRiskPAlive (" + getAtRiskPAlive()
          + ") <= 1");
    }
    return this;
  }

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setNewDays(int days);

    abstract Builder setAtRiskDays(int days);

    abstract Builder setChurnDays(int days);

    abstract Builder setAtRiskPAlive(double pAlive);

    abstract Builder setChurnPAlive(double pAlive);

    abstract AssignLifecycleStage build();
  }

  /** The stage of one customer by the rules above. */
  public String stageOf(long tenureDays, @Nullable Long daysInactive,
      @Nullable Long reactivationGapDays, @Nullable Double pAlive) {
    long inactive = daysInactive != null ? daysInactive : tenureDays;
    if (tenureDays < getNewDays()) {
      return NEW;
    }
    if (inactive >= getChurnDays()) {
      return CHURNED;
    }
    if (reactivationGapDays != null && reactivationGapDays >= getChurnDays()) {
      return REACTIVATED;
    }
    if (pAlive != null && pAlive < getChurnPAlive()) {
      return CHURNED;
    }
    if (inactive >= getAtRiskDays() || (pAlive != null && pAlive < getAtRiskPAlive())) {
      return AT_RISK;
    }
    return ACTIVE;
  }

  @Override
  public void populateDisplayData(DisplayData.Builder builder) {
    super.populateDisplayData(builder);
    builder.add(DisplayData.item("newDays", getNewDays()))
        .add(DisplayData.item("atRiskDays", getAtRiskDays()))
        .add(DisplayData.item("churnDays", getChurnDays()))
        .add(DisplayData.item("atRiskPAlive", getAtRiskPAlive()))
        .add(DisplayData.item("churnPAlive", getChurnPAlive()));
  }

  @Override
  public PCollection<CustomerFeatures> expand(PCollection<CustomerFeatures> features) {
    return FilledColumns.mark(
        features.apply("SetLifecycleStage", ParDo.of(new SetStage(this)))
            .setCoder(features.getCoder()),
        "AssignLifecycleStage", FilledColumns.filledBy("AssignLifecycleStage"));
  }

  private static final class SetStage extends DoFn<CustomerFeatures, CustomerFeatures> {
    private final AssignLifecycleStage rules;
    private final Counter newCustomers = counter(NEW);
    private final Counter active = counter(ACTIVE);
    private final Counter atRisk = counter(AT_RISK);
    private final Counter churned = counter(CHURNED);
    private final Counter reactivated = counter(REACTIVATED);

    SetStage(AssignLifecycleStage rules) {
      this.rules = rules;
    }

    private static Counter counter(String stage) {
      return Metrics.counter(AssignLifecycleStage.class, "customers_" + stage);
    }

    @ProcessElement
    public void process(@Element CustomerFeatures f, OutputReceiver<CustomerFeatures> out) {
      String stage = rules.stageOf(f.getTenureDays(), f.getDaysInactive(),
          f.getReactivationGapDays(), f.getPAlive());
      switch (stage) {
        case NEW -> newCustomers.inc();
        case ACTIVE -> active.inc();
        case AT_RISK -> atRisk.inc();
        case CHURNED -> churned.inc();
        default -> reactivated.inc();
      }
      out.output(f.toBuilder().setLifecycleStage(stage).build());
    }
  }
}
