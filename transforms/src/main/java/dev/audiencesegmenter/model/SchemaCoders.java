package dev.audiencesegmenter.model;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.schemas.SchemaRegistry;

/**
 * The schema coder of a model class: the one lookup every transform makes, with the checked
 * exception (which a model class with {@code @DefaultSchema} never throws) turned into a bug.
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

  private static <T> SchemaCoder<T> of(SchemaRegistry registry, Class<T> type) {
    try {
      return registry.getSchemaCoder(type);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException(type.getName() + " has no schema", e);
    }
  }
}
