package dev.audiencesegmenter.clv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SummaryHistogramTest {
  @Test
  void mergeOrderDoesNotMatterAndTheCoderRoundTrips() throws Exception {
    List<CdnowData.Customer> customers = new ArrayList<>(CdnowData.customers());
    SummaryHistogram whole = CdnowData.histogram();
    Collections.shuffle(customers, new Random(3));
    // Eleven partial histograms, merged in a shuffled order.
    List<SummaryHistogram> parts = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      parts.add(new SummaryHistogram());
    }
    for (int i = 0; i < customers.size(); i++) {
      CdnowData.Customer c = customers.get(i);
      parts.get(i % 11).add(c.x(), c.tx(), c.t(), c.zbar());
    }
    Collections.shuffle(parts, new Random(5));
    SummaryHistogram merged = new SummaryHistogram();
    parts.forEach(merged::merge);
    assertEquals(whole, merged);
    assertEquals(2357, merged.customers());
    assertEquals(1016, merged.triples().size(), "distinct triples (sort -u of the CSV)");

    SummaryHistogram.HistogramCoder coder = new SummaryHistogram.HistogramCoder();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    coder.encode(merged, bytes);
    assertEquals(merged, coder.decode(new ByteArrayInputStream(bytes.toByteArray())));
  }
}
