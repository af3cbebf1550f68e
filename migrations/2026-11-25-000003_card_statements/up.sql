-- Plaid's liability fields of a credit card, from its statements: the last statement's
-- balance and issue date, the next payment's due date, and the last payment. NULL on
-- depository accounts, and on a card whose data holds no such event.

ALTER TABLE accounts ADD COLUMN last_statement_balance BIGINT;
ALTER TABLE accounts ADD COLUMN last_statement_issue_date DATE;
ALTER TABLE accounts ADD COLUMN next_payment_due_date DATE;
ALTER TABLE accounts ADD COLUMN last_payment_amount BIGINT;
ALTER TABLE accounts ADD COLUMN last_payment_date DATE;
