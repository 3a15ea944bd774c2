package dev.audiencesegmenter.io.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestPipelineExtension;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(TestPipelineExtension.class)
class WriteTextFileTest {

  @Test
  void replacesTheFileWithTheSortedLinesAndLeavesNothingElse(TestPipeline p, @TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("model").resolve("clv.json");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "an older run's model, longer than the new one\n");

    PCollection<String> written = p.apply(Create.of(List.of("{\"b\":2}", "{\"a\":1}")))
        .apply(WriteTextFile.to(file.toString()));
    PAssert.that(written).containsInAnyOrder(file.toString());
    p.run().waitUntilFinish();

    assertEquals("{\"a\":1}\n{\"b\":2}\n", Files.readString(file, StandardCharsets.UTF_8));
    try (Stream<Path> files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "a temporary file was left behind");
    }
  }

  @Test
  void anEmptyInputWritesAnEmptyFile(TestPipeline p, @TempDir Path dir) throws IOException {
    Path file = dir.resolve("holdout-validation.json");
    Files.writeString(file, "stale\n");

    p.apply(Create.empty(StringUtf8Coder.of())).apply(WriteTextFile.to(file.toString()));
    p.run().waitUntilFinish();

    assertEquals("", Files.readString(file, StandardCharsets.UTF_8));
  }

  @Test
  void aFolderIsNotAFile() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> WriteTextFile.to("out/model/"));
    assertEquals("WriteTextFile needs a file path, got 'out/model/'", e.getMessage());
  }
}
