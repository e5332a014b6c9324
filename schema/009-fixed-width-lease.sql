-- 009-fixed-width-lease.sql: a claim rewrites its row in place.
-- A claim set lease_owner, lease_until and claimed_at from NULL to values,
-- so every claimed row grew by ~40 bytes: InnoDB cannot update a record in
-- place when its size changes, and rows inserted back to back fill their
-- pages, so claims reorganised or split a page every few rows.  The claim
-- was the costliest statement of bench/dispatch.sh (43 us of MariaDB time
-- per message; in place, about half).  Fixed-width, never-NULL columns
-- keep the row's size across claims and releases:
--  * lease_owner: '' when nobody holds the row (wapoold's owner ids are at
--    most 64 ASCII characters: host cut to 40, pid, 8 hex digits);
--  * lease_until: meaningful only while state = 'sending' (every reader
--    checks state first); until the first claim it is the creation time;
--  * claimed_at: the last claim, the creation time until the first.
UPDATE messages SET lease_owner = '' WHERE lease_owner IS NULL;
UPDATE messages SET lease_until = created_at WHERE lease_until IS NULL;
UPDATE messages SET claimed_at = created_at WHERE claimed_at IS NULL;
ALTER TABLE messages
  MODIFY lease_owner CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  MODIFY lease_until DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  MODIFY claimed_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
