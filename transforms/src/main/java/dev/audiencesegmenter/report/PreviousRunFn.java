package dev.audiencesegmenter.report;

import dev.audiencesegmenter.model.CompactBytes;
import dev.audiencesegmenter.model.SegmentMembership;
import dev.audiencesegmenter.model.SegmentMembershipCoder;
import dev.audiencesegmenter.segments.SegmentDefinitions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Compares each customer's memberships in this run and the previous one, for one group of
 * customers (a hash bucket of customer ids): per segment group its transition ({@code group \t
 * from \t to}, once per customer), per segment entered / exited / stayed, and, given the
 * customers who converted since the previous run, per previous membership [treated, treated
 * converted, holdout, holdout converted].
 */
final class PreviousRunFn extends DoFn<KV<Integer, Iterable<PreviousRunFn.Input>>,
    KV<String, Long>> {
  static final int NOW = 0;
  static final int BEFORE = 1;
  static final int CONVERTED = 2;
  static final TupleTag<KV<String, Long>> TRANSITIONS = new TupleTag<>("transitions") {};
  static final TupleTag<KV<String, SegmentChurn>> CHURN = new TupleTag<>("churn") {};
  static final TupleTag<KV<String, long[]>> CONVERSIONS = new TupleTag<>("conversions") {};

  private final List<String> groups = new ArrayList<>();
  private final boolean conversions;

  PreviousRunFn(SegmentDefinitions definitions, boolean conversions) {
    definitions.getGroups().forEach(g -> groups.add(g.name()));
    this.conversions = conversions;
  }

  /** A membership of this run or the previous one, or a converted customer's id. */
  static final class Input {
    final int kind;
    final @Nullable SegmentMembership membership;
    final @Nullable String customerId;

    Input(int kind, @Nullable SegmentMembership membership, @Nullable String customerId) {
      this.kind = kind;
      this.membership = membership;
      this.customerId = customerId;
    }

    String customer() {
      return membership != null ? membership.getCustomerId() : customerId;
    }

    static final class Coder extends AtomicCoder<Input> {
      private static final Coder INSTANCE = new Coder();

      static Coder of() {
        return INSTANCE;
      }

      @Override
      public void encode(Input in, OutputStream out) throws IOException {
        out.write(in.kind);
        if (in.membership != null) {
          SegmentMembershipCoder.of().encode(in.membership, out);
        } else {
          CompactBytes b = CompactBytes.writer();
          b.putString(in.customerId);
          b.writeTo(out);
        }
      }

      @Override
      public Input decode(InputStream in) throws IOException {
        int kind = in.read();
        if (kind == CONVERTED) {
          CompactBytes b = CompactBytes.readFrom(in);
          Input input = new Input(kind, null, b.getString());
          b.checkFullyRead();
          return input;
        }
        return new Input(kind, SegmentMembershipCoder.of().decode(in), null);
      }
    }
  }

  /** A membership to its customer's group. */
  static final class ToGroup extends DoFn<SegmentMembership, KV<Integer, Input>> {
    private final int groupCount;
    private final int kind;

    ToGroup(int groupCount, int kind) {
      this.groupCount = groupCount;
      this.kind = kind;
    }

    @ProcessElement
    public void process(@Element SegmentMembership m, OutputReceiver<KV<Integer, Input>> out) {
      out.output(KV.of(Math.floorMod(m.getCustomerId().hashCode(), groupCount),
          new Input(kind, m, null)));
    }
  }

  /** A converted customer's id to its group. */
  static final class ConvertedToGroup extends DoFn<String, KV<Integer, Input>> {
    private final int groupCount;

    ConvertedToGroup(int groupCount) {
      this.groupCount = groupCount;
    }

    @ProcessElement
    public void process(@Element String customer, OutputReceiver<KV<Integer, Input>> out) {
      out.output(KV.of(Math.floorMod(customer.hashCode(), groupCount),
          new Input(CONVERTED, null, customer)));
    }
  }

  private static final class Customer {
    final List<SegmentMembership> now = new ArrayList<>();
    final List<SegmentMembership> before = new ArrayList<>();
    boolean converted;
  }

  @ProcessElement
  public void process(@Element KV<Integer, Iterable<Input>> group, MultiOutputReceiver out) {
    Map<String, Customer> customers = new HashMap<>();
    for (Input in : group.getValue()) {
      Customer c = customers.computeIfAbsent(in.customer(), id -> new Customer());
      switch (in.kind) {
        case NOW -> c.now.add(in.membership);
        case BEFORE -> c.before.add(in.membership);
        default -> c.converted = true;
      }
    }
    for (Customer c : customers.values()) {
      transitions(c, out);
      churn(c, out);
      if (conversions) {
        long converted = c.converted ? 1 : 0;
        for (SegmentMembership m : c.before) {
          out.get(CONVERSIONS).output(KV.of(m.getSegment(), m.getHoldout()
              ? new long[] {0, 0, 1, converted} : new long[] {1, converted, 0, 0}));
        }
      }
    }
  }

  /** Per segment group: "group \t from \t to", once (segments of a group joined by '+'). */
  private void transitions(Customer c, MultiOutputReceiver out) {
    Map<String, TreeSet<String>> now = bySegmentGroup(c.now);
    Map<String, TreeSet<String>> before = bySegmentGroup(c.before);
    for (String group : groups) {
      TreeSet<String> from = before.get(group);
      TreeSet<String> to = now.get(group);
      if (from == null && to == null) {
        continue;
      }
      out.get(TRANSITIONS).output(KV.of(group + "\t" + name(from) + "\t" + name(to), 1L));
    }
  }

  private static void churn(Customer c, MultiOutputReceiver out) {
    TreeSet<String> now = new TreeSet<>();
    c.now.forEach(m -> now.add(m.getSegment()));
    TreeSet<String> before = new TreeSet<>();
    c.before.forEach(m -> before.add(m.getSegment()));
    for (String segment : now) {
      out.get(CHURN).output(KV.of(segment, before.contains(segment)
          ? new SegmentChurn(0, 0, 1) : new SegmentChurn(1, 0, 0)));
    }
    for (String segment : before) {
      if (!now.contains(segment)) {
        out.get(CHURN).output(KV.of(segment, new SegmentChurn(0, 1, 0)));
      }
    }
  }

  private static String name(@Nullable TreeSet<String> segments) {
    return segments == null ? SegmentTransition.NONE : String.join("+", segments);
  }

  private static Map<String, TreeSet<String>> bySegmentGroup(List<SegmentMembership> members) {
    Map<String, TreeSet<String>> out = new HashMap<>();
    for (SegmentMembership m : members) {
      out.computeIfAbsent(m.getGroup(), g -> new TreeSet<>()).add(m.getSegment());
    }
    return out;
  }
}
