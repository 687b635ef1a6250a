package io.pulse.api;

import io.pulse.api.auth.ReplayGuard;
import io.pulse.config.HttpConfig;
import io.pulse.config.PulseConfig;

/**
 * What the REST verticle's instances (PULSE_HTTP_INSTANCES, one per event loop) share, so that running the API on more
 * event loops changes neither a caller's limits nor the replay protection: the per-caller rate limits of first claims
 * and revocations, and the Hawk requests already accepted. Make one per deployment and give it to every instance.
 */
public final class HttpShared {

  final RateLimiter firstClaims;
  final RateLimiter revocations;
  final ReplayGuard replays = new ReplayGuard();

  public HttpShared(PulseConfig config) {
    HttpConfig limits = config.http();
    this.firstClaims = new RateLimiter(limits.firstClaimsPerSecond(), limits.rateLimitBurst());
    this.revocations = new RateLimiter(limits.revocationsPerSecond(), limits.rateLimitBurst());
  }
}
