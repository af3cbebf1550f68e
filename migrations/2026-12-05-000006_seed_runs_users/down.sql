ALTER TABLE seed_runs DROP COLUMN user_ids_digest;
ALTER TABLE seed_runs DROP COLUMN user_count;
