-- Which users a run's rows belong to, by their index in the seed's sequence of users:
-- [users_from, users_to). A load covers the users it wrote (a whole run from 0, a shard its
-- slice); `seed advance` covers the users it moved forward, and its row's as_of is where they
-- now stand. The latest row covering a user says how far that user's timeline shows. NULL for
-- rows recorded before runs recorded it; `seed advance` refuses a database holding one.
ALTER TABLE seed_runs ADD COLUMN users_from BIGINT;
ALTER TABLE seed_runs ADD COLUMN users_to BIGINT;
