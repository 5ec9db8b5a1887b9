"""Search: the Formance search API (`POST /api/search/`) over documents indexed from the events
outbox. Not a Temporal module: it runs no workflows. Documents are derived from events by pure
code here (documents.py, indexing.py), written by a `SearchSink` (sink.py: PostgreSQL today,
OpenSearch could replace it), and queried through a plan built by planner.py from the parsed
terms (terms.py)."""
