package dev.audiencesegmenter.clv;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The model behind the purchase columns (P(alive), expected purchases and, through them, the
 * predicted lifetime value). Gamma-Gamma gives the value per purchase with either.
 */
public enum PurchaseModel {
  /** BG/NBD (Fader, Hardie &amp; Lee 2005): dropout right after a repeat purchase. */
  BG_NBD,
  /** Pareto/NBD (Schmittlein, Morrison &amp; Colombo 1987): dropout at any time. */
  PARETO_NBD;

  /** The name in options and JSON: {@code bg_nbd}, {@code pareto_nbd}. */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** By {@link #jsonName()}; the error lists the names there are. */
  public static PurchaseModel parse(String name) {
    for (PurchaseModel m : values()) {
      if (m.jsonName().equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown purchase model '" + name + "'; use one of "
        + Arrays.stream(values()).map(PurchaseModel::jsonName)
            .collect(Collectors.joining(", ")));
  }
}
