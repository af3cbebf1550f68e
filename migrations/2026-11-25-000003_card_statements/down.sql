ALTER TABLE accounts DROP COLUMN last_payment_date;
ALTER TABLE accounts DROP COLUMN last_payment_amount;
ALTER TABLE accounts DROP COLUMN next_payment_due_date;
ALTER TABLE accounts DROP COLUMN last_statement_issue_date;
ALTER TABLE accounts DROP COLUMN last_statement_balance;
