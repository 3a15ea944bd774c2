package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads and checks a customer event (data-formats.md, "customer events"). Consent values are
 * read by {@link dev.audiencesegmenter.model.ConsentValue}'s table; an unreadable one is
 * withdrawn and noted, and the event kept.
 */
final class EventParser implements FlatRecordParser<CustomerEvent> {
  private static final long serialVersionUID = 1L;

  private static final JsonRecord.Schema SCHEMA = new JsonRecord.Schema();
  private static final int SOURCE = SCHEMA.scalar("source");
  private static final int ID = SCHEMA.scalar("id");
  private static final int TYPE = SCHEMA.scalar("type");
  private static final int TIME = SCHEMA.scalar("time");
  private static final int IDS = SCHEMA.stringMap("ids");
  private static final int REVENUE = SCHEMA.scalar("revenue");
  private static final int CURRENCY = SCHEMA.scalar("currency");
  private static final int PROPS = SCHEMA.stringMap("props");
  private static final int CONSENT = SCHEMA.consentMap("consent");

  @Override
  public JsonRecord.Schema schema() {
    return SCHEMA;
  }

  @Override
  public CustomerEvent parse(JsonRecord json) throws BadRecordException {
    String source = JsonFields.requiredString(json, SOURCE);
    String id = JsonFields.requiredString(json, ID);
    String type = JsonFields.requiredString(json, TYPE);
    org.joda.time.Instant time = JsonFields.requiredTime(json, TIME);
    Map<String, String> ids = JsonFields.requiredIdentifiers(json, IDS);
    BigDecimal revenue = JsonFields.optionalAmount(json, REVENUE);
    if (revenue != null && revenue.signum() < 0 && EventTypes.PURCHASE.equals(type)) {
      throw new BadRecordException("absurd value: negative revenue " + revenue.toPlainString()
          + " on a purchase (send refunds as type 'refund')");
    }
    String currency = JsonFields.optionalString(json, CURRENCY);
    if (currency != null) {
      currency = currency.toUpperCase(Locale.ROOT);
      if (!isCurrencyCode(currency)) {
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
        .setProperties(JsonFields.stringMap(json, PROPS))
        .setConsent(JsonFields.consentMap(json, CONSENT))
        .build();
  }

  /** {@code code.matches("[A-Z]{3}")}, without compiling the pattern on every line. */
  static boolean isCurrencyCode(String code) {
    if (code.length() != 3) {
      return false;
    }
    for (int i = 0; i < 3; i++) {
      char c = code.charAt(i);
      if (c < 'A' || c > 'Z') {
        return false;
      }
    }
    return true;
  }

  @Override
  public Map<String, String> identifiers(CustomerEvent event) {
    return event.getIdentifiers();
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
