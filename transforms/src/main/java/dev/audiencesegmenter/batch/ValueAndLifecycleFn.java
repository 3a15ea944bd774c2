package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.clv.AddCustomerValue;
import dev.audiencesegmenter.clv.ValueModels;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.PCollectionView;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Per customer: the value columns from the fitted models (a side input; customers without a
 * purchase keep them null), then the lifecycle stage, which reads p_alive.
 */
final class ValueAndLifecycleFn extends DoFn<CustomerBase, CustomerFeatures> {
  private final @Nullable PCollectionView<ValueModels> models;
  private final AssignLifecycleStage lifecycle;
  private final Map<String, Counter> stages = new HashMap<>();

  ValueAndLifecycleFn(@Nullable PCollectionView<ValueModels> models,
      AssignLifecycleStage lifecycle) {
    this.models = models;
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
      f = AddCustomerValue.withValue(f, c.sideInput(models).predict(customer.purchases));
    }
    String stage = lifecycle.stageOf(f.getTenureDays(), f.getDaysInactive(),
        f.getReactivationGapDays(), f.getPAlive());
    stages.get(stage).inc();
    c.output(f.toBuilder().setLifecycleStage(stage).build());
  }
}
