-- Owners' own settings (PATCH /namespace/<ns>): who is warned (NULL: the claim's contact) and the monitor's thresholds
-- for this namespace (NULL: the operator's defaults). None of them is indexed, so reclaims stay HOT updates.
ALTER TABLE namespaces
  ADD COLUMN contacts         text[],
  ADD COLUMN alert_threshold  bigint,
  ADD COLUMN delete_threshold bigint;

-- What happened to each namespace, kept for PULSE_HISTORY_RETENTION. The name is not a foreign key: the history of a
-- namespace outlives it (an owner can read why it is gone). Routine events (renewed, rotated) are coalesced into one
-- row per namespace, event and UTC day (day_key), counting them from first_at to at; every other event has its row.
CREATE TABLE history (
  id        bigserial   PRIMARY KEY,
  namespace text COLLATE "C" NOT NULL,
  event     text        NOT NULL,
  first_at  timestamptz NOT NULL DEFAULT now(),
  at        timestamptz NOT NULL DEFAULT now(),
  count     integer     NOT NULL DEFAULT 1,
  day_key   text,
  detail    jsonb       NOT NULL DEFAULT '{}'
) WITH (fillfactor = 70); -- room for the HOT updates of coalesced rows (count, at: not indexed)

CREATE INDEX history_namespace_idx ON history (namespace, id DESC);
CREATE UNIQUE INDEX history_coalesced_idx ON history (namespace, day_key) WHERE day_key IS NOT NULL;
CREATE INDEX history_first_at_idx ON history (first_at);
CREATE INDEX history_event_idx ON history (event, id DESC);

-- Queues an operator exempted from the monitor (no warnings, no deletion) until the exemption expires.
CREATE TABLE queue_exemptions (
  queue      text COLLATE "C" PRIMARY KEY,
  namespace  text COLLATE "C" NOT NULL,
  reason     text        NOT NULL,
  expires    timestamptz NOT NULL,
  created    timestamptz NOT NULL DEFAULT now(),
  created_by text        NOT NULL
);
