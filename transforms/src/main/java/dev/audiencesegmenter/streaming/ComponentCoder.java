package dev.audiencesegmenter.streaming;

import dev.audiencesegmenter.identity.IncrementalIdentityGraph.Component;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;

/**
 * The identity graph's components in the streaming job's state: the smallest node, then the
 * anchors, in Beam's own string and list formats. Not Java serialization: a savepoint (Flink) or
 * an updated job (Dataflow) must still read the state after the class changes.
 */
final class ComponentCoder extends AtomicCoder<Component> {
  private static final ComponentCoder INSTANCE = new ComponentCoder();
  private static final StringUtf8Coder NODE = StringUtf8Coder.of();
  private static final ListCoder<String> ANCHORS = ListCoder.of(StringUtf8Coder.of());

  static ComponentCoder of() {
    return INSTANCE;
  }

  private ComponentCoder() {}

  @Override
  public void encode(Component component, OutputStream out) throws IOException {
    NODE.encode(component.smallestNode(), out);
    ANCHORS.encode(component.anchors(), out);
  }

  @Override
  public Component decode(InputStream in) throws IOException {
    return new Component(NODE.decode(in), ANCHORS.decode(in));
  }

  @Override
  public void verifyDeterministic() {}
}
