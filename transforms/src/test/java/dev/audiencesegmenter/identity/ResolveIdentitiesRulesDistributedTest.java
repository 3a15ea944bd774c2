package dev.audiencesegmenter.identity;

/**
 * Every case of {@link ResolveIdentitiesRulesTest} again with the graph resolved in distributed
 * rounds ({@link ResolveIdentities#withDistributedGraph}).
 */
class ResolveIdentitiesRulesDistributedTest extends ResolveIdentitiesRulesTest {
  @Override
  ResolveIdentities resolve() {
    return ResolveIdentities.create().withDistributedGraph();
  }
}
