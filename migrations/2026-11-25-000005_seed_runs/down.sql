DROP TABLE seed_runs;
