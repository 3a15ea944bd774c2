package dev.audiencesegmenter.model;

/**
 * Well-known event types. The vocabulary is open: any other string is a valid event type and
 * is carried through, it just feeds no built-in feature.
 */
public final class EventTypes {
  public static final String PURCHASE = "purchase";
  public static final String REFUND = "refund";
  public static final String EMAIL_SENT = "email_sent";
  public static final String EMAIL_OPEN = "email_open";
  public static final String EMAIL_CLICK = "email_click";
  public static final String SITE_VISIT = "site_visit";
  public static final String PAGE_VIEW = "page_view";
  public static final String FEATURE_USE = "feature_use";
  public static final String SIGNUP = "signup";
  public static final String CART_ADD = "cart_add";
  public static final String CHECKOUT_START = "checkout_start";
  public static final String SUBSCRIPTION_START = "subscription_start";
  public static final String SUBSCRIPTION_CANCEL = "subscription_cancel";
  public static final String SUPPORT_TICKET = "support_ticket";

  private EventTypes() {}

  /**
   * Outbound messages ({@code email_sent}, anything ending in {@code _sent} or
   * {@code _delivered}): something we did, not something the customer did, so not engagement.
   */
  public static boolean isOutbound(String eventType) {
    return eventType.equals(EMAIL_SENT) || eventType.endsWith("_sent")
        || eventType.endsWith("_delivered");
  }
}
