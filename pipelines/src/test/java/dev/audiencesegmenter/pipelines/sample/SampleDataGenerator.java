package dev.audiencesegmenter.pipelines.sample;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/**
 * Writes realistic, seeded customer data: shop purchases, refunds and cart activity, CRM
 * profiles, email sends / opens / clicks, web visits and app feature use, for N customers
 * whose identifiers appear across sources in different formats (upper-case and padded
 * emails, phones written five ways), with junk real data has: the shop's own hotline and
 * order-desk address typed into customers' orders, placeholder emails and user ids. Next to
 * the data it writes the ground truth of which normalized identifier belongs to which
 * customer (junk belongs to none), so identity resolution can be scored.
 *
 * <p>Every customer's identifiers are connected by construction (a signup event carries the
 * email, the user id and the first browser id; every later browser id and device id is seen
 * once together with the user id), and no two customers share a real identifier, so a
 * resolver that refuses the junk scores pairwise precision and recall of 1.0.
 *
 * <p>Output layout under the target folder:
 *
 * <pre>
 *   events/shop.jsonl       purchases, refunds, cart adds, checkouts (plain JSON Lines)
 *   events/email.jsonl.gz   email sends, opens, clicks (gzip)
 *   events/web.jsonl.gz     signups, site visits, page views (gzip)
 *   events/app.csv          app feature use (CSV with ids.* / props.* columns)
 *   profiles/crm.jsonl      CRM profile attributes
 *   truth/identities.csv    true_customer,id_type,id_value (normalized values)
 * </pre>
 *
 * <p>Each customer draws from a random stream seeded by (seed, customer number) only, so the
 * same seed gives the same customer whatever N is, and files are written as customers are
 * generated: memory stays constant.
 *
 * <p>Sized by events ({@link #writeEvents}), the generator writes a tenth as many customers as
 * events by default, as a benchmark wants (1M events, 100k customers), where the personas alone
 * give about 23 events per customer. It gets there by keeping only a share of each customer's
 * repeatable engagement (email sends with their opens and clicks, site visits, app use after
 * the first), decided by a second random stream per customer: signups, the records that link
 * identifiers, profiles, purchases and refunds are all kept, and every customer is the same
 * person, with the same purchases, as in the unscaled data.
 */
public final class SampleDataGenerator {

  private static final String[] FIRST =
      {"ann", "bob", "carla", "dev", "elena", "farid", "grace", "hiro", "ines", "jonas", "kemi",
       "liam", "maya", "noor", "omar", "priya", "quinn", "rosa", "sven", "tara", "umar", "vera",
       "wen", "ximena", "yusuf", "zoe"};
  private static final String[] LAST =
      {"lee", "garcia", "smith", "novak", "okafor", "tanaka", "muller", "rossi", "kim", "silva",
       "haddad", "brown", "ivanova", "chen", "dubois", "patel"};
  private static final String[] DOMAINS =
      {"example.com", "mail.example.org", "shopper.example.net", "inbox.example.io"};
  /** City, country, lat, lon, and a US area code used for phones. */
  private static final String[][] CITIES = {
      {"New York", "US", "40.71", "-74.01", "212"},
      {"San Francisco", "US", "37.77", "-122.42", "415"},
      {"Chicago", "US", "41.88", "-87.63", "312"},
      {"Boston", "US", "42.36", "-71.06", "617"},
      {"Seattle", "US", "47.61", "-122.33", "206"},
      {"Austin", "US", "30.27", "-97.74", "512"},
      {"Denver", "US", "39.74", "-104.99", "303"},
      {"Miami", "US", "25.76", "-80.19", "305"}};
  private static final String[] CATEGORIES =
      {"outdoor", "kitchen", "books", "fitness", "electronics", "beauty", "toys", "garden"};
  private static final String[] FEATURES =
      {"dashboard", "export", "wishlist", "reorder", "share", "reviews"};
  private static final String[] PLANS = {"free", "plus", "pro"};
  /** Junk shared by many customers: a valid phone and a plausible email of the shop itself. */
  static final String SHOP_HOTLINE = "(415) 200-0000";
  static final String SHOP_ORDER_DESK = "orders@shopper.example.net";

  /** Behaviour types, so the bundled segments have members. */
  enum Persona { LOYAL, REGULAR, LAPSED, NEW, BROWSER, EMAIL_FAN, ONE_TIMER }

  private final long seed;
  private final Instant asOf;
  private final boolean jsonLinesOnly;
  private final PhoneNumberUtil phones = PhoneNumberUtil.getInstance();

  public SampleDataGenerator(long seed, LocalDate asOf) {
    this(seed, asOf, false);
  }

  /**
   * With {@code jsonLinesOnly}, the app events are written as JSON Lines ({@code
   * events/app.jsonl}, the same events) instead of CSV: every source in one format, for peers
   * that read JSON Lines only.
   */
  public SampleDataGenerator(long seed, LocalDate asOf, boolean jsonLinesOnly) {
    this.seed = seed;
    // The last instant of the asOf day is the "now" of the sample; a few events come after.
    this.asOf = asOf.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    this.jsonLinesOnly = jsonLinesOnly;
  }

  /** Counts of what was written. */
  public record Counts(long customers, long events, long profiles, long identifiers) {}

  /** Events per customer when only the events are given: 1M events are 100k customers. */
  public static final int DEFAULT_EVENTS_PER_CUSTOMER = 10;
  /** Customers simulated (nothing written) to find the share of engagement to keep. */
  private static final int CALIBRATION_CUSTOMERS = 5_000;

  public static void main(String[] args) throws IOException {
    int customers = 0;
    long events = 0;
    long seed = 42;
    LocalDate asOf = LocalDate.parse("2024-06-30");
    Path out = Path.of("sample");
    boolean jsonLinesOnly = false;
    for (String arg : args) {
      String[] kv = arg.replaceFirst("^--", "").split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("Expected --name=value, got '" + arg + "'");
      }
      switch (kv[0]) {
        case "customers" -> customers = Integer.parseInt(kv[1]);
        case "events" -> events = Long.parseLong(kv[1]);
        case "seed" -> seed = Long.parseLong(kv[1]);
        case "asOf" -> asOf = LocalDate.parse(kv[1]);
        case "output" -> out = Path.of(kv[1]);
        case "jsonLinesOnly" -> jsonLinesOnly = Boolean.parseBoolean(kv[1]);
        default -> throw new IllegalArgumentException("Unknown option '" + kv[0]
            + "'; known: customers, events, seed, asOf, output, jsonLinesOnly");
      }
    }
    SampleDataGenerator generator = new SampleDataGenerator(seed, asOf, jsonLinesOnly);
    Counts counts;
    if (events > 0) {
      counts = customers > 0 ? generator.writeEvents(out, events, customers)
          : generator.writeEvents(out, events);
    } else {
      counts = generator.write(out, customers > 0 ? customers : 2000);
    }
    System.out.printf(
        "Wrote %d customers, %d events, %d profiles, %d identifiers to %s%n",
        counts.customers(), counts.events(), counts.profiles(), counts.identifiers(), out);
  }

  /** Writes {@code customers} customers under {@code folder} (created if missing). */
  public Counts write(Path folder, int customers) throws IOException {
    if (customers < 1) {
      throw new IllegalArgumentException("customers must be at least 1, got " + customers);
    }
    return write(folder, customers, 1.0);
  }

  /**
   * Writes about {@code events} events of {@code events / 10} customers (see the class comment;
   * the event count is met within a fraction of a percent, not exactly).
   */
  public Counts writeEvents(Path folder, long events) throws IOException {
    if (events < DEFAULT_EVENTS_PER_CUSTOMER) {
      throw new IllegalArgumentException(
          "events must be at least " + DEFAULT_EVENTS_PER_CUSTOMER + ", got " + events);
    }
    long customers = events / DEFAULT_EVENTS_PER_CUSTOMER;
    if (customers > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("events must be at most "
          + (long) Integer.MAX_VALUE * DEFAULT_EVENTS_PER_CUSTOMER + ", got " + events);
    }
    return writeEvents(folder, events, (int) customers);
  }

  /**
   * Writes {@code customers} customers with about {@code events} events in all, by keeping a
   * share of each customer's repeatable engagement. Fails, naming the feasible range, when the
   * ratio asks for more events per customer than the personas produce, or fewer than the
   * records every customer needs (signup, identity links, purchases).
   */
  public Counts writeEvents(Path folder, long events, int customers) throws IOException {
    if (customers < 1) {
      throw new IllegalArgumentException("customers must be at least 1, got " + customers);
    }
    if (events < 1) {
      throw new IllegalArgumentException("events must be at least 1, got " + events);
    }
    return write(folder, customers, engagementShare(events / (double) customers));
  }

  /**
   * The share of optional engagement events that gives {@code perCustomer} events per customer
   * on average, measured on the first customers of this seed.
   */
  double engagementShare(double perCustomer) throws IOException {
    Sink counter = new Sink(Writer.nullWriter(), Writer.nullWriter(), Writer.nullWriter(),
        Writer.nullWriter(), Writer.nullWriter());
    for (int i = 1; i <= CALIBRATION_CUSTOMERS; i++) {
      new Customer(i, 1.0).emit(counter);
    }
    double required = (counter.events - counter.optional) / (double) CALIBRATION_CUSTOMERS;
    double optional = counter.optional / (double) CALIBRATION_CUSTOMERS;
    if (perCustomer < required || perCustomer > required + optional) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "%.2f events per customer asked; this generator writes between %.2f (the records every"
              + " customer needs) and %.2f (all the engagement its personas produce)",
          perCustomer, required, required + optional));
    }
    return (perCustomer - required) / optional;
  }

  private Counts write(Path folder, int customers, double engagementShare) throws IOException {
    Files.createDirectories(folder.resolve("events"));
    Files.createDirectories(folder.resolve("profiles"));
    Files.createDirectories(folder.resolve("truth"));
    long events = 0;
    long profiles = 0;
    long identifiers = 0;
    try (Writer shop = writer(folder.resolve("events/shop.jsonl"), false);
        Writer email = writer(folder.resolve("events/email.jsonl.gz"), true);
        Writer web = writer(folder.resolve("events/web.jsonl.gz"), true);
        Writer app = writer(folder.resolve(jsonLinesOnly ? "events/app.jsonl"
            : "events/app.csv"), false);
        Writer crm = writer(folder.resolve("profiles/crm.jsonl"), false);
        Writer truth = writer(folder.resolve("truth/identities.csv"), false)) {
      if (!jsonLinesOnly) {
        app.write("source,id,type,time,ids.device_id,ids.user_id,props.feature,props.os,"
            + "props.device\n");
      }
      truth.write("true_customer,id_type,id_value\n");
      int i = 1;
      for (; i <= customers; i++) {
        Customer c = new Customer(i, engagementShare);
        Sink sink = new Sink(shop, email, web, app, crm);
        c.emit(sink);
        events += sink.events;
        profiles += sink.profiles;
        for (Map.Entry<String, String> id : c.truth.entrySet()) {
          truth.write(c.key + "," + id.getValue() + "," + id.getKey() + "\n");
          identifiers++;
        }
      }
      customers = i - 1;
    }
    return new Counts(customers, events, profiles, identifiers);
  }

  private static Writer writer(Path path, boolean gzip) throws IOException {
    OutputStream os = Files.newOutputStream(path);
    if (gzip) {
      os = new GZIPOutputStream(os, 1 << 16);
    }
    return new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
  }

  /** The files one customer's records go to, and what was written. */
  private static final class Sink {
    final Writer shop;
    final Writer email;
    final Writer web;
    final Writer app;
    final Writer crm;
    long events;
    /** Of {@link #events}, those the engagement share applies to. */
    long optional;
    long profiles;

    Sink(Writer shop, Writer email, Writer web, Writer app, Writer crm) {
      this.shop = shop;
      this.email = email;
      this.web = web;
      this.app = app;
      this.crm = crm;
    }
  }

  /** One synthetic customer: identity, persona, and the events it produces. */
  private final class Customer {
    final int n;
    final String key;
    final SplittableRandom rnd;
    final Persona persona;
    final String first;
    final String last;
    final String emailCanonical;
    final PhoneNumber phone;
    final String userId;
    final String crmId;
    final List<String> browserIds = new ArrayList<>();
    final String deviceId;
    final String[] city;
    final String os;
    /** Normalized identifier value -> type, for the ground truth. */
    final Map<String, String> truth = new LinkedHashMap<>();
    final Instant signup;
    /** Decides which optional engagement is written; null when all of it is. */
    final SplittableRandom keep;
    final double engagementShare;
    int recordSeq;

    Customer(int n, double engagementShare) {
      this.n = n;
      this.key = "t" + n;
      this.rnd = new SplittableRandom(seed * 1_000_003L + n);
      // A stream of its own, so thinning never shifts the draws that shape the customer.
      this.engagementShare = engagementShare;
      this.keep = engagementShare < 1.0 ? new SplittableRandom(~seed * 7_000_003L + n) : null;
      this.persona = pickPersona();
      this.first = FIRST[rnd.nextInt(FIRST.length)];
      this.last = LAST[rnd.nextInt(LAST.length)];
      this.emailCanonical =
          first + "." + last + n + "@" + DOMAINS[rnd.nextInt(DOMAINS.length)];
      this.city = CITIES[rnd.nextInt(CITIES.length)];
      this.phone = uniquePhone();
      this.userId = "u-" + n;
      this.crmId = String.valueOf(100000 + n);
      int browsers = 1 + rnd.nextInt(3);
      for (int b = 0; b < browsers; b++) {
        browserIds.add(String.format(Locale.ROOT, "anon-%d-%08x", n, rnd.nextInt() & 0x7fffffff));
      }
      this.deviceId = rnd.nextInt(100) < 45 ? String.format(Locale.ROOT, "dev-%06d", n) : null;
      this.os = rnd.nextBoolean() ? "ios" : "android";
      this.signup = asOf.minus(Duration.ofDays(signupAgeDays())).plusSeconds(rnd.nextInt(86400));
    }

    private Persona pickPersona() {
      int p = rnd.nextInt(100);
      if (p < 12) {
        return Persona.LOYAL;
      } else if (p < 32) {
        return Persona.REGULAR;
      } else if (p < 50) {
        return Persona.LAPSED;
      } else if (p < 60) {
        return Persona.NEW;
      } else if (p < 75) {
        return Persona.BROWSER;
      } else if (p < 87) {
        return Persona.EMAIL_FAN;
      }
      return Persona.ONE_TIMER;
    }

    private int signupAgeDays() {
      return switch (persona) {
        case NEW -> 1 + rnd.nextInt(25);
        case LAPSED -> 200 + rnd.nextInt(300);
        default -> 60 + rnd.nextInt(500);
      };
    }

    /** A valid, customer-unique US number: area code of the city, line number from n. */
    private PhoneNumber uniquePhone() {
      // Exchange 2xx-9xx (never 555) and the line number spell out n, so numbers are unique.
      int exchange = 200 + (n / 10000) % 800;
      int line = n % 10000;
      String national = city[4] + exchange + String.format(Locale.ROOT, "%04d", line);
      PhoneNumber number = new PhoneNumber().setCountryCode(1)
          .setNationalNumber(Long.parseLong(national));
      if (!phones.isValidNumber(number)) {
        throw new IllegalStateException("Generated an invalid phone number for customer " + n);
      }
      return number;
    }

    String e164() {
      return phones.format(phone, PhoneNumberUtil.PhoneNumberFormat.E164);
    }

    /** The email as some source writes it: padded, upper-cased or mixed case. */
    String emailAsWritten() {
      return switch (rnd.nextInt(4)) {
        case 0 -> " " + emailCanonical.toUpperCase(Locale.ROOT) + " ";
        case 1 -> Character.toUpperCase(emailCanonical.charAt(0)) + emailCanonical.substring(1);
        default -> emailCanonical;
      };
    }

    /** The phone as some source writes it: five common notations. */
    String phoneAsWritten() {
      String nat = String.valueOf(phone.getNationalNumber());
      String a = nat.substring(0, 3);
      String b = nat.substring(3, 6);
      String c = nat.substring(6);
      return switch (rnd.nextInt(5)) {
        case 0 -> "(" + a + ") " + b + "-" + c;
        case 1 -> "+1 " + a + "-" + b + "-" + c;
        case 2 -> a + "." + b + "." + c;
        case 3 -> nat;
        default -> "+1" + nat;
      };
    }

    void seen(String type, String normalizedValue) {
      truth.put(normalizedValue, type);
    }

    /** Whether the next optional engagement (a send with its opens, a visit, a use) is kept. */
    boolean kept() {
      return keep == null || keep.nextDouble() < engagementShare;
    }

    Instant randomTimeBetween(Instant from, Instant to) {
      long span = Math.max(1, Duration.between(from, to).getSeconds());
      return from.plusSeconds((long) (rnd.nextDouble() * span));
    }

    void emit(Sink sink) throws IOException {
      // Signup on the web links email, user id and the first browser.
      Map<String, String> ids = new LinkedHashMap<>();
      ids.put("email", emailAsWritten());
      ids.put("user_id", userId);
      ids.put("anonymous_id", browserIds.get(0));
      seen("email", emailCanonical);
      seen("user_id", userId);
      seen("anonymous_id", browserIds.get(0));
      writeEvent(sink.web, sink, "web", "signup", signup, ids, null,
          Map.of("channel", "web", "device", os.equals("ios") ? "iphone" : "pixel"), null, null);

      // Every further browser is seen once while logged in, then anonymously.
      for (int b = 1; b < browserIds.size(); b++) {
        Instant t = randomTimeBetween(signup, asOf);
        writeEvent(sink.web, sink, "web", "page_view", t,
            Map.of("anonymous_id", browserIds.get(b), "user_id", userId), null,
            Map.of("page", "/account"), null, null);
        seen("anonymous_id", browserIds.get(b));
      }

      if (rnd.nextInt(100) < 80) {
        writeProfile(sink);
      }
      emitPurchases(sink);
      long required = sink.events;
      emitEmail(sink);
      emitWeb(sink);
      emitApp(sink);
      // The first app use links the device and is not optional.
      sink.optional += sink.events - required - (deviceId == null ? 0 : 1);
    }

    private void writeProfile(Sink sink) throws IOException {
      Map<String, String> ids = new LinkedHashMap<>();
      ids.put("crm_id", crmId);
      ids.put("email", emailAsWritten());
      seen("crm_id", crmId);
      if (rnd.nextInt(100) < 70) {
        ids.put("phone", phoneAsWritten());
        seen("phone", e164());
      }
      Map<String, String> attrs = new LinkedHashMap<>();
      attrs.put("first_name", capitalize(first));
      attrs.put("last_name", capitalize(last));
      attrs.put("country", city[1]);
      attrs.put("city", city[0]);
      attrs.put("lat", city[2]);
      attrs.put("lon", city[3]);
      attrs.put("plan", PLANS[rnd.nextInt(PLANS.length)]);
      Instant updated = randomTimeBetween(signup, asOf);
      StringWriter json = new StringWriter();
      try (JsonGenerator g = JSON.createGenerator(json)) {
        g.writeStartObject();
        g.writeStringField("source", "crm");
        g.writeStringField("id", "c-" + crmId);
        g.writeStringField("time", ISO.format(updated));
        writeMap(g, "ids", ids);
        writeMap(g, "attrs", attrs);
        g.writeEndObject();
      }
      sink.crm.write(json + "\n");
      sink.profiles++;
    }

    private void emitPurchases(Sink sink) throws IOException {
      int count;
      Instant from = signup;
      Instant to = asOf;
      switch (persona) {
        case LOYAL -> count = 6 + rnd.nextInt(10);
        case REGULAR -> count = 2 + rnd.nextInt(4);
        case LAPSED -> {
          count = 1 + rnd.nextInt(4);
          to = asOf.minus(Duration.ofDays(120 + rnd.nextInt(60)));
        }
        case NEW, ONE_TIMER -> count = 1;
        case EMAIL_FAN -> count = rnd.nextInt(3);
        default -> count = 0;
      }
      if (!from.isBefore(to)) {
        from = to.minus(Duration.ofDays(30));
      }
      for (int p = 0; p < count; p++) {
        Instant t = persona == Persona.LOYAL && p < 3
            ? randomTimeBetween(asOf.minus(Duration.ofDays(150)), asOf)
            : randomTimeBetween(from, to);
        BigDecimal revenue = BigDecimal.valueOf(5 + rnd.nextInt(240))
            .add(BigDecimal.valueOf(rnd.nextInt(100), 2)).setScale(2, RoundingMode.UNNECESSARY);
        Map<String, String> ids = new LinkedHashMap<>();
        ids.put("user_id", userId);
        ids.put("email", emailAsWritten());
        if (rnd.nextInt(100) < 30) {
          ids.put("phone", phoneAsWritten());
          seen("phone", e164());
        }
        if (p == 0) {
          addJunk(ids);
        }
        String category = CATEGORIES[rnd.nextInt(CATEGORIES.length)];
        String orderId = "o-" + n + "-" + p;
        writeEvent(sink.shop, sink, "shop", "purchase", t, ids, revenue,
            Map.of("category", category, "sku", category.substring(0, 3).toUpperCase(Locale.ROOT)
                + "-" + rnd.nextInt(50), "channel", rnd.nextBoolean() ? "web" : "app"),
            Map.of("email", rnd.nextInt(100) < 85), orderId);
        if (rnd.nextInt(100) < 6) {
          Instant refundAt = t.plus(Duration.ofDays(1 + rnd.nextInt(10)));
          if (refundAt.isBefore(asOf)) {
            writeEvent(sink.shop, sink, "shop", "refund", refundAt, Map.of("user_id", userId),
                revenue.negate(), Map.of("order", orderId), null, "r-" + n + "-" + p);
          }
        }
      }
      // Cart activity: some customers added to cart in the last day and did not buy.
      if (rnd.nextInt(100) < 8 && persona != Persona.LAPSED) {
        Instant t = asOf.minus(Duration.ofHours(1 + rnd.nextInt(20)));
        writeEvent(sink.shop, sink, "shop", "cart_add", t, Map.of("user_id", userId), null,
            Map.of("sku", "CART-" + rnd.nextInt(50)), null, null);
      }
      if (rnd.nextInt(100) < 10) {
        Instant t = randomTimeBetween(signup, asOf);
        writeEvent(sink.shop, sink, "shop", "checkout_start", t, Map.of("user_id", userId), null,
            Map.of(), null, null);
      }
      // A few records arrive after the run's asOf and must be ignored.
      if (rnd.nextInt(100) < 3) {
        writeEvent(sink.shop, sink, "shop", "purchase", asOf.plus(Duration.ofDays(2)),
            Map.of("user_id", userId), new BigDecimal("19.99"), Map.of(), null, null);
      }
    }

    private void emitEmail(Sink sink) throws IOException {
      int sends = switch (persona) {
        case EMAIL_FAN -> 14 + rnd.nextInt(10);
        case BROWSER -> rnd.nextInt(4);
        default -> 3 + rnd.nextInt(8);
      };
      int openPct = persona == Persona.EMAIL_FAN ? 75 : persona == Persona.LAPSED ? 10 : 30;
      Instant from = asOf.minus(Duration.ofDays(120));
      if (from.isBefore(signup)) {
        from = signup;
      }
      for (int s = 0; s < sends; s++) {
        Instant t = randomTimeBetween(from, asOf);
        String campaign = "cmp-" + (1 + rnd.nextInt(12));
        Map<String, String> ids = Map.of("email", emailAsWritten());
        // Drawn either way, so a dropped send leaves the customer's other draws as they were.
        boolean kept = kept();
        if (kept) {
          writeEvent(sink.email, sink, "email", "email_sent", t, ids, null,
              Map.of("campaign", campaign), null, null);
        }
        if (rnd.nextInt(100) < openPct) {
          Instant opened = t.plusSeconds(60 + rnd.nextInt(7200));
          if (opened.isBefore(asOf)) {
            if (kept) {
              writeEvent(sink.email, sink, "email", "email_open", opened, ids, null,
                  Map.of("campaign", campaign), null, null);
            }
            if (rnd.nextInt(100) < 35 && kept) {
              writeEvent(sink.email, sink, "email", "email_click", opened.plusSeconds(30), ids,
                  null, Map.of("campaign", campaign), null, null);
            }
          }
        }
      }
    }

    private void emitWeb(Sink sink) throws IOException {
      int visits = switch (persona) {
        case BROWSER -> 8 + rnd.nextInt(12);
        case LAPSED -> rnd.nextInt(2);
        default -> 2 + rnd.nextInt(6);
      };
      for (int v = 0; v < visits; v++) {
        Instant t = randomTimeBetween(signup, asOf);
        String browser = browserIds.get(rnd.nextInt(browserIds.size()));
        Map<String, String> props = Map.of("category", CATEGORIES[rnd.nextInt(CATEGORIES.length)],
            "device", rnd.nextBoolean() ? "desktop" : "mobile");
        if (kept()) {
          writeEvent(sink.web, sink, "web", "site_visit", t, Map.of("anonymous_id", browser),
              null, props, null, null);
        }
      }
    }

    private void emitApp(Sink sink) throws IOException {
      if (deviceId == null) {
        return;
      }
      seen("device_id", deviceId);
      int uses = 1 + rnd.nextInt(persona == Persona.LOYAL ? 12 : 5);
      for (int u = 0; u < uses; u++) {
        Instant t = randomTimeBetween(signup, asOf);
        // The first use is logged in; later ones carry the device id alone.
        String user = u == 0 ? userId : u == 1 && n % 5 == 0 ? "undefined" : "";
        String id = "a-" + n + "-" + (recordSeq++);
        String feature = FEATURES[rnd.nextInt(FEATURES.length)];
        if (u > 0 && !kept()) {
          continue;
        }
        String device = os.equals("ios") ? "iphone" : "pixel";
        if (jsonLinesOnly) {
          Map<String, String> ids = new LinkedHashMap<>();
          ids.put("device_id", deviceId);
          if (!user.isEmpty()) {
            ids.put("user_id", user); // an empty CSV cell is an absent value
          }
          writeEvent(sink.app, sink, "app", "feature_use", t, ids, null,
              Map.of("feature", feature, "os", os, "device", device), null, id);
          continue;
        }
        sink.app.write(String.join(",", "app", id, "feature_use", ISO.format(t), deviceId, user,
            feature, os, device) + "\n");
        sink.events++;
      }
    }

    /**
     * Noise real shops have, on a customer's first order (never in the truth, and without
     * drawing from the random stream, so the rest of the data does not change with it): the
     * shop's own hotline typed in for the customer's phone, a placeholder email, or the shop's
     * order desk address in place of the customer's.
     */
    private void addJunk(Map<String, String> ids) {
      if (n % 8 == 0 && !ids.containsKey("phone")) {
        ids.put("phone", SHOP_HOTLINE);
      }
      if (n % 9 == 0) {
        ids.put("email", "none@none.com");
      } else if (n % 12 == 6) {
        ids.put("email", SHOP_ORDER_DESK);
      }
    }

    private void writeEvent(Writer out, Sink sink, String source, String type, Instant time,
        Map<String, String> ids, BigDecimal revenue, Map<String, String> props,
        Map<String, Boolean> consent, String recordId) throws IOException {
      StringWriter json = new StringWriter();
      try (JsonGenerator g = JSON.createGenerator(json)) {
        g.writeStartObject();
        g.writeStringField("source", source);
        g.writeStringField("id", recordId != null ? recordId
            : source.charAt(0) + "-" + n + "-" + (recordSeq++));
        g.writeStringField("type", type);
        g.writeStringField("time", ISO.format(time));
        writeMap(g, "ids", ids);
        if (revenue != null) {
          g.writeNumberField("revenue", revenue);
          g.writeStringField("currency", "USD");
        }
        if (!props.isEmpty()) {
          writeMap(g, "props", new java.util.TreeMap<>(props));
        }
        if (consent != null) {
          g.writeObjectFieldStart("consent");
          for (Map.Entry<String, Boolean> e : consent.entrySet()) {
            g.writeBooleanField(e.getKey(), e.getValue());
          }
          g.writeEndObject();
        }
        g.writeEndObject();
      }
      out.write(json + "\n");
      sink.events++;
    }
  }

  private static void writeMap(JsonGenerator g, String name, Map<String, String> map)
      throws IOException {
    g.writeObjectFieldStart(name);
    // Sorted: Map.of iterates in an order that changes from one JVM to the next.
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(map).entrySet()) {
      g.writeStringField(e.getKey(), e.getValue());
    }
    g.writeEndObject();
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private static final JsonFactory JSON = new JsonFactory();
  private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;
}
