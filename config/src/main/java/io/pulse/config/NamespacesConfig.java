package io.pulse.config;

import java.util.List;
import java.util.regex.Pattern;

/**
 * How a namespace maps to the broker: the prefix every namespace must have, the prefix of its users' names, the
 * permission templates ({@code {ns}} is the regex-escaped namespace), the users' tags, the tag that marks every user
 * the service made (it never changes, deletes or disconnects a user without it), and the exchange the service
 * publishes queue events to (the namespace owning it cannot be claimed).
 */
public record NamespacesConfig(String namespacePrefix, String usernamePrefix, String permissionConfigure,
    String permissionWrite, String permissionRead, List<String> userTags, String managedTag, String eventsExchange) {

  private static final Pattern NAMESPACE_PREFIX = Pattern.compile("[A-Za-z0-9_-]{0,63}");
  private static final Pattern USERNAME_PREFIX = Pattern.compile("[A-Za-z0-9_.:@/-]{0,64}");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  static NamespacesConfig read(Values v) {
    return new NamespacesConfig(
        v.matching("PULSE_NAMESPACE_PREFIX", NAMESPACE_PREFIX, "up to 63 characters of A-Z a-z 0-9 _ -"),
        v.matching("PULSE_USERNAME_PREFIX", USERNAME_PREFIX, "up to 64 characters of A-Z a-z 0-9 _ . : @ / -"),
        v.template("PULSE_PERMISSION_CONFIGURE"),
        v.template("PULSE_PERMISSION_WRITE"),
        v.template("PULSE_PERMISSION_READ"),
        v.list("PULSE_USER_TAGS"),
        v.matching("PULSE_MANAGED_TAG", TAG, "1 to 64 characters of A-Z a-z 0-9 _ -"),
        v.text("PULSE_EVENTS_EXCHANGE"));
  }
}
