package dev.audiencesegmenter.identity;

/**
 * Every case of {@link ResolveIdentitiesRulesTest} again with the graph resolved in distributed
 * rounds ({@link ResolveIdentities#withDistributedGraph}).
 */
class ResolveIdentitiesRulesDistributedTest extends ResolveIdentitiesRulesTest {
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
}
