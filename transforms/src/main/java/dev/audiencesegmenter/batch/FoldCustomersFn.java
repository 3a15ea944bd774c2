package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.churn.ActivityHistory;
import dev.audiencesegmenter.churn.SubscriptionHistory;
import dev.audiencesegmenter.clv.CustomerPurchases;
import dev.audiencesegmenter.clv.HoldoutPurchases;
import dev.audiencesegmenter.features.CustomerFeaturesFold;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.DeadLetter;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import dev.audiencesegmenter.progress.ProgressLog;
import dev.audiencesegmenter.report.ConvertedCustomers;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Folds one group of customers (a hash bucket of customer ids) record by record: each
 * customer's features row with its profile columns, and its purchase statistics. Memory is one
 * fold state per customer of the group, never the records. Records that belong to no customer
 * arrive as dead letters and leave as such.
 */
final class FoldCustomersFn extends DoFn<KV<Integer, Iterable<byte[]>>, CustomerBase> {
  static final TupleTag<CustomerBase> BASE = new TupleTag<>("customers") {};

  private final CustomerFeaturesFold fold;
  private final Instant asOf;
  private final long outcomeFrom;
  private final long holdoutEnd;
  private final @Nullable Instant backtestFrom;
  private final TupleTag<DeadLetter> deadLetterTag;
  private transient ProgressLog.Count recordsFolded;
  private transient ProgressLog.Count customersFolded;
  private final Counter outcomePurchases = Metrics.counter(ConvertedCustomers.class,
      "purchases_in_outcome_window");

  /**
   * {@code outcomeFrom}: start of the response window [outcomeFrom, asOf), or null;
   * {@code holdoutEnd}: end of the holdout period [asOf, holdoutEnd), or null;
   * {@code backtestFrom}: start of the backtest [backtestFrom, asOf) that chooses the purchase
   * model, or null.
   */
  FoldCustomersFn(CustomerFeaturesFold fold, @Nullable Instant outcomeFrom,
      @Nullable Instant holdoutEnd, @Nullable Instant backtestFrom,
      TupleTag<DeadLetter> deadLetterTag) {
    this.fold = fold;
    this.asOf = new Instant(fold.asOfMillis());
    this.outcomeFrom = outcomeFrom == null ? Long.MAX_VALUE : outcomeFrom.getMillis();
    this.holdoutEnd = holdoutEnd == null ? Long.MIN_VALUE : holdoutEnd.getMillis();
    this.backtestFrom = backtestFrom;
    this.deadLetterTag = deadLetterTag;
  }

  private static final class Customer {
    final CustomerFeaturesFold.State features;
    final CustomerPurchases purchases;
    final ActivityHistory activity;
    final SubscriptionHistory subscription;
    final @Nullable CustomerPurchases backtest;
    @Nullable HoldoutPurchases holdout;
    @Nullable HoldoutPurchases backtestPeriod;
    boolean converted;

    Customer(CustomerFeaturesFold.State features, Instant asOf,
        @Nullable Instant backtestFrom) {
      this.features = features;
      this.purchases = new CustomerPurchases(asOf);
      this.activity = new ActivityHistory(asOf.getMillis());
      this.subscription = new SubscriptionHistory(asOf.getMillis());
      this.backtest = backtestFrom == null ? null : new CustomerPurchases(backtestFrom);
    }
  }

  /** The response window and the holdout period look at purchases after asOf or before it. */
  private void addOutcomes(Customer c, CustomerEvent e) {
    if (!EventTypes.PURCHASE.equals(e.getEventType())) {
      return;
    }
    long t = e.getEventTime().getMillis();
    if (t >= outcomeFrom && t < asOf.getMillis()) {
      outcomePurchases.inc();
      c.converted = true;
    }
    if (t >= asOf.getMillis() && t < holdoutEnd) {
      if (c.holdout == null) {
        c.holdout = new HoldoutPurchases(asOf.getMillis());
      }
      c.holdout.add(e);
    }
    if (c.backtest != null) {
      c.backtest.add(e);
      if (t >= backtestFrom.getMillis() && t < asOf.getMillis()) {
        if (c.backtestPeriod == null) {
          c.backtestPeriod = new HoldoutPurchases(backtestFrom.getMillis());
        }
        c.backtestPeriod.add(e);
      }
    }
  }

  private static HoldoutPurchases.Outcome outcome(@Nullable HoldoutPurchases period) {
    return period == null ? HoldoutPurchases.Outcome.NONE : period.outcome();
  }

  @Setup
  public void setup() {
    recordsFolded = ProgressLog.count("records folded into customers");
    customersFolded = ProgressLog.count("customers folded");
  }

  @ProcessElement
  public void process(@Element KV<Integer, Iterable<byte[]>> group,
      MultiOutputReceiver out) {
    Map<String, Customer> customers = new HashMap<>();
    for (CustomerRecord r : CustomerRecord.decodeAll(group.getValue())) {
      recordsFolded.add(1);
      if (r.deadLetter != null) {
        out.get(deadLetterTag).output(r.deadLetter);
        continue;
      }
      Customer c = customers.computeIfAbsent(r.customerId,
          id -> new Customer(fold.newState(), asOf, backtestFrom));
      if (r.event != null) {
        fold.addEvent(c.features, r.event);
        c.purchases.add(r.event);
        if (!EventTypes.isOutbound(r.event.getEventType())) {
          c.activity.add(r.event.getEventTime().getMillis());
        }
        c.subscription.add(r.event.getEventType(), r.event.getEventTime().getMillis());
        addOutcomes(c, r.event);
      } else {
        fold.addProfile(c.features, r.profile);
      }
    }
    customersFolded.add(customers.size());
    for (Map.Entry<String, Customer> e : customers.entrySet()) {
      CustomerFeatures row = fold.features(e.getKey(), e.getValue().features);
      if (row != null) {
        Customer c = e.getValue();
        out.get(BASE).output(new CustomerBase(row, c.purchases.summary(),
            outcome(c.holdout), c.converted, c.activity,
            c.backtest == null ? null : c.backtest.summary(), outcome(c.backtestPeriod),
            c.subscription));
      }
    }
  }
}
