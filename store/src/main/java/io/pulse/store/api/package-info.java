/** The storage contract: the namespace records, served on the event bus by the store verticle. */
@ModuleGen(name = "pulse-store", groupPackage = "io.pulse.store")
package io.pulse.store.api;

import io.vertx.codegen.annotations.ModuleGen;
