-- Every load that put rows into the seeded tables: what generated them and when. A replacing
-- load or reset-db refuses a database whose users hold rows that no run recorded here:
-- those may be an application's own data (or a production database behind a tunnel whose
-- URL looks local). A replacing load empties it and records itself; a shard adds its row.

CREATE TABLE seed_runs (
    id TEXT PRIMARY KEY NOT NULL,
    -- meta.generator, such as `spendsense-seed 0.4.0`
    generator TEXT NOT NULL,
    -- meta.profile
    profile TEXT NOT NULL,
    -- meta.seed, in decimal: a u64 does not fit BIGINT
    seed TEXT NOT NULL,
    as_of DATE NOT NULL,
    -- K/N of a shard's load; NULL for a whole run
    shard TEXT,
    -- `generated`, or the users.json a --from load read
    source TEXT NOT NULL,
    -- the rows the load added, per table, as a JSON object
    row_counts TEXT NOT NULL,
    finished_at TIMESTAMP NOT NULL
);

-- Databases seeded before this table existed hold persona labels, which only the seeder
-- writes: record them as one run of unknown settings, so the guard does not refuse them.
INSERT INTO seed_runs (id, generator, profile, seed, as_of, shard, source, row_counts, finished_at)
SELECT 'seeded-before-seed-runs', 'unknown', 'unknown', 'unknown', CURRENT_DATE, NULL,
       'unknown', '{}', CURRENT_TIMESTAMP
WHERE EXISTS (SELECT 1 FROM persona_labels);
