-- 005-instance-state-index.sql: "what did each instance send today" from one index range.
-- idx_messages_instance (sent_instance_id, sent_at) could only be used by
-- its first column from a correlated subquery or a join, so "sent today"
-- per instance read every message the instance ever sent.  Led by sent_at
-- and carrying state, the replacement answers today's per-instance counts
-- (pools view, fleet pages, the daemon's daily counts and ack watch) with
-- a covering range over today alone, and the all-time per-instance counts
-- of the queue API with one covering index scan.  Replaced, not added, so
-- a send still updates the same number of indexes.
ALTER TABLE messages DROP INDEX idx_messages_instance,
  ADD KEY idx_messages_sent (sent_at, sent_instance_id, state);
