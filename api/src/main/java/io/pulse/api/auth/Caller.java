package io.pulse.api.auth;

import io.pulse.config.Text;

import java.util.List;

/**
 * Who made a request and the scopes it holds. {@code name} is for logs only; it holds caller-chosen text (a token's
 * subject, a clientId), so it is kept escaped: nobody can forge a log line through it.
 */
public record Caller(String name, List<String> scopes) {

  public static final Caller ANONYMOUS = new Caller("anonymous", List.of());

  public Caller {
    name = Text.loggable(name);
  }
}
