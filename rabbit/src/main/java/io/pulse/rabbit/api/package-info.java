/** The RabbitMQ administration contract, served on the event bus by the rabbit verticle. */
@ModuleGen(name = "pulse-rabbit", groupPackage = "io.pulse.rabbit")
package io.pulse.rabbit.api;

import io.vertx.codegen.annotations.ModuleGen;
