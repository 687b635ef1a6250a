-- One row per namespace: the truth about its two RabbitMQ users.
CREATE TABLE namespaces (
  name          text COLLATE "C" PRIMARY KEY, -- byte order: stable keyset paging
  created       timestamptz NOT NULL DEFAULT now(),
  updated       timestamptz NOT NULL DEFAULT now(),
  expires       timestamptz NOT NULL,
  contact       text,
  -- which of <prefix><name>-1 and -2 a claim hands out
  active_user   smallint    NOT NULL DEFAULT 1 CHECK (active_user IN (1, 2)),
  -- NULL: that user exists without a usable password (standby)
  password_1    text,
  password_2    text,
  next_rotation timestamptz NOT NULL,
  -- false until both users and their permissions exist in RabbitMQ; readers do not see such rows
  provisioned   boolean     NOT NULL DEFAULT false
);

CREATE INDEX namespaces_expires_idx ON namespaces (expires);
CREATE INDEX namespaces_next_rotation_idx ON namespaces (next_rotation);
