package dev.audiencesegmenter.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.audiencesegmenter.io.jdbc.JdbcUpsert;
import dev.audiencesegmenter.model.SegmentMembership;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.commons.dbcp2.BasicDataSource;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, item 9: the password of {@code --syncStateJdbcUrl} is taken out of the URL that
 * the workers connect with (and that drivers and pools repeat in their errors) and given as
 * the password, and a bad URL is named masked, as for {@code --jdbcUrl}. Before, the URL went
 * into the data source whole and was not checked.
 */
class SyncStateJdbcUrlTest {
  private static SegmentationPipelineOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(SegmentationPipelineOptions.class);
  }

  /** The pool the workers connect with (built without connecting). */
  private static BasicDataSource pool(JdbcIO.DataSourceConfiguration dataSource) {
    return (BasicDataSource) dataSource.buildDatasource();
  }

  @Test
  void thePasswordIsUsedButNotShown() {
    JdbcIO.DataSourceConfiguration dataSource = Activation.stateDatabase(options(
        "--syncStateJdbcUrl=jdbc:postgresql://db.example:5432/state?user=etl&password=s3cr%3Bet"
            + "&ssl=true"));
    // The sync state is written with JdbcUpsert over this data source: what its steps show.
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(SegmentMembership.create("a", "s", "g", false)))
        .apply(JdbcUpsert.<SegmentMembership>into("sync_state_test")
            .withDataSourceConfiguration(dataSource).withKeyColumns("customer_id", "segment")
            .withRunId("r"));
    List<String> items = new ArrayList<>();
    p.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        DisplayData.from(node.getTransform()).items()
            .forEach(item -> items.add(item.getKey() + "=" + item.getValue()));
      }
    });
    assertFalse(items.toString().contains("s3cr"), items.toString());
    // The URL the workers connect with, which drivers and pools put in their messages, has
    // no password; the pool still gets it.
    assertEquals("jdbc:postgresql://db.example:5432/state?user=etl&ssl=true",
        pool(dataSource).getUrl());
    assertEquals("s3cr;et", pool(dataSource).getPassword());
  }

  @Test
  void thePasswordOptionWinsAndABadUrlIsNamedMasked() {
    JdbcIO.DataSourceConfiguration dataSource = Activation.stateDatabase(options(
        "--syncStateJdbcUrl=jdbc:postgresql://db/state?password=inurl", "--jdbcPassword=opt",
        "--jdbcUsername=etl"));
    assertEquals("opt", pool(dataSource).getPassword());
    assertEquals("etl", pool(dataSource).getUsername());
    assertEquals("jdbc:postgresql://db/state", pool(dataSource).getUrl());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Activation.stateDatabase(options(
            "--syncStateJdbcUrl=jdbc:mysql://db/state?password=s3cret")));
    assertEquals("JDBC URL must start with jdbc:postgresql:, got "
        + "'jdbc:mysql://db/state?password=***'", e.getMessage());
  }
}
