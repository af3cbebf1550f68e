DROP TABLE recurring_stream_transactions;
DROP TABLE recurring_streams;
