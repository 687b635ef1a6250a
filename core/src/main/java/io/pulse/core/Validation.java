package io.pulse.core;

import io.pulse.client.Dates;
import io.pulse.client.PulseError;
import io.pulse.config.Naming;
import io.pulse.config.Text;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The input rules, applied alike to REST and event-bus callers. Each failure names the field and the rule. */
final class Validation {

  static final int MAX_LIMIT = 1000;
  /** Dates have four-digit years, as Taskcluster writes them. */
  /** The last instant of year 9999 (UTC): later dates would need more than four digits. */
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");
  /** The longest e-mail address SMTP allows. */
  static final int MAX_CONTACT = 254;

  private static final Pattern NAMESPACE = Naming.NAMESPACE;
  private static final Pattern EMAIL = Pattern.compile("[^@\\s\"<>,;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+");
  private static final Set<String> CLAIM_FIELDS = Set.of("expires", "contact");
  private static final Set<String> LIST_FIELDS = Set.of("limit", "continuationToken");
  /** The kind of the namespace listing's tokens (the others: q1 queues, h1 history, b1 biggest queues). */
  private static final String TOKEN_KIND = "v1";

  private Validation() {
  }

  /** What a valid claim asks for. {@code contact} is null when not given. */
  record Claim(Instant expires, String contact) {
  }

  /** A valid list query: at most {@code limit} names after {@code after} (null: from the start). */
  record ListQuery(int limit, String after) {
  }

  static String namespace(String name, String prefix) {
    return Naming.checkNamespace(name, prefix);
  }

  /**
   * A claim's payload: {@code expires} in the future (default {@code defaultDuration} from now; one further ahead than
   * {@code maxDuration} is capped to it, and the answer shows the capped value), {@code contact} a printable e-mail
   * address.
   */
  static Claim claim(JsonObject payload, Instant now, Duration defaultDuration, Duration maxDuration) {
    JsonObject body = payload == null ? new JsonObject() : payload;
    for (String field : body.fieldNames()) {
      if (!CLAIM_FIELDS.contains(field)) {
        throw PulseError.INPUT_VALIDATION.exception("payload has an unknown field '" + printable(field)
            + "': only 'expires' and 'contact' are allowed");
      }
    }
    Instant expires = now.plus(defaultDuration);
    Object rawExpires = body.getValue("expires");
    if (rawExpires != null) {
      if (!(rawExpires instanceof String)) {
        throw PulseError.INPUT_VALIDATION.exception("payload field 'expires' must be a string holding an ISO 8601"
            + " date-time such as 2030-01-01T00:00:00Z");
      }
      try {
        expires = Dates.parse((String) rawExpires);
        if (expires.isAfter(LATEST)) {
          throw new DateTimeException("a year of more than four digits");
        }
      } catch (DateTimeException e) {
        throw PulseError.INPUT_VALIDATION.exception("payload field 'expires' is not an ISO 8601 date-time with a zone"
            + " (such as 2030-01-01T00:00:00Z): '" + printable((String) rawExpires) + "'");
      }
      if (!expires.isAfter(now)) {
        throw PulseError.INPUT_VALIDATION.exception("payload field 'expires' must be in the future, got "
            + printable((String) rawExpires));
      }
      if (expires.isAfter(now.plus(maxDuration))) {
        expires = now.plus(maxDuration);
      }
    } else if (body.containsKey("expires")) {
      throw PulseError.INPUT_VALIDATION.exception("payload field 'expires' must be a date-time string, not null");
    }
    String contact = null;
    Object rawContact = body.getValue("contact");
    if (rawContact != null) {
      if (!(rawContact instanceof String)) {
        throw PulseError.INPUT_VALIDATION.exception("payload field 'contact' must be a string holding an e-mail address");
      }
      contact = ((String) rawContact).trim();
      if (contact.length() > MAX_CONTACT || !printableAscii(contact)) {
        throw PulseError.INPUT_VALIDATION.exception("payload field 'contact' must be an e-mail address of at most "
            + MAX_CONTACT + " printable ASCII characters, without spaces or control characters: '"
            + printable(contact) + "'");
      }
      if (!EMAIL.matcher(contact).matches()) {
        throw PulseError.INPUT_VALIDATION.exception("payload field 'contact' is not an e-mail address: '"
            + printable(contact) + "'");
      }
    } else if (body.containsKey("contact")) {
      throw PulseError.INPUT_VALIDATION.exception("payload field 'contact' must be an e-mail string, not null");
    }
    return new Claim(expires, contact);
  }

  /** What can be stored and mailed safely: no control characters (PostgreSQL refuses U+0000), no spaces. */
  private static boolean printableAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  static ListQuery list(JsonObject query) {
    JsonObject q = query == null ? new JsonObject() : query;
    for (String field : q.fieldNames()) {
      if (!LIST_FIELDS.contains(field)) {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("unknown query argument '" + printable(field)
            + "': only 'limit' and 'continuationToken' are allowed");
      }
    }
    int limit = MAX_LIMIT;
    Object rawLimit = q.getValue("limit");
    if (rawLimit != null) {
      long value;
      if (rawLimit instanceof Number && ((Number) rawLimit).doubleValue() == ((Number) rawLimit).longValue()) {
        value = ((Number) rawLimit).longValue();
      } else if (rawLimit instanceof String && ((String) rawLimit).matches("\\d{1,18}")) {
        value = Long.parseLong((String) rawLimit);
      } else {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("'limit' must be a whole number from 1 to " + MAX_LIMIT);
      }
      if (value < 1) {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("'limit' must be a whole number from 1 to " + MAX_LIMIT);
      }
      limit = (int) Math.min(value, MAX_LIMIT);
    }
    Object rawToken = q.getValue("continuationToken");
    String after = null;
    if (rawToken != null) {
      after = decodeToken(rawToken);
    }
    return new ListQuery(limit, after);
  }

  /** Continuation tokens are opaque to callers; inside, the last name of the page (names order by bytes). */
  static String token(String lastName) {
    return token(TOKEN_KIND, lastName);
  }

  private static String decodeToken(Object raw) {
    String name = fromToken(raw, TOKEN_KIND);
    if (!NAMESPACE.matcher(name).matches()) {
      throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("'continuationToken' is not a token this service gave out"
          + " for this listing; pass back the continuationToken of the previous page");
    }
    return name;
  }

  // --- owners' self-service ---------------------------------------------------------------------------------

  /** A page of a listing: at most {@code limit} items after the one the token names ({@code after}: null at first). */
  record Page(int limit, String after) {
  }

  /**
   * A page query of {@code limit} (1..{@code max}, default {@code byDefault}; larger values are capped) and
   * {@code continuationToken} (one of this kind the service gave out), plus the {@code extra} arguments allowed.
   */
  static Page page(JsonObject query, String kind, int byDefault, int max, Set<String> extra) {
    JsonObject q = query == null ? new JsonObject() : query;
    for (String field : q.fieldNames()) {
      if (!LIST_FIELDS.contains(field) && !extra.contains(field)) {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("unknown query argument '" + printable(field)
            + "': only " + String.join(", ", sorted(LIST_FIELDS, extra)) + " are allowed");
      }
    }
    int limit = byDefault;
    Object rawLimit = q.getValue("limit");
    if (rawLimit != null) {
      long value = -1;
      if (rawLimit instanceof Number && ((Number) rawLimit).doubleValue() == ((Number) rawLimit).longValue()) {
        value = ((Number) rawLimit).longValue();
      } else if (rawLimit instanceof String && ((String) rawLimit).matches("\\d{1,18}")) {
        value = Long.parseLong((String) rawLimit);
      }
      if (value < 1) {
        throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("'limit' must be a whole number from 1 to " + max);
      }
      limit = (int) Math.min(value, max);
    }
    Object rawToken = q.getValue("continuationToken");
    return new Page(limit, rawToken == null ? null : fromToken(rawToken, kind));
  }

  /** An opaque continuation token of a kind of listing, holding the last item of a page. */
  static String token(String kind, String last) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((kind + ":" + last).getBytes(StandardCharsets.UTF_8));
  }

  private static String fromToken(Object raw, String kind) {
    ServiceException invalid = PulseError.INVALID_REQUEST_ARGUMENTS.exception(
        "'continuationToken' is not a token this service gave out for this listing; pass back the continuationToken"
            + " of the previous page");
    if (!(raw instanceof String) || ((String) raw).length() > 1024) {
      throw invalid;
    }
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode((String) raw), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid;
    }
    if (!text.startsWith(kind + ":")) {
      throw invalid;
    }
    return text.substring(kind.length() + 1);
  }

  /** The id a history token holds. */
  static long historyId(String after) {
    try {
      return Long.parseLong(after);
    } catch (NumberFormatException e) {
      throw PulseError.INVALID_REQUEST_ARGUMENTS.exception("'continuationToken' is not a token this service gave out"
          + " for this listing; pass back the continuationToken of the previous page");
    }
  }

  /** A queue of {@code namespace}, by its full name; else ResourceNotFound (the caller may only see its own). */
  static String ownQueue(Naming naming, String namespace, String queue) {
    if (queue == null || !naming.ownsQueue(namespace, queue) || queue.length() == ("queue/" + namespace + "/").length()
        || queue.getBytes(StandardCharsets.UTF_8).length > 255 || !noControls(queue)) {
      throw PulseError.RESOURCE_NOT_FOUND.exception("Namespace '" + namespace + "' has no queue '"
          + printable(String.valueOf(queue)) + "': its queues are named queue/" + namespace + "/...");
    }
    return queue;
  }

  /** Owners' settings that may change, and what each holds. */
  private static final Set<String> SETTINGS = Set.of("contacts", "alertThreshold", "deleteThreshold");

  /**
   * An owner's changes: {@code contacts} (up to {@code maxContacts} distinct e-mail addresses, or null), and the
   * thresholds (whole numbers from 1 to the operator's maximum, or null); at least one of them. The combination with
   * what stays is checked by {@link #thresholds}.
   */
  static JsonObject settings(JsonObject changes, int maxContacts, long maxAlert, long maxDelete) {
    if (changes == null || changes.isEmpty()) {
      throw PulseError.INPUT_VALIDATION.exception("the body must change at least one of contacts, alertThreshold and"
          + " deleteThreshold");
    }
    JsonObject valid = new JsonObject();
    for (String field : changes.fieldNames()) {
      if (!SETTINGS.contains(field)) {
        throw PulseError.INPUT_VALIDATION.exception("unknown field '" + printable(field) + "': only contacts,"
            + " alertThreshold and deleteThreshold can be changed");
      }
    }
    if (changes.containsKey("contacts")) {
      Object raw = changes.getValue("contacts");
      if (raw == null) {
        valid.putNull("contacts");
      } else if (!(raw instanceof JsonArray)) {
        throw PulseError.INPUT_VALIDATION.exception("'contacts' must be a list of e-mail addresses, or null");
      } else {
        JsonArray list = (JsonArray) raw;
        if (list.size() > maxContacts) {
          throw PulseError.INPUT_VALIDATION.exception("'contacts' may hold at most " + maxContacts
              + " addresses, not " + list.size());
        }
        JsonArray addresses = new JsonArray();
        for (Object item : list) {
          String address = item instanceof String ? email("contacts", (String) item) : null;
          if (address == null) {
            throw PulseError.INPUT_VALIDATION.exception("'contacts' must hold e-mail address strings, not "
                + printable(String.valueOf(item)));
          }
          if (!addresses.contains(address)) {
            addresses.add(address);
          }
        }
        valid.put("contacts", addresses);
      }
    }
    threshold(changes, valid, "alertThreshold", maxAlert, "PULSE_MONITOR_MAX_ALERT_THRESHOLD");
    threshold(changes, valid, "deleteThreshold", maxDelete, "PULSE_MONITOR_MAX_DELETE_THRESHOLD");
    return valid;
  }

  private static void threshold(JsonObject changes, JsonObject valid, String field, long max, String setting) {
    if (!changes.containsKey(field)) {
      return;
    }
    Object raw = changes.getValue(field);
    if (raw == null) {
      valid.putNull(field);
      return;
    }
    if (!(raw instanceof Number) || ((Number) raw).doubleValue() != ((Number) raw).longValue()
        || ((Number) raw).longValue() < 1 || ((Number) raw).longValue() > max) {
      throw PulseError.INPUT_VALIDATION.exception("'" + field + "' must be a whole number of messages from 1 to " + max
          + " (the operator's bound, " + setting + "), or null for the operator's default; got "
          + printable(String.valueOf(raw)));
    }
    valid.put(field, ((Number) raw).longValue());
  }

  /** The thresholds a namespace would have: the warning must come before the deletion. */
  static void thresholds(long alert, long delete) {
    if (alert >= delete) {
      throw PulseError.INPUT_VALIDATION.exception("alertThreshold (" + alert + ") must be below deleteThreshold ("
          + delete + "): owners are warned before their queue is deleted");
    }
  }

  /** An e-mail address as a claim's {@code contact} takes it, or null when it is not one. */
  private static String email(String field, String raw) {
    String address = raw.trim();
    return address.length() <= MAX_CONTACT && printableAscii(address) && EMAIL.matcher(address).matches()
        ? address : null;
  }

  /** Reasons and other free text: no control characters. */
  static boolean noControls(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static List<String> sorted(Set<String> a, Set<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    Collections.sort(all);
    return all;
  }

  private static String printable(String text) {
    return Text.printable(text);
  }
}
