-- Ground truth for the synthetic data: the recurring series the generator scheduled
-- (payroll, rent, bills, subscriptions, card payments, savings transfers), shaped after
-- Plaid's /transactions/recurring/get, so an app's recurring-transaction detector can be
-- scored. Like persona_labels, it lives apart from anything the app derives.

CREATE TABLE recurring_streams (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- inflow or outflow
    direction TEXT NOT NULL,
    merchant_name TEXT NOT NULL,
    category TEXT NOT NULL,
    -- WEEKLY, BIWEEKLY, SEMI_MONTHLY, MONTHLY or ANNUALLY
    frequency TEXT NOT NULL,
    -- The typical amount in cents, signed like the stream's transactions.
    amount BIGINT NOT NULL,
    first_date DATE NOT NULL,
    last_date DATE NOT NULL,
    -- When the next transaction of the stream is due, as scheduled.
    next_date DATE NOT NULL
);

CREATE INDEX recurring_streams_account_id_idx ON recurring_streams (account_id);

-- Which transactions belong to which stream. transactions.id is unique through the index
-- transactions_id_key, which both SQLite and PostgreSQL accept as the referenced key.
CREATE TABLE recurring_stream_transactions (
    stream_id TEXT NOT NULL REFERENCES recurring_streams (id),
    transaction_id TEXT NOT NULL REFERENCES transactions (id),
    PRIMARY KEY (stream_id, transaction_id)
);

CREATE INDEX recurring_stream_transactions_transaction_id_idx
    ON recurring_stream_transactions (transaction_id);
