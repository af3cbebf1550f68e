-- Users, their bank accounts and the accounts' transactions, in SQL that runs unchanged on
-- SQLite and PostgreSQL: TEXT ids (UUIDs), BIGINT cents, BOOLEAN, TIMESTAMP, DOUBLE PRECISION.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    consent BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    subtype TEXT NOT NULL,
    mask TEXT NOT NULL,
    balance BIGINT NOT NULL,
    currency TEXT NOT NULL,
    credit_limit BIGINT,
    apr DOUBLE PRECISION,
    min_payment BIGINT,
    is_overdue BOOLEAN
);

CREATE INDEX accounts_user_id_idx ON accounts (user_id);

-- Transactions are the one large table (about 120 rows per user). Their id is kept unique by
-- the index transactions_id_key rather than a PRIMARY KEY constraint: nothing references a
-- transaction, and an index can be dropped and rebuilt around a bulk load, which on SQLite is
-- several times faster than keeping a random-order UUID key up to date row by row.
CREATE TABLE transactions (
    id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    date TIMESTAMP NOT NULL,
    amount BIGINT NOT NULL,
    category TEXT NOT NULL,
    merchant_name TEXT NOT NULL,
    pending BOOLEAN NOT NULL
);

CREATE UNIQUE INDEX transactions_id_key ON transactions (id);
CREATE INDEX transactions_account_id_date_idx ON transactions (account_id, date);
