ALTER TABLE seed_runs DROP COLUMN users_to;
ALTER TABLE seed_runs DROP COLUMN users_from;
