package dev.audiencesegmenter.identity;

import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Re-keys records from one of their identifier nodes to the customer id of that node: a join
 * of {@code KV(node, record)} with {@code KV(node, customer id)}, by node bucket. Per bucket
 * only the node-to-id map is held in memory; the records stream through.
 */
class AttachCustomerIds<T>
    extends PTransform<PCollection<KV<String, T>>, PCollection<KV<String, T>>> {
  private final PCollection<KV<String, String>> customerIds;
  private final Coder<T> recordCoder;
  private final int buckets;

  AttachCustomerIds(PCollection<KV<String, String>> customerIds, Coder<T> recordCoder,
      int buckets) {
    this.customerIds = customerIds;
    this.recordCoder = recordCoder;
    this.buckets = buckets;
  }

  @Override
  public PCollection<KV<String, T>> expand(PCollection<KV<String, T>> records) {
    TupleTag<KV<String, String>> idTag = new TupleTag<>("customerIds");
    TupleTag<KV<String, T>> recordTag = new TupleTag<>("records");
    PCollection<KV<Integer, KV<String, String>>> ids = customerIds
        .apply("IdsToBuckets", ParDo.of(new ToBucket<String>(buckets)))
        .setCoder(KvCoder.of(VarIntCoder.of(),
            KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
    PCollection<KV<Integer, KV<String, T>>> bucketedRecords = records
        .apply("RecordsToBuckets", ParDo.of(new ToBucket<T>(buckets)))
        .setCoder(KvCoder.of(VarIntCoder.of(), ResolveIdentities.keyedCoder(recordCoder)));
    return KeyedPCollectionTuple.of(idTag, ids)
        .and(recordTag, bucketedRecords)
        .apply("JoinOnIdentifier", CoGroupByKey.create())
        .apply("KeyByCustomer", ParDo.of(new KeyByCustomer<>(idTag, recordTag)))
        .setCoder(ResolveIdentities.keyedCoder(recordCoder));
  }

  private static class ToBucket<V> extends DoFn<KV<String, V>, KV<Integer, KV<String, V>>> {
    private final int buckets;

    ToBucket(int buckets) {
      this.buckets = buckets;
    }

    @ProcessElement
    public void process(@Element KV<String, V> kv, OutputReceiver<KV<Integer, KV<String, V>>> out) {
      out.output(KV.of(ConnectedComponents.bucket(kv.getKey(), buckets), kv));
    }
  }

  private static class KeyByCustomer<T> extends DoFn<KV<Integer, CoGbkResult>, KV<String, T>> {
    private final TupleTag<KV<String, String>> idTag;
    private final TupleTag<KV<String, T>> recordTag;

    KeyByCustomer(TupleTag<KV<String, String>> idTag, TupleTag<KV<String, T>> recordTag) {
      this.idTag = idTag;
      this.recordTag = recordTag;
    }

    @ProcessElement
    public void process(@Element KV<Integer, CoGbkResult> joined,
        OutputReceiver<KV<String, T>> out) {
      Map<String, String> idOfNode = new HashMap<>();
      for (KV<String, String> id : joined.getValue().getAll(idTag)) {
        idOfNode.put(id.getKey(), id.getValue());
      }
      for (KV<String, T> record : joined.getValue().getAll(recordTag)) {
        String customerId = idOfNode.get(record.getKey());
        if (customerId == null) {
          // Cannot happen: every node of every record is labelled. Fail rather than drop.
          throw new IllegalStateException("No customer id for a record's identifier");
        }
        out.output(KV.of(customerId, record.getValue()));
      }
    }
  }
}
