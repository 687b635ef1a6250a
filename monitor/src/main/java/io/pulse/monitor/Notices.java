package io.pulse.monitor;

import io.vertx.core.Future;

import java.util.List;

/**
 * Where the monitor's notices go: to every contact of a namespace (none: nobody to mail) and, for state changes, as
 * events.
 */
interface Notices {

  Future<Void> tell(Notice notice, List<String> contacts);
}
