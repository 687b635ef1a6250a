package io.pulse.monitor;

import io.vertx.core.Future;

/** Where the monitor's notices go: to a namespace's contact (null: nobody to mail) and, for state changes, as events. */
interface Notices {

  Future<Void> tell(Notice notice, String contact);
}
