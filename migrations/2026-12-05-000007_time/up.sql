-- Time: the seeded data moves forward day by day (`seed advance`), as a bank's feed does.
--
-- A pending transaction that posts is replaced by a posted twin with an id of its own that
-- names the pending one, as Plaid's `pending_transaction_id` does. `category_detailed` is
-- Plaid's detailed personal-finance category of what the generator knows the transaction to
-- be (NULL where it knows no more than `category`).
ALTER TABLE transactions ADD COLUMN pending_transaction_id TEXT;
ALTER TABLE transactions ADD COLUMN category_detailed TEXT;

-- The as-of date of the run that first seeded the data: every user's timeline starts from
-- it, and later runs (`seed advance`) only reveal more of the same timelines. NULL for runs
-- recorded before timelines existed.
ALTER TABLE seed_runs ADD COLUMN origin DATE;

-- Every row the seeder added to, changed in or removed from `transactions`, in order: what a
-- Plaid-style /transactions/sync reads to answer "what changed since cursor X". A load
-- records each transaction it writes as `added`; `seed advance` records what each day did.
-- A removed transaction is gone from `transactions`, so `transaction_id` references nothing.
CREATE TABLE transaction_changes (
    -- Increases with the day of the change; see seed/src/changes.rs for its layout.
    seq BIGINT PRIMARY KEY NOT NULL,
    transaction_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- added, modified or removed
    change TEXT NOT NULL,
    -- the as-of date of the run that made the change
    as_of DATE NOT NULL
);

CREATE INDEX transaction_changes_account_id_seq_idx ON transaction_changes (account_id, seq);
