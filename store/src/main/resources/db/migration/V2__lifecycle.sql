-- Credential lifecycle: rotation, expiry and revocation share the maintenance work between replicas by leasing rows.
ALTER TABLE namespaces
  -- set once a namespace is being removed (expired or revoked): claims wait, nothing else touches it
  ADD COLUMN expiring    boolean     NOT NULL DEFAULT false,
  -- the replica working on a row holds a lease: a random token valid until lease_until
  ADD COLUMN lease_token text,
  ADD COLUMN lease_until timestamptz,
  -- how many times the passwords rotated
  ADD COLUMN rotations   integer     NOT NULL DEFAULT 0;

CREATE INDEX namespaces_due_rotation_idx ON namespaces (next_rotation) WHERE provisioned AND NOT expiring;
