package io.pulse.config;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a deployment runs beside storage and the RabbitMQ administration (which every deployment has), so that replicas
 * can split the work: PULSE_ROLES, by name.
 */
public record RolesConfig(Set<RolesConfig.Role> roles) {

  /** A part of the service a deployment may run. */
  public enum Role {
    /** The REST API, with the health routes and /metrics. */
    API,
    /** The namespace service on the event bus, for co-deployed verticles. */
    NAMESPACES,
    /** Rotation, expiry and reconciliation. */
    MAINTENANCE,
    /** Runaway queues, owner notices, orphans and old connections. */
    MONITOR;

    /** The role's name in PULSE_ROLES. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public RolesConfig {
    roles = Collections.unmodifiableSet(roles.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(roles));
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /** The roles as PULSE_ROLES names them, comma-separated, in a fixed order. */
  public String describe() {
    return roles.stream().map(Role::id).collect(Collectors.joining(","));
  }

  static RolesConfig read(Values v) {
    String known = "(the roles are " + Arrays.stream(Role.values()).map(Role::id).collect(Collectors.joining(", "))
        + ")";
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String name : v.list("PULSE_ROLES")) {
      roles.add(Arrays.stream(Role.values()).filter(r -> r.id().equals(name)).findFirst()
          .orElseThrow(() -> new ConfigException("PULSE_ROLES", "unknown role '" + Text.printable(name) + "' "
              + known)));
    }
    if (roles.isEmpty()) {
      throw new ConfigException("PULSE_ROLES", "names no role " + known);
    }
    return new RolesConfig(roles);
  }
}
