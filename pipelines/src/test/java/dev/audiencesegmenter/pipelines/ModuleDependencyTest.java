package dev.audiencesegmenter.pipelines;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of architecture.md: {@code transforms} never imports {@code io} or
 * {@code pipelines}, and nothing but {@code pipelines} imports {@code pipelines}; and the
 * product's classes are product code only.
 */
class ModuleDependencyTest {
  private static final String IO = "dev.audiencesegmenter.io..";
  private static final String PIPELINES = "dev.audiencesegmenter.pipelines..";
  private static JavaClasses classes;

  @BeforeAll
  static void importProductionClasses() throws URISyntaxException {
    // The three modules' own class folders or jars (transforms and io reach this module as
    // jars): scanning the whole class path for the package opens every jar of Beam and Flink.
    Set<Location> modules = new HashSet<>();
    for (Class<?> type : new Class<?>[] {
        ResolveIdentities.class, ReadCustomerEvents.class, SegmentationPipeline.class}) {
      modules.add(Location.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()));
    }
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importLocations(modules);
  }

  @Test
  void transformsDependOnNeitherIoNorPipelines() {
    noClasses()
        .that().resideOutsideOfPackages(IO, PIPELINES)
        .should().dependOnClassesThat().resideInAnyPackage(IO, PIPELINES)
        .because("the transforms module holds only the model and Beam transforms")
        .check(classes);
  }

  @Test
  void ioDoesNotDependOnPipelines() {
    noClasses()
        .that().resideInAPackage(IO)
        .should().dependOnClassesThat().resideInAPackage(PIPELINES)
        .check(classes);
  }

  @Test
  void theProductHoldsNoBenchmarkBaselineOrGenerator() {
    // they live in test sources: not in the jars users depend on, nor in the shaded job jar
    noClasses()
        .should().resideInAnyPackage("..bench..", "..sample..")
        .orShould().haveSimpleNameEndingWith("Benchmark")
        .orShould().haveSimpleNameContaining("Baseline")
        .orShould().haveSimpleNameEndingWith("Generator")
        .orShould().haveNameMatching(".*\\.Local[A-Z][^.$]*")
        .because("benchmarks, the plain-Java baseline and its Local* helpers and the sample "
            + "generator are not product code")
        .check(classes);
  }

  @Test
  void rulesSeeEveryModule() {
    // Guards against a rule that passes because nothing was imported.
    for (String type : new String[] {
        "dev.audiencesegmenter.model.CustomerEvent",
        "dev.audiencesegmenter.identity.ResolveIdentities",
        "dev.audiencesegmenter.io.files.ReadCustomerEvents",
        "dev.audiencesegmenter.pipelines.SegmentationPipeline"}) {
      if (!classes.contain(type)) {
        throw new AssertionError("ArchUnit did not import " + type);
      }
    }
  }
}
