package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.churn.EngagementChurn;
import dev.audiencesegmenter.churn.EngagementChurnTable;
import dev.audiencesegmenter.churn.SubscriptionChurn;
import dev.audiencesegmenter.clv.AddCustomerValue;
import dev.audiencesegmenter.clv.PurchaseCovariates;
import dev.audiencesegmenter.clv.ValueModels;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Per customer: the value columns from the fitted models (a side input), or for a customer
 * without a purchase the engagement churn risk (the calibrated table, a side input; the other
 * value columns stay null); for an active subscriber the sBG churn risk replaces either. Then
 * the lifecycle stage, which reads p_alive.
 */
final class ValueAndLifecycleFn extends DoFn<CustomerBase, CustomerFeatures> {
  private final @Nullable PCollectionView<ValueModels> models;
  private final @Nullable PCollectionView<EngagementChurnTable> churn;
  private final @Nullable PCollectionView<SubscriptionChurn> subscriptions;
  private final AssignLifecycleStage lifecycle;
  /** The purchase covariates of the value models; empty without. */
  private final List<String> covariates;
  private final Map<String, Counter> stages = new HashMap<>();
  private final Counter engagementRisks =
      Metrics.counter(EngagementChurnTable.class, "engagement_churn_risks");
  private final Counter subscriptionRisks =
      Metrics.counter(SubscriptionChurn.class, "subscription_churn_risks");

  ValueAndLifecycleFn(@Nullable PCollectionView<ValueModels> models,
      @Nullable PCollectionView<EngagementChurnTable> churn,
      @Nullable PCollectionView<SubscriptionChurn> subscriptions,
      AssignLifecycleStage lifecycle, List<String> covariates) {
    this.models = models;
    this.covariates = covariates;
    this.churn = churn;
    this.subscriptions = subscriptions;
    this.lifecycle = lifecycle;
    for (String stage : new String[] {AssignLifecycleStage.NEW, AssignLifecycleStage.ACTIVE,
        AssignLifecycleStage.AT_RISK, AssignLifecycleStage.CHURNED,
        AssignLifecycleStage.REACTIVATED}) {
      stages.put(stage, Metrics.counter(AssignLifecycleStage.class, "customers_" + stage));
    }
  }

  @ProcessElement
  public void process(ProcessContext c) {
    CustomerBase customer = c.element();
    CustomerFeatures f = customer.features;
    if (models != null && customer.purchases != null) {
      f = AddCustomerValue.withValue(f, c.sideInput(models).predict(customer.purchases,
          covariates.isEmpty() ? null : PurchaseCovariates.cellOf(f, covariates)));
    } else if (churn != null) {
      CustomerFeatures withRisk = EngagementChurn.withChurnRisk(f, c.sideInput(churn),
          customer.activity);
      if (withRisk != f) {
        engagementRisks.inc();
        f = withRisk;
      }
    }
    if (subscriptions != null && customer.subscription.active()) {
      CustomerFeatures withRisk = c.sideInput(subscriptions).withChurnRisk(f,
          customer.subscription);
      if (withRisk != f) {
        subscriptionRisks.inc();
        f = withRisk;
      }
    }
    String stage = lifecycle.stageOf(f.getTenureDays(), f.getDaysInactive(),
        f.getReactivationGapDays(), f.getPAlive());
    stages.get(stage).inc();
    c.output(f.toBuilder().setLifecycleStage(stage).build());
  }
}
