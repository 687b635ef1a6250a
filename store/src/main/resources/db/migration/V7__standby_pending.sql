-- Namespaces whose standby user maintenance is still to make (shortly after their first claim): found without a scan.
-- Reclaims change none of these columns, so they stay HOT updates.
CREATE INDEX namespaces_standby_pending ON namespaces (name) WHERE provisioned AND rotations = 0 AND password_2 IS NULL;
