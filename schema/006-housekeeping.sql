-- 006-housekeeping.sql: wapoold's periodic chores, claimed so that one
-- daemon of many runs each, and a capacity alert that can be open once.

-- One row per chore.  A daemon claims a run with one guarded UPDATE
-- (last_run_at older than the chore's interval); the row it changed is
-- the proof that no other daemon runs it in this interval.
CREATE TABLE housekeeping (
  job           VARCHAR(64) NOT NULL PRIMARY KEY,
  last_run_at   DATETIME(6) NULL,
  last_owner    VARCHAR(128) NULL,
  last_result   VARCHAR(1000) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO housekeeping (job) VALUES ('orphan_report');

-- At most one open capacity alert per server, even when two processes
-- notice the same server at once: the generated column holds the gateway
-- only while such an alert is open, and NULLs do not collide.  Duplicates
-- an older race left behind are resolved first (the oldest stays open).
UPDATE alerts a JOIN alerts b ON b.kind = a.kind AND b.gateway_id = a.gateway_id
    AND b.resolved_at IS NULL AND b.id < a.id
  SET a.resolved_at = NOW(6)
  WHERE a.kind = 'gateway_capacity' AND a.resolved_at IS NULL;
ALTER TABLE alerts
  ADD COLUMN open_capacity_gateway_id BIGINT UNSIGNED
    AS (IF(kind = 'gateway_capacity' AND resolved_at IS NULL, gateway_id, NULL)) PERSISTENT,
  ADD UNIQUE KEY uq_alerts_open_capacity (open_capacity_gateway_id);
