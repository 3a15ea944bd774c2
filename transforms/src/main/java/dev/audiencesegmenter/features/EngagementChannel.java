package dev.audiencesegmenter.features;

import dev.audiencesegmenter.model.CustomerEvent;
import dev.audiencesegmenter.model.EventTypes;
import java.util.List;
import java.util.Locale;

/**
 * Which channel an event shows engagement on (email, sms, push, web, app). Whether it is
 * engagement at all is {@link EventTypes#isOutbound}: outbound messages are something we did,
 * not something the customer did.
 *
 * <p>The channel is, in order: the event's {@code channel} prop when it names one of the five;
 * the type's prefix ({@code email_}, {@code sms_}, {@code push_}); the source when it names one
 * of the five; {@code web} for site_visit and page_view; {@code app} for feature_use. Otherwise
 * the event has no channel (a purchase from a source called "shop" without a channel prop).
 */
final class EngagementChannel {
  /** The channels, in the order used to break ties in preferred_channel (alphabetical). */
  static final List<String> NAMES = List.of("app", "email", "push", "sms", "web");

  private EngagementChannel() {}

  /** Index into {@link #NAMES}, or -1 for none. */
  static int of(CustomerEvent event) {
    String prop = event.getProperties().get("channel");
    if (prop != null) {
      int i = NAMES.indexOf(prop.trim().toLowerCase(Locale.ROOT));
      if (i >= 0) {
        return i;
      }
    }
    String type = event.getEventType();
    int underscore = type.indexOf('_');
    if (underscore > 0) {
      int i = NAMES.indexOf(type.substring(0, underscore));
      if (i == NAMES.indexOf("email") || i == NAMES.indexOf("sms") || i == NAMES.indexOf("push")) {
        return i;
      }
    }
    int bySource = NAMES.indexOf(event.getSource().trim().toLowerCase(Locale.ROOT));
    if (bySource >= 0) {
      return bySource;
    }
    return switch (type) {
      case EventTypes.SITE_VISIT, EventTypes.PAGE_VIEW -> NAMES.indexOf("web");
      case EventTypes.FEATURE_USE -> NAMES.indexOf("app");
      default -> -1;
    };
  }
}
