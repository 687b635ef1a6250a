package io.pulse.api.auth;

import java.util.List;

/** Who made a request and the scopes it holds. {@code name} is for logs only. */
public record Caller(String name, List<String> scopes) {

  public static final Caller ANONYMOUS = new Caller("anonymous", List.of());
}
