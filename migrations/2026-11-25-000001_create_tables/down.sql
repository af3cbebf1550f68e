DROP TABLE transactions;
DROP TABLE accounts;
DROP TABLE users;
