-- Reclaims update expires on every call. Without an index on it those updates are HOT (no index entries to
-- write), which is most of their cost; the expiry sweep compares expires with a bound and scans, once a minute.
DROP INDEX IF EXISTS namespaces_expires_idx;
-- Room on each page for the new row versions of HOT updates.
ALTER TABLE namespaces SET (fillfactor = 80);
