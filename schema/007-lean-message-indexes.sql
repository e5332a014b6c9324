-- 007-lean-message-indexes.sql: fewer secondary indexes carry `state`.
-- A message changes state at least twice on its way (claimed, sent), and
-- every index holding `state` is rewritten (delete-mark + insert) each
-- time: with four of them, index upkeep was most of MariaDB's CPU per
-- message in bench/dispatch.sh.
--  * idx_messages_lease (state, lease_until): lease recovery looks at
--    state = 'sending', at most max_in_flight rows per daemon, which the
--    claim index's first column finds; the lease index bought nothing.
--  * idx_messages_created (created_at, state) -> (created_at): today's
--    statistics read today's rows either way; state need not be in it.
--  * idx_messages_campaign (campaign_id, state) -> (campaign_id): a
--    campaign's rows are found by id; webhook messages (NULL) no longer
--    rewrite it on every transition.
-- Claim + send now rewrite 4 index entries instead of 10.
ALTER TABLE messages
  DROP INDEX idx_messages_lease,
  DROP INDEX idx_messages_created,
  ADD KEY idx_messages_created (created_at),
  DROP INDEX idx_messages_campaign,
  ADD KEY idx_messages_campaign (campaign_id);
