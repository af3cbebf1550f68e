DROP TABLE transaction_changes;
ALTER TABLE seed_runs DROP COLUMN origin;
ALTER TABLE transactions DROP COLUMN category_detailed;
ALTER TABLE transactions DROP COLUMN pending_transaction_id;
