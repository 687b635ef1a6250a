-- The monitor's memory: queues that are (or are about to be) in a state the owner was told about. A queue in plain
-- normal state has no row, so the table stays small. Replicas change a row only at the version they read.
CREATE TABLE queue_states (
  queue       text COLLATE "C" PRIMARY KEY,
  namespace   text        NOT NULL,
  state       text        NOT NULL CHECK (state IN ('normal', 'warning', 'deleted')),
  messages    bigint      NOT NULL,
  -- since when the queue is above the alert threshold (for PULSE_MONITOR_ALERT_AFTER)
  above_since timestamptz,
  -- when the owner was last told (a warning or a reminder)
  notified_at timestamptz,
  version     integer     NOT NULL DEFAULT 1,
  updated     timestamptz NOT NULL DEFAULT now()
);
