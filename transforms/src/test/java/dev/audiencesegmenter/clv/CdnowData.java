package dev.audiencesegmenter.clv;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The CDNOW summaries bundled as test resources (see cdnow/PROVENANCE.md). */
final class CdnowData {
  private CdnowData() {}

  /** ID, x, t_x, T, zbar of the 2,357 sample customers. */
  record Customer(int id, int x, double tx, double t, double zbar) {}

  static List<Customer> customers() {
    List<Customer> out = new ArrayList<>();
    for (String line : lines("cdnow/cdnow_customers_summary_with_transactions.csv")) {
      if (line.startsWith("ID") || line.isBlank()) {
        continue;
      }
      String[] f = line.split(",");
      out.add(new Customer(Integer.parseInt(f[0]), Integer.parseInt(f[1]),
          Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])));
    }
    return out;
  }

  static SummaryHistogram histogram() {
    SummaryHistogram h = new SummaryHistogram();
    for (Customer c : customers()) {
      h.add(c.x(), c.tx(), c.t(), c.zbar());
    }
    return h;
  }

  /**
   * The same statistics computed from the raw transactions (CDNOW_sample.txt), with mean
   * repeat values exact rather than rounded to cents as in the summary file: calibration ends
   * 1997-09-30 inclusive, same-day purchases are one transaction, weeks are days / 7.
   */
  static java.util.Map<Integer, Customer> fromTransactions() {
    java.time.LocalDate end = java.time.LocalDate.parse("1997-09-30");
    java.util.Map<Integer, java.util.TreeMap<java.time.LocalDate, Double>> days =
        new java.util.TreeMap<>();
    for (dev.audiencesegmenter.model.CustomerEvent e : purchaseEvents()) {
      java.time.LocalDate date = java.time.LocalDate.parse(
          e.getEventTime().toString().substring(0, 10));
      if (date.isAfter(end)) {
        continue;
      }
      days.computeIfAbsent(Integer.parseInt(e.getIdentifiers().get("user_id")),
          k -> new java.util.TreeMap<>()).merge(date, e.getRevenue().doubleValue(), Double::sum);
    }
    java.util.Map<Integer, Customer> out = new java.util.TreeMap<>();
    days.forEach((id, byDay) -> {
      java.time.LocalDate first = byDay.firstKey();
      int x = byDay.size() - 1;
      double repeat = byDay.values().stream().mapToDouble(Double::doubleValue).sum()
          - byDay.firstEntry().getValue();
      out.put(id, new Customer(id, x,
          java.time.temporal.ChronoUnit.DAYS.between(first, byDay.lastKey()) / 7.0,
          java.time.temporal.ChronoUnit.DAYS.between(first, end) / 7.0,
          x == 0 ? 0 : repeat / x));
    });
    return out;
  }

  /**
   * CDNOW_sample.txt as purchase events: one per line, at noon UTC of its date, the sample
   * customer id as {@code user_id}, the dollar value as revenue.
   */
  static List<dev.audiencesegmenter.model.CustomerEvent> purchaseEvents() {
    List<dev.audiencesegmenter.model.CustomerEvent> events = new ArrayList<>();
    for (String line : lines("cdnow/CDNOW_sample.txt")) {
      String[] f = line.strip().split("\\s+");
      if (f.length < 5) {
        continue;
      }
      java.time.LocalDate date = java.time.LocalDate.parse(f[2],
          java.time.format.DateTimeFormatter.BASIC_ISO_DATE);
      events.add(dev.audiencesegmenter.model.CustomerEvent.builder().setSource("cdnow")
          .setSourceRecordId(String.valueOf(events.size() + 1)).setEventType("purchase")
          .setEventTime(org.joda.time.Instant.parse(date + "T12:00:00Z"))
          .setIdentifiers(java.util.Map.of("user_id", f[1]))
          .setRevenue(new java.math.BigDecimal(f[4])).build());
    }
    return events;
  }

  static List<String> lines(String resource) {
    try (InputStream in = CdnowData.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
