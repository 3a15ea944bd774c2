package dev.audiencesegmenter.streaming;

import com.google.auto.value.AutoValue;
import dev.audiencesegmenter.model.CustomerEvent;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.schemas.annotations.SchemaCreate;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What flows between the stateful steps of {@link SegmentContinuously}, keyed by an anchor or
 * a customer id: an event, a redirect of an anchor's events to another customer, or the end
 * of a customer that merged into another. {@code sequence} orders redirects and merges, which
 * a runner may deliver out of order.
 */
@DefaultSchema(AutoValueSchema.class)
@AutoValue
public abstract class CustomerUpdate {
  public abstract @Nullable CustomerEvent getEvent();

  /** For an anchor: the customer its events now belong to. */
  public abstract @Nullable String getRedirectTo();

  /** For a customer: the customer it merged into. */
  public abstract @Nullable String getMergedInto();

  public abstract long getSequence();

  static CustomerUpdate event(CustomerEvent event) {
    return new AutoValue_CustomerUpdate(event, null, null, 0);
  }

  static CustomerUpdate redirect(String customerId, long sequence) {
    return new AutoValue_CustomerUpdate(null, customerId, null, sequence);
  }

  static CustomerUpdate mergedInto(String customerId, long sequence) {
    return new AutoValue_CustomerUpdate(null, null, customerId, sequence);
  }

  @SchemaCreate
  public static CustomerUpdate create(@Nullable CustomerEvent event, @Nullable String redirectTo,
      @Nullable String mergedInto, long sequence) {
    return new AutoValue_CustomerUpdate(event, redirectTo, mergedInto, sequence);
  }
}
