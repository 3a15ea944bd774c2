package dev.audiencesegmenter.batch;

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
  /** Distinct purchase days in the holdout period; 0 when no holdout is validated. */
  final long holdoutDays;
  /** Bought in the outcome window after the previous run (response measurement). */
  final boolean converted;

  CustomerBase(CustomerFeatures features, @Nullable PurchaseSummary purchases, long holdoutDays,
      boolean converted) {
    this.features = features;
    this.purchases = purchases;
    this.holdoutDays = holdoutDays;
    this.converted = converted;
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
      PurchaseSummary s = c.purchases;
      b.putBoolean(s != null);
      if (s != null) {
        b.putLong(s.x()).putDouble(s.tx()).putDouble(s.t()).putDecimal(s.meanRepeatValue());
      }
      b.putLong(c.holdoutDays).putBoolean(c.converted);
      b.writeTo(out);
    }

    @Override
    public CustomerBase decode(InputStream in) throws IOException {
      CustomerFeatures f = features.decode(in);
      CompactBytes b = CompactBytes.readFrom(in);
      PurchaseSummary s = b.getBoolean()
          ? new PurchaseSummary(b.getLong(), b.getDouble(), b.getDouble(), b.getDecimal())
          : null;
      CustomerBase c = new CustomerBase(f, s, b.getLong(), b.getBoolean());
      b.checkFullyRead();
      return c;
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
