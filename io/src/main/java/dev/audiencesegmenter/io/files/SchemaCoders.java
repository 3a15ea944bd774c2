package dev.audiencesegmenter.io.files;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.schemas.NoSuchSchemaException;

/** The schema coder of a model class. */
final class SchemaCoders {
  private SchemaCoders() {}

  static <T> Coder<T> of(Pipeline pipeline, Class<T> type) {
    try {
      return pipeline.getSchemaRegistry().getSchemaCoder(type);
    } catch (NoSuchSchemaException e) {
      throw new IllegalStateException("No schema for " + type.getName(), e);
    }
  }
}
