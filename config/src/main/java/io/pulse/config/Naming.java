package io.pulse.config;

import io.pulse.client.PulseError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Every rule that ties a namespace to broker names, in one place: its users ({@code <user prefix><ns>-1} and
 * {@code -2}), its queues ({@code queue/<ns>/...}), its exchanges ({@code exchange/<ns>/...}) and its permissions.
 * Ownership is always decided here by exact, case-sensitive comparison: the broker's name filters (which RabbitMQ
 * applies case-insensitively) are only a pre-filter for listings.
 */
public final class Naming {

  /** A namespace: 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'. */
  public static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private static final String QUEUE = "queue/";
  private static final String EXCHANGE = "exchange/";

  private final NamespacesConfig config;
  private final String reservedNamespace;
  private final List<String> userTags;

  Naming(NamespacesConfig config) {
    this.config = config;
    this.reservedNamespace = namespaceAfter(config.eventsExchange(), EXCHANGE);
    List<String> tags = new ArrayList<>(config.userTags());
    if (!tags.contains(config.managedTag())) {
      tags.add(config.managedTag());
    }
    this.userTags = List.copyOf(tags);
  }

  /** Whether {@code name} is a well-formed namespace name (the prefix rule aside). */
  public static boolean isNamespace(String name) {
    return name != null && NAMESPACE.matcher(name).matches();
  }

  /**
   * {@code name} when it is a namespace this service may hold: well-formed and starting with {@code prefix}; else an
   * InvalidNamespace failure stating the rule.
   */
  public static String checkNamespace(String name, String prefix) {
    if (!isNamespace(name)) {
      throw PulseError.INVALID_NAMESPACE.exception("Namespace '" + Text.printable(name) + "' is invalid: a namespace is"
          + " 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'"
          + (prefix.isEmpty() ? "" : ", starting with '" + prefix + "'"));
    }
    if (!name.startsWith(prefix)) {
      throw PulseError.INVALID_NAMESPACE.exception("Namespace '" + name + "' is invalid: namespaces on this service must"
          + " start with '" + prefix + "'");
    }
    return name;
  }

  /** {@link #checkNamespace(String, String)} with this service's prefix. */
  public String checkNamespace(String name) {
    return checkNamespace(name, config.namespacePrefix());
  }

  /** The prefix every namespace of this service starts with (may be empty). */
  public String namespacePrefix() {
    return config.namespacePrefix();
  }

  // --- users ------------------------------------------------------------------------------------------------

  /** {@code <PULSE_USERNAME_PREFIX><namespace>-<1|2>}. */
  public String username(String namespace, int user) {
    return config.usernamePrefix() + namespace + "-" + user;
  }

  /** The namespace of the managed space whose user 1 or 2 is {@code user}, or null when it is no such user. */
  public String namespaceOfUser(String user) {
    String prefix = config.usernamePrefix();
    if (user == null || !user.startsWith(prefix) || !(user.endsWith("-1") || user.endsWith("-2"))) {
      return null;
    }
    String ns = user.substring(prefix.length(), user.length() - 2);
    return inManagedSpace(ns) ? ns : null;
  }

  /** The tags of namespace users: PULSE_USER_TAGS and the service's own mark. */
  public List<String> userTags() {
    return userTags;
  }

  /** The tag that marks the users this service made. */
  public String managedTag() {
    return config.managedTag();
  }

  /**
   * Whether a broker user ({@code null}: absent) is this service's own: it carries the mark, or it is a user of a
   * record made before the mark existed ({@code unmarkedRecordHasIt}), which reconciliation will mark. Anything else
   * named like a namespace user is somebody else's, and the service never changes, deletes or disconnects it.
   */
  public boolean isOwnUser(JsonObject user, boolean unmarkedRecordHasIt) {
    return user != null && (isMarked(user) || unmarkedRecordHasIt);
  }

  /**
   * Whether a user as the management API shows it ({@code tags} an array, or a comma-separated string on older
   * brokers) carries this service's mark.
   */
  public boolean isMarked(JsonObject user) {
    if (user == null) {
      return false;
    }
    Object tags = user.getValue("tags");
    if (tags instanceof JsonArray) {
      return ((JsonArray) tags).contains(config.managedTag());
    }
    if (tags instanceof String) {
      for (String tag : ((String) tags).split(",")) {
        if (tag.trim().equals(config.managedTag())) {
          return true;
        }
      }
    }
    return false;
  }

  /** The permission templates with {@code {ns}} replaced by the regex-escaped namespace. */
  public JsonObject permissions(String namespace) {
    String ns = escapeRegex(namespace);
    return new JsonObject()
        .put("configure", config.permissionConfigure().replace("{ns}", ns))
        .put("write", config.permissionWrite().replace("{ns}", ns))
        .put("read", config.permissionRead().replace("{ns}", ns));
  }

  // --- queues and exchanges ---------------------------------------------------------------------------------

  /** Whether queue {@code name} belongs to {@code namespace}: it starts with {@code queue/<namespace>/}, exactly. */
  public boolean ownsQueue(String namespace, String name) {
    return name != null && name.startsWith(QUEUE + namespace + "/");
  }

  /** Whether exchange {@code name} belongs to {@code namespace}: it starts with {@code exchange/<namespace>/}. */
  public boolean ownsExchange(String namespace, String name) {
    return name != null && name.startsWith(EXCHANGE + namespace + "/");
  }

  /** The namespace of the managed space that queue {@code name} belongs to, or null. */
  public String namespaceOfQueue(String name) {
    String ns = namespaceAfter(name, QUEUE);
    return inManagedSpace(ns) ? ns : null;
  }

  /** The namespace of the managed space that exchange {@code name} belongs to, or null. */
  public String namespaceOfExchange(String name) {
    String ns = namespaceAfter(name, EXCHANGE);
    return inManagedSpace(ns) ? ns : null;
  }

  /** A name filter narrowing a listing of queues to those of {@code namespace} (a pre-filter only). */
  public String queueFilter(String namespace) {
    return "^" + QUEUE + escapeRegex(namespace) + "/";
  }

  /** A name filter narrowing a listing of exchanges to those of {@code namespace} (a pre-filter only). */
  public String exchangeFilter(String namespace) {
    return "^" + EXCHANGE + escapeRegex(namespace) + "/";
  }

  /** A name filter narrowing a listing of queues to the managed space (a pre-filter only). */
  public String managedQueueFilter() {
    return "^" + QUEUE + escapeRegex(config.namespacePrefix());
  }

  /** A name filter narrowing a listing of exchanges to the managed space (a pre-filter only). */
  public String managedExchangeFilter() {
    return "^" + EXCHANGE + escapeRegex(config.namespacePrefix());
  }

  // --- the events exchange ----------------------------------------------------------------------------------

  /** The exchange queue events are published to. */
  public String eventsExchange() {
    return config.eventsExchange();
  }

  /** {@code x} when the events exchange is {@code exchange/x/...}: namespace x could write to it, so it is reserved. */
  public String reservedNamespace() {
    return reservedNamespace;
  }

  /**
   * Whether {@code namespace} is the reserved one, in any letter case: RabbitMQ's own filters ignore case, so a case
   * twin must not be claimable either.
   */
  public boolean isReserved(String namespace) {
    return namespace.equalsIgnoreCase(reservedNamespace);
  }

  /** {@code text} with every regex metacharacter escaped, for permission templates and name filters. */
  public static String escapeRegex(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8);
    for (char c : text.toCharArray()) {
      if ("\\^$.|?*+()[]{}-".indexOf(c) >= 0) {
        out.append('\\');
      }
      out.append(c);
    }
    return out.toString();
  }

  private boolean inManagedSpace(String ns) {
    return isNamespace(ns) && ns.startsWith(config.namespacePrefix());
  }

  /** {@code <ns>} of {@code <kind><ns>/...}, or null. */
  private static String namespaceAfter(String name, String kind) {
    if (name == null || !name.startsWith(kind)) {
      return null;
    }
    int slash = name.indexOf('/', kind.length());
    return slash < 0 ? null : name.substring(kind.length(), slash);
  }
}
