package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArgumentFilesTest {

  @Test
  void expandsOptionFilesInPlace(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("flink.args");
    Files.writeString(file, "# Flink\n--runner=FlinkRunner\n\n  --parallelism=2  \n");
    assertArrayEquals(
        new String[] {"--input=a", "--runner=FlinkRunner", "--parallelism=2", "--output=o"},
        ArgumentFiles.expand(new String[] {"--input=a", "@" + file, "--output=o"}));
  }

  @Test
  void laterOptionsOverrideEarlierOnes(@TempDir Path dir) throws IOException {
    Path direct = dir.resolve("direct.args");
    Files.writeString(direct, "--runner=DirectRunner\n--targetParallelism=2\n");
    Path flink = dir.resolve("flink.args");
    Files.writeString(flink, "--runner=FlinkRunner\n");
    assertArrayEquals(new String[] {"--targetParallelism=2", "--runner=FlinkRunner",
            "--output=o"},
        ArgumentFiles.expand(new String[] {"@" + direct, "@" + flink, "--output=o"}));
  }

  @Test
  void sourcesRepeatWithinOnePlaceAndALaterPlaceReplacesThem(@TempDir Path dir)
      throws IOException {
    Path sources = dir.resolve("sources.args");
    Files.writeString(sources, "--input=ga4:a/*\n--input=segment:b/*\n--profiles=hubspot:c\n");
    assertArrayEquals(new String[] {"--input=ga4:a/*", "--input=segment:b/*",
            "--profiles=hubspot:c", "--output=o"},
        ArgumentFiles.expand(new String[] {"@" + sources, "--output=o"}));
    // the command line's sources replace the file's, and are all kept
    assertArrayEquals(new String[] {"--profiles=hubspot:c", "--input=x/*", "--input=zoho:y"},
        ArgumentFiles.expand(new String[] {"@" + sources, "--input=x/*", "--input=zoho:y"}));
  }

  @Test
  void shippedRunnerConfigsExpand() {
    for (String name : new String[] {"direct.args", "flink-local.args",
        "dataflow/dataflow.args"}) {
      String[] args = ArgumentFiles.expand(new String[] {"@../runner-configs/" + name});
      assertTrue(args.length > 0 && args[0].startsWith("--runner="), name);
    }
  }

  @Test
  void missingFileIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ArgumentFiles.expand(new String[] {"@nowhere.args"}));
    assertTrue(e.getMessage().contains("nowhere.args"), e.getMessage());
  }
}
