/**
 * The namespace service contract: claim, get and list namespaces, for REST (through the HTTP verticle) and for
 * verticles deployed in the same Vert.x runtime (through the event bus proxy).
 */
@ModuleGen(name = "pulse-api", groupPackage = "io.pulse.api")
package io.pulse.api;

import io.vertx.codegen.annotations.ModuleGen;
