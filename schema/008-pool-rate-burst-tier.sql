-- 008-pool-rate-burst-tier.sql: a pool can set every rate setting an instance can.
-- Issue 4 asks for tier, target mps, burst, pair rate, spacing and typing
-- per pool and per instance; pools lacked the burst and the tier's daily
-- limit.  NULL, as for the others, means "wapool.conf's default".
ALTER TABLE pools ADD COLUMN rate_burst INT UNSIGNED NULL AFTER rate_mps,
  ADD COLUMN tier_daily_limit INT UNSIGNED NULL AFTER rate_burst;
