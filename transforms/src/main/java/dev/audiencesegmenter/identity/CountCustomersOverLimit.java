package dev.audiencesegmenter.identity;

import dev.audiencesegmenter.model.CustomerIdentity;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;

/**
 * Counts customers that still hold more identifiers of a type than its limit after {@link
 * SplitOverLimitCustomers}: those too large to split. Reported as {@code customers_over_limit},
 * a check that should read 0.
 */
final class CountCustomersOverLimit extends PTransform<PCollection<CustomerIdentity>, PDone> {
  private final IdentityRules rules;

  CountCustomersOverLimit(IdentityRules rules) {
    this.rules = rules;
  }

  @Override
  public PDone expand(PCollection<CustomerIdentity> identities) {
    identities
        .apply("LimitedTypes", ParDo.of(new LimitedTypes(rules)))
        .apply("PerCustomerAndType", Count.perElement())
        .apply("OverLimit", ParDo.of(new OverLimit(rules)));
    return PDone.in(identities.getPipeline());
  }

  private static final class LimitedTypes extends DoFn<CustomerIdentity, KV<String, String>> {
    private final IdentityRules rules;

    LimitedTypes(IdentityRules rules) {
      this.rules = rules;
    }

    @ProcessElement
    public void process(@Element CustomerIdentity id, OutputReceiver<KV<String, String>> out) {
      if (rules.limit(id.getIdType()) != null) {
        out.output(KV.of(id.getCustomerId(), id.getIdType()));
      }
    }
  }

  private static final class OverLimit extends DoFn<KV<KV<String, String>, Long>, Void> {
    private final IdentityRules rules;
    private final Counter over = Metrics.counter(ResolveIdentities.class, "customers_over_limit");

    OverLimit(IdentityRules rules) {
      this.rules = rules;
    }

    @ProcessElement
    public void process(@Element KV<KV<String, String>, Long> count) {
      Integer limit = rules.limit(count.getKey().getValue());
      if (limit != null && count.getValue() > limit) {
        over.inc();
      }
    }
  }
}
