package dev.audiencesegmenter.pipelines;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import dev.audiencesegmenter.identity.ResolveIdentities;
import dev.audiencesegmenter.io.files.ReadCustomerEvents;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Beam conventions every public transform of the library keeps: its configuration shows in
 * the runner's UI ({@code populateDisplayData}), and its class documentation opens a usage
 * example ({@code <pre>{@code ...}}).
 */
class TransformConventionsTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importProductionClasses() throws URISyntaxException {
    Set<Location> modules = new HashSet<>();
    for (Class<?> type : new Class<?>[] {ResolveIdentities.class, ReadCustomerEvents.class}) {
      modules.add(Location.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()));
    }
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importLocations(modules);
  }

  /** A field or getter that configures the transform (not an input it joins, nor a tag). */
  private static boolean configures(JavaClass type) {
    return !type.isAssignableTo(PCollection.class) && !type.isAssignableTo(PCollectionView.class)
        && !type.isAssignableTo(TupleTag.class);
  }

  private static final ArchCondition<JavaClass> SHOW_THEIR_CONFIGURATION =
      new ArchCondition<>("show their configuration in populateDisplayData") {
        @Override
        public void check(JavaClass transform, ConditionEvents events) {
          boolean declares = transform.getMethods().stream()
              .anyMatch(m -> m.getName().equals("populateDisplayData"));
          boolean configured = transform.getFields().stream()
              .filter(f -> !f.getModifiers().contains(JavaModifier.STATIC))
              .map(JavaField::getRawType).anyMatch(TransformConventionsTest::configures)
              || transform.getMethods().stream()
              .filter(m -> m.getModifiers().contains(JavaModifier.ABSTRACT)
                  && m.getParameters().isEmpty() && m.getName().startsWith("get"))
              .map(JavaMethod::getRawReturnType).anyMatch(TransformConventionsTest::configures);
          if (configured && !declares) {
            events.add(SimpleConditionEvent.violated(transform, transform.getName()
                + " has settings but does not override populateDisplayData"));
          }
        }
      };

  @Test
  void everyPublicTransformShowsItsConfiguration() {
    classes().that().arePublic().and().areAssignableTo(PTransform.class)
        .should(SHOW_THEIR_CONFIGURATION)
        .check(classes);
  }

  @Test
  void everyPublicTransformsDocumentationOpensWithAUsageExample() throws IOException {
    List<String> without = new ArrayList<>();
    for (JavaClass transform : publicTransforms()) {
      if (transform.isNestedClass()) {
        continue;
      }
      String path = transform.getName().replace('.', '/') + ".java";
      Path source = Stream.of("transforms", "io", "pipelines")
          .map(module -> Path.of("..", module, "src", "main", "java").resolve(path))
          .filter(Files::exists).findFirst()
          .orElseThrow(() -> new AssertionError("no source for " + transform.getName()));
      String text = Files.readString(source);
      int declaration = text.indexOf("class " + transform.getSimpleName());
      int docStart = text.lastIndexOf("/**", declaration);
      int docEnd = text.lastIndexOf("*/", declaration);
      String doc = docStart < 0 ? "" : text.substring(docStart, docEnd);
      if (!doc.contains("<pre>{@code")) {
        without.add(transform.getName());
      }
    }
    assertEquals(List.of(), without, "public transforms whose class Javadoc has no "
        + "<pre>{@code ...}</pre> usage example");
  }

  private static List<JavaClass> publicTransforms() {
    return classes.stream()
        .filter(c -> c.getModifiers().contains(JavaModifier.PUBLIC)
            && c.isAssignableTo(PTransform.class))
        .toList();
  }

  @Test
  void theRuleSeesTheTransforms() {
    long transforms = publicTransforms().size();
    assertTrue(transforms >= 30, "public transforms imported: " + transforms);
  }
}
