/**
 * The Pulse service's event-bus contract for co-deployed verticles: {@link io.pulse.client.NamespaceService} (claim,
 * read, list and revoke namespaces) with its generated proxy, the error codes failures carry
 * ({@link io.pulse.client.PulseError}) and the addresses of the events the service publishes
 * ({@link io.pulse.client.Events}).
 */
@ModuleGen(name = "pulse-client", groupPackage = "io.pulse.client")
package io.pulse.client;

import io.vertx.codegen.annotations.ModuleGen;
