package dev.audiencesegmenter.features;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.CustomerFeatures;
import dev.audiencesegmenter.model.ProfileAttributes;
import java.io.Serializable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One customer's features row, folded from its events and profile records one at a time, in any
 * order: what {@link ComputeCustomerFeatures} followed by {@link AddProfileTraits} computes,
 * for a flow that already holds each customer's records together (a group of customers on one
 * worker). The same functions and the same counters as those transforms; value, lifecycle and
 * population columns are left to later steps.
 *
 * <pre>{@code
 * CustomerFeaturesFold fold = CustomerFeaturesFold.of(ComputeCustomerFeatures.create().withAsOf(asOf));
 * CustomerFeaturesFold.State state = fold.newState();
 * events.forEach(e -> fold.addEvent(state, e));
 * profiles.forEach(p -> fold.addProfile(state, p));
 * CustomerFeatures row = fold.features("c-1", state); // null: no event before asOf
 * }</pre>
 */
public final class CustomerFeaturesFold implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FeatureSettings settings;
  private final CustomerFeaturesFn events;
  private final ProfileTraitsFn traits = new ProfileTraitsFn();

  private final Counter counted = Metrics.counter(ComputeCustomerFeatures.class,
      "events_counted");
  private final Counter after = Metrics.counter(ComputeCustomerFeatures.class,
      "events_after_as_of");
  private final Counter customers = Metrics.counter(ComputeCustomerFeatures.class,
      "customers");
  private final Counter distinctCapped = Metrics.counter(ComputeCustomerFeatures.class,
      "customers_distinct_estimated");
  private final Counter interestsCapped = Metrics.counter(ComputeCustomerFeatures.class,
      "customers_interests_folded");
  private final Counter profilesAfter = Metrics.counter(AddProfileTraits.class,
      "profiles_after_as_of");
  private final Counter badConsent = Metrics.counter(AddProfileTraits.class,
      "consent_values_unreadable");
  private final Counter unreadable = Metrics.counter(AddProfileTraits.class,
      "traits_unreadable");
  private final Counter withTraits = Metrics.counter(AddProfileTraits.class,
      "customers_with_traits");

  private CustomerFeaturesFold(FeatureSettings settings) {
    this.settings = settings;
    this.events = new CustomerFeaturesFn(settings);
  }

  /** With the settings of {@code config}, which must have its asOf. */
  public static CustomerFeaturesFold of(ComputeCustomerFeatures config) {
    if (config == null) {
      throw new IllegalArgumentException("feature settings must not be null");
    }
    return new CustomerFeaturesFold(config.settings());
  }

  /** The run's "now", epoch milliseconds (exclusive). */
  public long asOfMillis() {
    return settings.asOf();
  }

  /** What is kept of one customer while its records are folded: never the records. */
  public static final class State {
    private @Nullable FeatureAccumulator events;
    private @Nullable LatestValues traits;
  }

  public State newState() {
    return new State();
  }

  /**
   * Counts an event before asOf into the features, and its consent signals (whatever its time:
   * a later opt-out counts) into the traits.
   */
  public void addEvent(State state, CustomerEvent event) {
    if (event.getEventTime().getMillis() < settings.asOf()) {
      counted.inc();
      if (state.events == null) {
        state.events = events.createAccumulator();
      }
      events.addInput(state.events, event);
    } else {
      after.inc();
    }
    ProfileAttributes consent = AddProfileTraits.consentOf(event);
    if (consent != null) {
      addTraits(state, consent);
    }
  }

  /**
   * Adds a profile record's traits (names normalized; of a record at or after asOf only its
   * consent).
   */
  public void addProfile(State state, ProfileAttributes profile) {
    ProfileAttributes normalized = AddProfileTraits.normalized(profile, settings.asOf(),
        badConsent::inc);
    if (normalized == null) {
      profilesAfter.inc();
      return;
    }
    addTraits(state, normalized);
  }

  private void addTraits(State state, ProfileAttributes update) {
    if (state.traits == null) {
      state.traits = traits.createAccumulator();
    }
    traits.addInput(state.traits, update);
  }

  /**
   * The customer's features with its profile columns; null when it has no event before asOf
   * (such a customer has no features row).
   */
  public @Nullable CustomerFeatures features(String customerId, State state) {
    FeatureAccumulator a = state.events;
    if (a == null) {
      return null;
    }
    customers.inc();
    if (a.products.overflowed() || a.features.overflowed()) {
      distinctCapped.inc();
    }
    if (a.interests.other() > 0 || a.devices.other() > 0 || a.oses.other() > 0) {
      interestsCapped.inc();
    }
    CustomerFeatures row = ComputeCustomerFeatures.toFeatures(customerId, a, settings);
    if (state.traits == null) {
      return row;
    }
    withTraits.inc();
    return AddProfileTraits.filled(row, state.traits, unreadable::inc);
  }
}
