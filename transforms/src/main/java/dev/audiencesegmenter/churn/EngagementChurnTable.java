package dev.audiencesegmenter.churn;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import dev.audiencesegmenter.grouping.TallyFn;
import org.apache.beam.sdk.transforms.Combine;

/**
 * The engagement churn model, calibrated on the data's own history: per {@link EngagementCell}
 * at the reference instant (90 days before asOf), how many customers stood there and how many
 * of them then went quiet (no engagement event in the 90 days to asOf). A customer who never
 * bought gets as churn risk the share of quiet ones in the cell the customer stands in at
 * asOf. Cells with fewer than {@link #MIN_CUSTOMERS} customers borrow from their recency row,
 * then from everyone, so that a handful of customers does not decide a risk; with fewer than
 * that in all, there is no risk ({@link #churnRisk} gives NaN).
 *
 * <p>Counts merge by addition, in any order: the table is a {@link Combine} over customers.
 */
public final class EngagementChurnTable implements Serializable {
  private static final long serialVersionUID = 1L;
  /** The fewest customers a rate is taken from. */
  public static final int MIN_CUSTOMERS = 30;

  private final long[] customers = new long[EngagementCell.COUNT];
  private final long[] quiet = new long[EngagementCell.COUNT];

  /** Counts one customer's history; a customer not active before the reference is left out. */
  public EngagementChurnTable add(ActivityHistory history) {
    EngagementCell cell = history.atReference();
    if (cell != null) {
      customers[cell.index()]++;
      if (!history.activeSinceReference()) {
        quiet[cell.index()]++;
      }
    }
    return this;
  }

  public EngagementChurnTable merge(EngagementChurnTable other) {
    for (int i = 0; i < EngagementCell.COUNT; i++) {
      customers[i] += other.customers[i];
      quiet[i] += other.quiet[i];
    }
    return this;
  }

  /** Customers calibrated in the cell. */
  public long customers(EngagementCell cell) {
    return customers[cell.index()];
  }

  /** Of them, those who went quiet. */
  public long quiet(EngagementCell cell) {
    return quiet[cell.index()];
  }

  /** The churn risk of a customer standing in {@code cell} at asOf; NaN without enough data. */
  public double churnRisk(EngagementCell cell) {
    int i = cell.index();
    if (customers[i] >= MIN_CUSTOMERS) {
      return (double) quiet[i] / customers[i];
    }
    int width = EngagementCell.EVENTS.size();
    int rowStart = cell.recency() * width;
    long rowCustomers = Arrays.stream(customers, rowStart, rowStart + width).sum();
    if (rowCustomers >= MIN_CUSTOMERS) {
      return (double) Arrays.stream(quiet, rowStart, rowStart + width).sum() / rowCustomers;
    }
    long all = Arrays.stream(customers).sum();
    return all >= MIN_CUSTOMERS ? (double) Arrays.stream(quiet).sum() / all : Double.NaN;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EngagementChurnTable t && Arrays.equals(customers, t.customers)
        && Arrays.equals(quiet, t.quiet);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(customers) * 31 + Arrays.hashCode(quiet);
  }

  /** Adds customers' histories up into one table. */
  public static Combine.CombineFn<ActivityHistory, EngagementChurnTable, EngagementChurnTable>
      calibrate() {
    return TallyFn.of(EngagementChurnTable::new, EngagementChurnTable::add,
        EngagementChurnTable::merge, TableCoder.INSTANCE);
  }

  public static Coder<EngagementChurnTable> coder() {
    return TableCoder.INSTANCE;
  }

  private static final class TableCoder extends AtomicCoder<EngagementChurnTable> {
    static final TableCoder INSTANCE = new TableCoder();
    private static final VarLongCoder LONG = VarLongCoder.of();

    @Override
    public void encode(EngagementChurnTable table, OutputStream out) throws IOException {
      for (int i = 0; i < EngagementCell.COUNT; i++) {
        LONG.encode(table.customers[i], out);
        LONG.encode(table.quiet[i], out);
      }
    }

    @Override
    public EngagementChurnTable decode(InputStream in) throws IOException {
      EngagementChurnTable table = new EngagementChurnTable();
      for (int i = 0; i < EngagementCell.COUNT; i++) {
        table.customers[i] = LONG.decode(in);
        table.quiet[i] = LONG.decode(in);
      }
      return table;
    }

    @Override
    public void verifyDeterministic() {}
  }
}
