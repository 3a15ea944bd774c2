package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads and checks a customer event (data-formats.md, "customer events"). */
final class EventParser implements RecordParser<CustomerEvent> {
  private static final long serialVersionUID = 1L;

  @Override
  public CustomerEvent parse(ObjectNode json) throws BadRecordException {
    String source = JsonFields.requiredString(json, "source");
    String id = JsonFields.requiredString(json, "id");
    String type = JsonFields.requiredString(json, "type");
    org.joda.time.Instant time = JsonFields.requiredTime(json, "time");
    Map<String, String> ids = JsonFields.requiredIdentifiers(json);
    BigDecimal revenue = JsonFields.optionalAmount(json, "revenue");
    if (revenue != null && revenue.signum() < 0 && EventTypes.PURCHASE.equals(type)) {
      throw new BadRecordException("absurd value: negative revenue " + revenue.toPlainString()
          + " on a purchase (send refunds as type 'refund')");
    }
    String currency = JsonFields.optionalString(json, "currency");
    if (currency != null) {
      currency = currency.toUpperCase(Locale.ROOT);
      if (!currency.matches("[A-Z]{3}")) {
        throw new BadRecordException("invalid currency '" + JsonFields.abbreviate(currency)
            + "' (expected an ISO 4217 code like USD)");
      }
    }
    return CustomerEvent.builder()
        .setSource(source)
        .setSourceRecordId(id)
        .setEventType(type)
        .setEventTime(time)
        .setIdentifiers(ids)
        .setRevenue(revenue)
        .setCurrency(currency)
        .setProperties(JsonFields.stringMap(json, "props"))
        .setConsent(JsonFields.booleanMap(json, "consent"))
        .build();
  }

  @Override
  public String duplicateKey(CustomerEvent event) {
    return event.getSource() + "\u0000" + event.getSourceRecordId();
  }

  @Override
  public Set<String> csvMapColumns() {
    return Set.of("ids", "props", "consent");
  }
}
