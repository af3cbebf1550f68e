-- Which users each run wrote: how many, and an order-independent digest of their ids (the
-- seeder's `UserDigest`, 16 hex digits). A replacing load or reset-db compares them, added up
-- over every run, with the users table: users that no run wrote (an application's own, say)
-- make it refuse, naming how many, instead of deleting them.
--
-- Rows recorded before this migration (by an older seeder, or the 'seeded-before-seed-runs'
-- row of 2026-11-25-000005) name no users. They keep a database they seeded working: one of
-- them records as many users as the table holds when this migration runs, the others none,
-- and their digest is 'before-user-digests'. While such a row remains, the guard compares
-- only the number of users (more than recorded is refused); the next replacing load or
-- reset-db empties seed_runs and records itself in full. A row without these columns (NULL,
-- as something that knows only the older columns would insert it) records no users.

ALTER TABLE seed_runs ADD COLUMN user_count BIGINT;
ALTER TABLE seed_runs ADD COLUMN user_ids_digest TEXT;

UPDATE seed_runs SET user_count = 0, user_ids_digest = 'before-user-digests';
UPDATE seed_runs SET user_count = (SELECT count(*) FROM users)
WHERE id = (SELECT min(id) FROM seed_runs);
