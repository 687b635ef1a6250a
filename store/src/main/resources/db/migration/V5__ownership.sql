-- The users a namespace's record stands for carry the service's tag (PULSE_MANAGED_TAG), so the service can tell
-- them from users it did not make. Rows from before the tag existed are false until reconciliation tags their users
-- (it knows the passwords, so it is sure they are the service's); rows made from now on are true from the start.
ALTER TABLE namespaces ADD COLUMN users_marked boolean NOT NULL DEFAULT false;
ALTER TABLE namespaces ALTER COLUMN users_marked SET DEFAULT true;

-- Namespaces that differ only in letter case are refused: RabbitMQ's name filters ignore case, so twins are a trap
-- for anyone listing the broker (the service itself matches names exactly). Twins made before this migration keep
-- working (they are isolated from each other in the broker); the index covers the namespaces made from now on.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM namespaces GROUP BY lower(name) HAVING count(*) > 1) THEN
    RAISE WARNING 'Namespaces differing only in letter case exist; they are kept, new ones are refused';
    EXECUTE format('CREATE UNIQUE INDEX namespaces_name_folded ON namespaces (lower(name)) WHERE created > %L',
        now());
  ELSE
    CREATE UNIQUE INDEX namespaces_name_folded ON namespaces (lower(name));
  END IF;
END
$$;
