package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.audiencesegmenter.clv.PredictCustomerValue;
import dev.audiencesegmenter.clv.PurchaseModel;
import dev.audiencesegmenter.features.AssignLifecycleStage;
import dev.audiencesegmenter.features.ComputeCustomerFeatures;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** The feature and lifecycle options: defaults, parsing, and errors that name the value. */
class FeatureOptionsTest {
  static final Instant AS_OF = Instant.parse("2024-07-01T00:00:00Z");

  static SegmentationPipelineOptions options(String... args) {
    PipelineOptionsFactory.register(SegmentationPipelineOptions.class);
    return PipelineOptionsFactory.fromArgs(args).as(SegmentationPipelineOptions.class);
  }

  @Test
  void defaults() {
    ComputeCustomerFeatures f = SegmentationPipeline.computeFeatures(options(), AS_OF);
    assertEquals(List.of(), f.getKeyFeatures());
    assertEquals(5.0, f.getEngagementWeights().get("purchase"));
    assertEquals(0.5, f.getEngagementWeights().get("page_view"));
    assertEquals(Duration.standardDays(30), f.getEngagementHalfLife());
    assertEquals(Duration.standardHours(24), f.getCartAbandonmentWindow());
    assertEquals(Duration.standardDays(30), f.getReactivationWindow());
    AssignLifecycleStage l = SegmentationPipeline.lifecycle(options());
    assertEquals(List.of(30, 60, 180), List.of(l.getNewDays(), l.getAtRiskDays(),
        l.getChurnDays()));
    assertEquals(List.of(0.5, 0.1), List.of(l.getAtRiskPAlive(), l.getChurnPAlive()));
  }

  @Test
  void parsesEveryOption() {
    ComputeCustomerFeatures f = SegmentationPipeline.computeFeatures(options(
        "--keyFeatures=export, dashboard,,", "--engagementWeights=purchase=2, email_open=0.25",
        "--engagementHalfLifeDays=7.5", "--cartAbandonmentWindowHours=72",
        "--lifecycleReactivationDays=14"), AS_OF);
    assertEquals(List.of("export", "dashboard"), f.getKeyFeatures());
    assertEquals(Map.of("purchase", 2.0, "email_open", 0.25), f.getEngagementWeights());
    assertEquals(Duration.standardHours(180), f.getEngagementHalfLife());
    assertEquals(Duration.standardHours(72), f.getCartAbandonmentWindow());
    assertEquals(Duration.standardDays(14), f.getReactivationWindow());
    AssignLifecycleStage l = SegmentationPipeline.lifecycle(options("--lifecycleNewDays=14",
        "--lifecycleAtRiskDays=14", "--lifecycleChurnDays=28", "--lifecycleAtRiskPAlive=0.3",
        "--lifecycleChurnPAlive=0.05"));
    assertEquals(List.of(14, 14, 28), List.of(l.getNewDays(), l.getAtRiskDays(),
        l.getChurnDays()));
    assertEquals(List.of(0.3, 0.05), List.of(l.getAtRiskPAlive(), l.getChurnPAlive()));
  }

  @Test
  void badValuesFailNamingThem() {
    assertMessage("purchase=lots", () -> SegmentationPipeline.computeFeatures(
        options("--engagementWeights=purchase=lots"), AS_OF));
    assertMessage("-1", () -> SegmentationPipeline.computeFeatures(
        options("--engagementWeights=purchase=-1"), AS_OF));
    assertMessage("given twice", () -> SegmentationPipeline.computeFeatures(
        options("--engagementWeights=purchase=1,purchase=2"), AS_OF));
    assertMessage("0.0", () -> SegmentationPipeline.computeFeatures(
        options("--engagementHalfLifeDays=0"), AS_OF));
    assertMessage("-3", () -> SegmentationPipeline.computeFeatures(
        options("--cartAbandonmentWindowHours=-3"), AS_OF));
    assertMessage("'export' is listed twice", () -> SegmentationPipeline.computeFeatures(
        options("--keyFeatures=export,export"), AS_OF));
    assertMessage("atRiskDays (200)", () -> SegmentationPipeline.lifecycle(
        options("--lifecycleAtRiskDays=200")));
    assertMessage("churnPAlive (0.6)", () -> SegmentationPipeline.lifecycle(
        options("--lifecycleChurnPAlive=0.6")));
    assertMessage("--purchaseModel: unknown purchase model 'pareto'; use one of bg_nbd, "
        + "pareto_nbd, or auto", () -> SegmentationPipeline.valueModels(
        options("--purchaseModel=pareto"), AS_OF));
    assertMessage("--subscriptionPeriodDays must be at least 1, got 0", () -> SegmentationPipeline
        .valueModels(options("--subscriptionPeriodDays=0"), AS_OF));
    assertMessage("--backtestWeeks must be at least 1, got 0", () -> SegmentationPipeline
        .valueModels(options("--purchaseModel=auto", "--backtestWeeks=0"), AS_OF));
  }

  @Test
  void purchaseCovariatesAreColumnsOrDeclaredTraitsWithBgNbd() {
    assertEquals(List.of("preferred_channel", "plan"), SegmentationPipeline.valueModels(
        options("--purchaseCovariates=preferred_channel, plan,"), AS_OF)
        .getPurchaseCovariates());
    assertEquals(List.of(), SegmentationPipeline.valueModels(options(), AS_OF)
        .getPurchaseCovariates());
    // a column, a declared trait, or any name when the profile sources do not declare theirs
    SegmentationPipeline.checkPurchaseCovariates(
        options("--purchaseCovariates=country,plan"), Set.of("plan"));
    SegmentationPipeline.checkPurchaseCovariates(options("--purchaseCovariates=tier"), null);
    assertMessage("--purchaseCovariates: 'tier' is neither a covariate column "
        + "(preferred_channel, preferred_device, preferred_os, top_category, country, city, "
        + "company, industry, consent_email, consent_sms, consent_push, consent_tracking) nor "
        + "a trait of the profile sources (plan, seats)", () -> SegmentationPipeline
        .checkPurchaseCovariates(options("--purchaseCovariates=plan,tier"),
            new java.util.TreeSet<>(Set.of("seats", "plan"))));
    // with Pareto/NBD as with BG/NBD, and with a model chosen on a backtest
    assertEquals(PurchaseModel.PARETO_NBD, SegmentationPipeline.valueModels(
        options("--purchaseCovariates=plan", "--purchaseModel=pareto_nbd"), AS_OF)
        .getPurchaseModel());
    PredictCustomerValue auto = SegmentationPipeline.valueModels(
        options("--purchaseCovariates=plan", "--purchaseModel=auto"), AS_OF);
    assertEquals(List.of("plan"), auto.getPurchaseCovariates());
    assertEquals(org.joda.time.Duration.standardDays(91), auto.getPurchaseModelBacktest());
  }

  private static void assertMessage(String part, Runnable run) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, run::run);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
