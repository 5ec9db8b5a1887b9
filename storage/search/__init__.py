"""Search over PostgreSQL: the documents table (migration 0014), the sink the outbox consumer
writes through, the query executor, the indexing lag and the reindex sources."""
