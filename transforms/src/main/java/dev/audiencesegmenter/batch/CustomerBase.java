package dev.audiencesegmenter.batch;

import dev.audiencesegmenter.churn.ActivityHistory;
import dev.audiencesegmenter.churn.SubscriptionHistory;
import dev.audiencesegmenter.clv.HoldoutPurchases;
import dev.audiencesegmenter.clv.PurchaseSummary;
import dev.audiencesegmenter.model.CompactBytes;
import dev.audiencesegmenter.model.CustomerFeatures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A customer as the fold leaves it: the features row with its profile columns, and the purchase
 * statistics the value models read (null without a purchase before asOf).
 */
final class CustomerBase {
  final CustomerFeatures features;
  final @Nullable PurchaseSummary purchases;
  /** Purchases in the holdout period; none when no holdout is validated. */
  final HoldoutPurchases.Outcome holdout;
  /** Bought in the outcome window after the previous run (response measurement). */
  final boolean converted;
  /** Engagement before asOf, for the churn risk of customers who never bought. */
  final ActivityHistory activity;
  /**
   * The purchase statistics at the start of the backtest that chooses the purchase model (null
   * without a purchase before it, or without a backtest), and the purchases from there to asOf.
   */
  final @Nullable PurchaseSummary backtest;
  final HoldoutPurchases.Outcome backtestPeriod;
  /** Subscription start and cancellation, for the sBG churn risk of subscribers. */
  final SubscriptionHistory subscription;

  CustomerBase(CustomerFeatures features, @Nullable PurchaseSummary purchases,
      HoldoutPurchases.Outcome holdout, boolean converted, ActivityHistory activity,
      @Nullable PurchaseSummary backtest, HoldoutPurchases.Outcome backtestPeriod,
      SubscriptionHistory subscription) {
    this.features = features;
    this.purchases = purchases;
    this.holdout = holdout;
    this.converted = converted;
    this.activity = activity;
    this.backtest = backtest;
    this.backtestPeriod = backtestPeriod;
    this.subscription = subscription;
  }

  /** The features with their own coder, then the statistics. */
  static final class Coder extends CustomCoder<CustomerBase> {
    private final org.apache.beam.sdk.coders.Coder<CustomerFeatures> features;

    Coder(org.apache.beam.sdk.coders.Coder<CustomerFeatures> features) {
      this.features = features;
    }

    @Override
    public void encode(CustomerBase c, OutputStream out) throws IOException {
      features.encode(c.features, out);
      CompactBytes b = CompactBytes.writer();
      putSummary(b, c.purchases);
      c.holdout.writeTo(b);
      b.putBoolean(c.converted);
      putSummary(b, c.backtest);
      c.backtestPeriod.writeTo(b);
      b.writeTo(out);
      ActivityHistory.coder().encode(c.activity, out);
      SubscriptionHistory.coder().encode(c.subscription, out);
    }

    @Override
    public CustomerBase decode(InputStream in) throws IOException {
      CustomerFeatures f = features.decode(in);
      CompactBytes b = CompactBytes.readFrom(in);
      PurchaseSummary s = getSummary(b);
      HoldoutPurchases.Outcome holdout = HoldoutPurchases.Outcome.readFrom(b);
      boolean converted = b.getBoolean();
      PurchaseSummary backtest = getSummary(b);
      HoldoutPurchases.Outcome backtestPeriod = HoldoutPurchases.Outcome.readFrom(b);
      b.checkFullyRead();
      return new CustomerBase(f, s, holdout, converted, ActivityHistory.coder().decode(in),
          backtest, backtestPeriod, SubscriptionHistory.coder().decode(in));
    }

    private static void putSummary(CompactBytes b, @Nullable PurchaseSummary s) {
      b.putBoolean(s != null);
      if (s != null) {
        b.putLong(s.x()).putDouble(s.tx()).putDouble(s.t()).putDecimal(s.meanRepeatValue());
      }
    }

    private static @Nullable PurchaseSummary getSummary(CompactBytes b) throws IOException {
      return b.getBoolean()
          ? new PurchaseSummary(b.getLong(), b.getDouble(), b.getDouble(), b.getDecimal())
          : null;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Coder c && c.features.equals(features);
    }

    @Override
    public int hashCode() {
      return features.hashCode();
    }
  }
}
