package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library as another project gets it: a project outside the reactor
 * ({@code src/it/consumer}: a pom that depends on the io artifact, and a {@code TestPipeline}
 * test that reads events, runs {@code SegmentCustomers} and asserts the memberships) is built by
 * Maven against a local repository that holds what {@code mvn install} puts there for this
 * version: the parent pom, and each library module's pom and jar (made from its compiled
 * classes and resources). Everything else comes from the local repository of the build that
 * runs this test, used as the only remote, so nothing is downloaded.
 */
@Timeout(600)
class ConsumerProjectTest {
  private static final String GROUP = "dev/audiencesegmenter";

  @Test
  void aProjectOutsideTheReactorRunsTheFlowFromTheInstalledArtifacts(@TempDir Path dir)
      throws Exception {
    String version = System.getProperty("audiencesegmenter.version");
    String buildRepository = System.getProperty("audiencesegmenter.localRepository");
    assertNotNull(version, "surefire passes the project version");
    assertNotNull(buildRepository, "surefire passes the build's local repository");
    Path root = Path.of("..").toAbsolutePath().normalize();

    Path repository = dir.resolve("repository");
    install(repository, "audience-segmenter-parent", version, root.resolve("pom.xml"), null);
    for (String module : List.of("transforms", "io")) {
      install(repository, "audience-segmenter-" + module, version,
          root.resolve(module).resolve("pom.xml"),
          root.resolve(module).resolve("target").resolve("classes"));
    }

    Path project = dir.resolve("consumer");
    copyProject(root.resolve("pipelines/src/it/consumer"), project, version);
    Path settings = dir.resolve("settings.xml");
    Files.writeString(settings, "<settings><mirrors><mirror><id>this-build</id>"
        + "<mirrorOf>*</mirrorOf><url>" + Path.of(buildRepository).toUri() + "</url>"
        + "</mirror></mirrors></settings>\n");

    Path log = dir.resolve("maven.log");
    Process maven = new ProcessBuilder("mvn", "-B", "-s", settings.toString(),
        "-Dmaven.repo.local=" + repository, "test")
        .directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    assertTrue(maven.waitFor(540, TimeUnit.SECONDS), "the consumer build timed out");
    String output = Files.readString(log);
    assertEquals(0, maven.exitValue(), output);
    assertTrue(output.contains("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0"), output);
  }

  /** What {@code mvn install} writes for one module: its pom, and its jar unless a pom. */
  private static void install(Path repository, String artifact, String version, Path pom,
      Path classes) throws IOException {
    Path folder = repository.resolve(GROUP).resolve(artifact).resolve(version);
    Files.createDirectories(folder);
    Files.copy(pom, folder.resolve(artifact + "-" + version + ".pom"));
    if (classes != null) {
      jar(classes, folder.resolve(artifact + "-" + version + ".jar"));
    }
  }

  private static void jar(Path classes, Path jar) throws IOException {
    assertTrue(Files.isDirectory(classes), classes + " is built before the tests");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest);
        Stream<Path> paths = Files.walk(classes)) {
      for (Path path : (Iterable<Path>) paths.sorted()::iterator) {
        if (path.equals(classes)) {
          continue;
        }
        String name = classes.relativize(path).toString().replace('\\', '/');
        if (Files.isDirectory(path)) {
          out.putNextEntry(new JarEntry(name + "/"));
        } else {
          out.putNextEntry(new JarEntry(name));
          Files.copy(path, out);
        }
        out.closeEntry();
      }
    }
  }

  private static void copyProject(Path from, Path to, String version) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(path).toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(target);
        } else {
          Files.writeString(target, Files.readString(path, StandardCharsets.UTF_8)
              .replace("@VERSION@", version), StandardCharsets.UTF_8);
        }
      }
    }
  }
}
