"""Search: documents indexed from the events outbox (domain/search, storage/search).

One row per document, keyed by (kind, ledger, id): the object the API returns (`data`), the
fields terms match (`indexed`, GIN jsonb_path_ops: `@?` equality on any field or metadata key),
the value each kind is listed by (`sort_value`, B-tree with the key for keyset pages), the text
free terms match (`search_text`, with its `tsvector`), and the outbox id of the last event
applied. Free terms use a trigram index when the server ships pg_trgm; without it (or without
the right to create it) the migration carries on and free terms match words by prefix through
the tsvector index instead (storage/search/query_sql.py reads which one exists).

Revision ID: 0014
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE search_documents (
    kind text NOT NULL,
    ledger text NOT NULL,
    doc_id text NOT NULL,
    data jsonb NOT NULL,
    indexed jsonb NOT NULL,
    sort_value jsonb NOT NULL,
    search_text text NOT NULL,
    search_tsv tsvector NOT NULL,
    event_id bigint NOT NULL,
    indexed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_search_documents PRIMARY KEY (kind, ledger, doc_id)
)""")
    op.execute("CREATE INDEX ix_search_documents_indexed ON search_documents "
               "USING gin (indexed jsonb_path_ops)")
    op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (search_tsv)")
    op.execute("CREATE INDEX ix_search_documents_sort ON search_documents "
               "(kind, sort_value, ledger, doc_id)")
    # A connector reset drops its payments documents.
    op.execute("CREATE INDEX ix_search_documents_connector ON search_documents "
               "((data->>'connectorID')) WHERE ledger = ''")
    op.execute("""
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
            CREATE INDEX ix_search_documents_trgm ON search_documents
                USING gin (search_text gin_trgm_ops);
        EXCEPTION WHEN insufficient_privilege OR undefined_file OR undefined_object THEN
            RAISE NOTICE 'pg_trgm unavailable (%): free-text search uses the tsvector index',
                SQLERRM;
        END;
    END IF;
END
$$""")
    op.execute("""
CREATE TABLE search_reindex_checkpoints (
    source text CONSTRAINT pk_search_reindex_checkpoints PRIMARY KEY,
    position jsonb NOT NULL,
    done boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
)""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS search_reindex_checkpoints")
    op.execute("DROP TABLE IF EXISTS search_documents")
