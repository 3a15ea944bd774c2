package dev.audiencesegmenter.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * A hand-written coder for {@link CustomerFeatures}: every column in schema order in one
 * compact block ({@link CompactBytes}), for the job's internal steps (a schema coder builds a
 * row per encode and decode). {@code CustomerFeaturesCoderTest} fails when a column is added
 * here but not there, or the other way round.
 */
public final class CustomerFeaturesCoder extends AtomicCoder<CustomerFeatures> {
  private static final CustomerFeaturesCoder INSTANCE = new CustomerFeaturesCoder();

  private CustomerFeaturesCoder() {}

  public static CustomerFeaturesCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(CustomerFeatures f, OutputStream out) throws IOException {
    CompactBytes b = CompactBytes.writer();
    b.putString(f.getCustomerId());
    b.putLong(f.getFirstSeen().getMillis());
    b.putLong(f.getLastSeen().getMillis());
    b.putLong(f.getTenureDays());
    putLong(b, f.getRecencyDays());
    b.putLong(f.getFrequency());
    b.putDecimal(f.getMonetaryTotal());
    b.putDecimal(f.getMonetaryAvg());
    b.putLong(f.getPurchases30d());
    b.putLong(f.getPurchases90d());
    b.putLong(f.getPurchases180d());
    b.putLong(f.getPurchases365d());
    b.putLong(f.getEmailOpens90d());
    b.putLong(f.getEmailClicks90d());
    b.putLong(f.getSiteVisits30d());
    b.putLong(f.getSiteVisits90d());
    b.putBoolean(f.getCartAbandoned24h());
    putLong(b, f.getRepeatPurchases());
    putDouble(b, f.getRecencyWeeks());
    putDouble(b, f.getAgeWeeks());
    b.putDecimal(f.getMeanRepeatValue());
    putDouble(b, f.getPAlive());
    putDouble(b, f.getChurnRisk());
    b.putString(f.getChurnRiskBand());
    putDouble(b, f.getExpectedPurchases90d());
    putDouble(b, f.getExpectedPurchases365d());
    putDouble(b, f.getExpectedAvgOrderValue());
    putDouble(b, f.getPredictedClv365d());
    putLong(b, f.getRScore() == null ? null : (long) f.getRScore());
    putLong(b, f.getFScore() == null ? null : (long) f.getFScore());
    putLong(b, f.getMScore() == null ? null : (long) f.getMScore());
    b.putString(f.getRfmSegment());
    b.putString(f.getValueTier());
    putLong(b, f.getCluster() == null ? null : (long) f.getCluster());
    putDouble(b, f.getLookalikeScore());
    b.putByte(f.getLookalikeSelected() == null ? 2 : f.getLookalikeSelected() ? 1 : 0);
    b.putString(f.getLookalikeReason());
    b.putDecimal(f.getRefundsTotal());
    b.putDecimal(f.getAverageOrderValue());
    b.putLong(f.getDistinctProducts());
    b.putLong(f.getEmailSent90d());
    putDouble(b, f.getEmailOpenRate90d());
    putDouble(b, f.getEmailClickRate90d());
    b.putLong(f.getPageViews30d());
    b.putLong(f.getFeatureUses30d());
    b.putLong(f.getDistinctFeaturesUsed());
    putDouble(b, f.getFeatureAdoptionRate());
    b.putString(f.getPreferredChannel());
    b.putString(f.getPreferredDevice());
    b.putString(f.getPreferredOs());
    b.putString(f.getTopCategory());
    putDouble(b, f.getTopCategoryShare());
    b.putString(f.getCategoryAffinities());
    b.putDouble(f.getEngagementScore());
    putLong(b, f.getDaysInactive());
    putLong(b, f.getReactivationGapDays());
    b.putString(f.getLifecycleStage());
    b.putString(f.getCountry());
    b.putString(f.getCity());
    putDouble(b, f.getLat());
    putDouble(b, f.getLon());
    b.putString(f.getCompany());
    b.putString(f.getIndustry());
    putLong(b, f.getEmployees());
    b.putStringMap(f.getTraits());
    b.putByte(f.getConsentEmail() == null ? 2 : f.getConsentEmail() ? 1 : 0);
    b.putByte(f.getConsentSms() == null ? 2 : f.getConsentSms() ? 1 : 0);
    b.putByte(f.getConsentPush() == null ? 2 : f.getConsentPush() ? 1 : 0);
    b.putByte(f.getConsentTracking() == null ? 2 : f.getConsentTracking() ? 1 : 0);
    b.putString(f.getEngagementTier());
    b.putString(f.getChurnModel());
    putDouble(b, f.getDiscountedRemainingPeriods());
    b.writeTo(out);
  }

  @Override
  public CustomerFeatures decode(InputStream in) throws IOException {
    CompactBytes b = CompactBytes.readFrom(in);
    CustomerFeatures f = CustomerFeatures.builder()
        .setCustomerId(b.getString())
        .setFirstSeen(new Instant(b.getLong()))
        .setLastSeen(new Instant(b.getLong()))
        .setTenureDays(b.getLong())
        .setRecencyDays(b.getBoolean() ? b.getLong() : null)
        .setFrequency(b.getLong())
        .setMonetaryTotal(b.getDecimal())
        .setMonetaryAvg(b.getDecimal())
        .setPurchases30d(b.getLong())
        .setPurchases90d(b.getLong())
        .setPurchases180d(b.getLong())
        .setPurchases365d(b.getLong())
        .setEmailOpens90d(b.getLong())
        .setEmailClicks90d(b.getLong())
        .setSiteVisits30d(b.getLong())
        .setSiteVisits90d(b.getLong())
        .setCartAbandoned24h(b.getBoolean())
        .setRepeatPurchases(b.getBoolean() ? b.getLong() : null)
        .setRecencyWeeks(b.getBoolean() ? b.getDouble() : null)
        .setAgeWeeks(b.getBoolean() ? b.getDouble() : null)
        .setMeanRepeatValue(b.getDecimal())
        .setPAlive(b.getBoolean() ? b.getDouble() : null)
        .setChurnRisk(b.getBoolean() ? b.getDouble() : null)
        .setChurnRiskBand(b.getString())
        .setExpectedPurchases90d(b.getBoolean() ? b.getDouble() : null)
        .setExpectedPurchases365d(b.getBoolean() ? b.getDouble() : null)
        .setExpectedAvgOrderValue(b.getBoolean() ? b.getDouble() : null)
        .setPredictedClv365d(b.getBoolean() ? b.getDouble() : null)
        .setRScore(b.getBoolean() ? b.getInt() : null)
        .setFScore(b.getBoolean() ? b.getInt() : null)
        .setMScore(b.getBoolean() ? b.getInt() : null)
        .setRfmSegment(b.getString())
        .setValueTier(b.getString())
        .setCluster(b.getBoolean() ? b.getInt() : null)
        .setLookalikeScore(b.getBoolean() ? b.getDouble() : null)
        .setLookalikeSelected(nullableBoolean(b.getByte()))
        .setLookalikeReason(b.getString())
        .setRefundsTotal(b.getDecimal())
        .setAverageOrderValue(b.getDecimal())
        .setDistinctProducts(b.getLong())
        .setEmailSent90d(b.getLong())
        .setEmailOpenRate90d(b.getBoolean() ? b.getDouble() : null)
        .setEmailClickRate90d(b.getBoolean() ? b.getDouble() : null)
        .setPageViews30d(b.getLong())
        .setFeatureUses30d(b.getLong())
        .setDistinctFeaturesUsed(b.getLong())
        .setFeatureAdoptionRate(b.getBoolean() ? b.getDouble() : null)
        .setPreferredChannel(b.getString())
        .setPreferredDevice(b.getString())
        .setPreferredOs(b.getString())
        .setTopCategory(b.getString())
        .setTopCategoryShare(b.getBoolean() ? b.getDouble() : null)
        .setCategoryAffinities(b.getString())
        .setEngagementScore(b.getDouble())
        .setDaysInactive(b.getBoolean() ? b.getLong() : null)
        .setReactivationGapDays(b.getBoolean() ? b.getLong() : null)
        .setLifecycleStage(b.getString())
        .setCountry(b.getString())
        .setCity(b.getString())
        .setLat(b.getBoolean() ? b.getDouble() : null)
        .setLon(b.getBoolean() ? b.getDouble() : null)
        .setCompany(b.getString())
        .setIndustry(b.getString())
        .setEmployees(b.getBoolean() ? b.getLong() : null)
        .setTraits(b.getStringMap())
        .setConsentEmail(nullableBoolean(b.getByte()))
        .setConsentSms(nullableBoolean(b.getByte()))
        .setConsentPush(nullableBoolean(b.getByte()))
        .setConsentTracking(nullableBoolean(b.getByte()))
        .setEngagementTier(b.getString())
        .setChurnModel(b.getString())
        .setDiscountedRemainingPeriods(b.getBoolean() ? b.getDouble() : null)
        .build();
    b.checkFullyRead();
    return f;
  }

  private static void putLong(CompactBytes b, @Nullable Long v) {
    b.putBoolean(v != null);
    if (v != null) {
      b.putLong(v);
    }
  }

  private static void putDouble(CompactBytes b, @Nullable Double v) {
    b.putBoolean(v != null);
    if (v != null) {
      b.putDouble(v);
    }
  }

  private static @Nullable Boolean nullableBoolean(int v) {
    return v == 2 ? null : v == 1;
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
