package dev.audiencesegmenter.segments;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a segment file says about acting on a segment, beyond who is in it: the thresholds it
 * must reach to be worth acting on, the activation plan, and the prioritization inputs that no
 * data can give. Every part is optional; {@link #NONE} is a segment that says nothing.
 *
 * @param minSize smallest useful size; 0 when not given (the report's default applies)
 * @param minRevenue smallest useful revenue of the members; null when not given
 * @param activation the plan, or null
 * @param fit fit with what we sell, 1 to 10, or null
 * @param strategicValue strategic value, 1 to 10, or null
 * @param accessibility used only when no consent columns exist to measure it, 1 to 10, or null
 */
public record SegmentPlan(long minSize, @Nullable BigDecimal minRevenue,
    @Nullable Activation activation, @Nullable Integer fit, @Nullable Integer strategicValue,
    @Nullable Integer accessibility) implements Serializable {

  public static final SegmentPlan NONE = new SegmentPlan(0, null, null, null, null, null);

  /**
   * How a segment is activated: the channels (email, sms, push, ...), message theme, offer,
   * KPI and owner. A plan is complete when it has a channel and all four texts.
   */
  public record Activation(List<String> channels, String messageTheme, String offer, String kpi,
      String owner) implements Serializable {
    public Activation {
      channels = List.copyOf(channels);
      messageTheme = messageTheme == null ? "" : messageTheme;
      offer = offer == null ? "" : offer;
      kpi = kpi == null ? "" : kpi;
      owner = owner == null ? "" : owner;
    }

    /** The parts a complete plan needs that this one lacks, by their YAML keys. */
    public List<String> missing() {
      List<String> missing = new ArrayList<>();
      if (channels.isEmpty()) {
        missing.add("channels");
      }
      if (messageTheme.isEmpty()) {
        missing.add("message_theme");
      }
      if (offer.isEmpty()) {
        missing.add("offer");
      }
      if (kpi.isEmpty()) {
        missing.add("kpi");
      }
      if (owner.isEmpty()) {
        missing.add("owner");
      }
      return missing;
    }
  }
}
