package dev.audiencesegmenter.identity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.model.CustomerEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;

/**
 * Every case of {@link ResolveIdentitiesTest} again with the graph resolved in distributed
 * rounds ({@link ResolveIdentities#withDistributedGraph}), and what only rounds can do: fail
 * when the graph has not converged.
 */
class ResolveIdentitiesDistributedTest extends ResolveIdentitiesTest {
  /** In few buckets, as the job on this runner ({@code --groups}); see {@link
   * ConnectedComponentsTest}, which keeps the default in one case. */
  @Override
  ResolveIdentities resolve() {
    return ResolveIdentities.create().withDistributedGraph().withBuckets(4);
  }

  /**
   * Without the Direct runner's per-bundle checks, as in {@link ConnectedComponentsTest}: they
   * walk the whole pipeline graph for every bundle, and the rounds make a graph of hundreds of
   * steps (minutes per case). The functions both paths share keep the checks in the base class.
   */
  @Override
  org.apache.beam.sdk.options.PipelineOptions options() {
    return ConnectedComponentsTest.fastDirectOptions();
  }

  @Test
  void failsLoudlyWhenTheGraphNeedsMoreRounds() throws Exception {
    org.apache.beam.runners.direct.DirectOptions options = org.apache.beam.sdk.options
        .PipelineOptionsFactory.create().as(org.apache.beam.runners.direct.DirectOptions.class);
    options.setBlockOnRun(false);
    org.apache.beam.sdk.Pipeline p = org.apache.beam.sdk.Pipeline.create(options);
    List<CustomerEvent> chain = new ArrayList<>();
    // u000 - e000 - u001 - e001 - ... : a path of 400 identifiers needs several rounds.
    for (int i = 0; i < 200; i++) {
      chain.add(event("a" + i, Map.of("user_id", String.format("u%03d", i),
          "email", String.format("e%03d@x.io", i))));
      chain.add(event("b" + i, Map.of("email", String.format("e%03d@x.io", i),
          "user_id", String.format("u%03d", i + 1))));
    }
    ResolveIdentities.inputs(p.apply(Create.of(chain)), null)
        .apply(resolve().withRules(IdentityRules.withoutLimits())
            .withMaxRounds(1));
    org.apache.beam.sdk.PipelineResult result = p.run();
    try {
      org.apache.beam.sdk.PipelineResult.State state =
          result.waitUntilFinish(org.joda.time.Duration.standardMinutes(2));
      // null: still running when the wait timed out.
      assertTrue(state == null || state == org.apache.beam.sdk.PipelineResult.State.RUNNING,
          "a run that did not converge must not finish, but it ended " + state);
      long unconverged = 0;
      for (org.apache.beam.sdk.metrics.MetricResult<Long> c : result.metrics().queryMetrics(
          org.apache.beam.sdk.metrics.MetricsFilter.builder().addNameFilter(
              org.apache.beam.sdk.metrics.MetricNameFilter.named(ConnectedComponents.class,
                  "identifiers_not_converged")).build()).getCounters()) {
        unconverged += c.getAttempted();
      }
      assertTrue(unconverged > 0, "the convergence check must have fired");
      result.cancel();
    } catch (PipelineExecutionException e) {
      assertTrue(e.getMessage().contains("did not converge in 1 rounds"), e.getMessage());
    }
  }
}
