package dev.audiencesegmenter.model;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.schemas.SchemaRegistry;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The schema coder of a model class: the one lookup every transform makes, with the checked
 * exception (which a model class with {@code @DefaultSchema} never throws) turned into a bug;
 * and the step that gives rows their schema coder where they leave a flow.
 */
public final class SchemaCoders {
  private SchemaCoders() {}

  /** {@code type}'s schema coder from {@code pipeline}'s registry. */
  public static <T> SchemaCoder<T> of(Pipeline pipeline, Class<T> type) {
    return of(pipeline.getSchemaRegistry(), type);
  }

  /** {@code type}'s schema coder from Beam's default registry (outside a pipeline). */
  public static <T> SchemaCoder<T> of(Class<T> type) {
    return of(SchemaRegistry.createDefault(), type);
  }

  /**
   * The same elements with the schema coder: a step of its own, which a runner fuses with the
   * step that reads it, so rows that travel with a hand-written coder inside a flow are never
   * encoded with the (slower) schema coder unless several steps read them.
   */
  public static <T> PCollection<T> withSchema(String name, PCollection<T> rows,
      Coder<T> schemaCoder) {
    return rows.apply(name, ParDo.of(new PassThrough<T>())).setCoder(schemaCoder);
  }

  private static final class PassThrough<T> extends DoFn<T, T> {
    @ProcessElement
    public void process(@Element T row, OutputReceiver<T> out) {
      out.output(row);
    }
  }

  private static <T> SchemaCoder<T> of(SchemaRegistry registry, Class<T> type) {
    try {
      return registry.getSchemaCoder(type);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException(type.getName() + " has no schema", e);
    }
  }
}
