package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.JsonNode;
import dev.audiencesegmenter.io.sources.SourceMapping;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A customer event from a tool's export, through an events {@link SourceMapping}. */
final class MappedEventParser extends MappedParser<CustomerEvent> {
  private static final long serialVersionUID = 1L;

  MappedEventParser(SourceMapping mapping) {
    super(requireKind(mapping, SourceMapping.Kind.EVENTS));
  }

  static SourceMapping requireKind(SourceMapping mapping, SourceMapping.Kind kind) {
    if (mapping.getKind() != kind) {
      throw new IllegalArgumentException("format '" + mapping.getName() + "' maps "
          + mapping.getKind().toString().toLowerCase(Locale.ROOT) + ", not "
          + kind.toString().toLowerCase(Locale.ROOT));
    }
    return mapping;
  }

  @Override
  CustomerEvent map(JsonNode root, String json, List<String> notes) throws BadRecordException {
    String name = required(root, mapping.getType());
    String type = mapping.getTypeNames().getOrDefault(name, name);
    org.joda.time.Instant time = time(root);
    Map<String, String> ids = identifiers(root);
    BigDecimal revenue = amount(root, mapping.getRevenue());
    if (revenue != null && revenue.signum() > 0
        && mapping.getNegativeRevenueTypes().contains(type)) {
      revenue = revenue.negate();
    }
    if (revenue != null && revenue.signum() < 0 && EventTypes.PURCHASE.equals(type)) {
      throw bad(root, mapping.getRevenue(), "absurd value: negative revenue "
          + revenue.toPlainString() + " on a purchase");
    }
    String currency = text(root, mapping.getCurrency());
    if (currency != null) {
      currency = currency.toUpperCase(Locale.ROOT);
      if (!EventParser.isCurrencyCode(currency)) {
        throw bad(root, mapping.getCurrency(), "invalid currency '" + JsonFields.abbreviate(currency)
            + "' (expected an ISO 4217 code like USD)");
      }
    }
    return CustomerEvent.builder()
        .setSource(mapping.getSource())
        .setSourceRecordId(recordId(root, json))
        .setEventType(type)
        .setEventTime(time)
        .setIdentifiers(ids)
        .setRevenue(revenue)
        .setCurrency(currency)
        .setProperties(fields(root))
        .setConsent(consent(root, notes))
        .build();
  }

  @Override
  public Map<String, String> identifiers(CustomerEvent event) {
    return event.getIdentifiers();
  }

  @Override
  String source(CustomerEvent event) {
    return event.getSource();
  }

  @Override
  String sourceRecordId(CustomerEvent event) {
    return event.getSourceRecordId();
  }
}
