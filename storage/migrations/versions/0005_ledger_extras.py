"""Ledger extras: schemas (chart of accounts, transaction and query templates), exporters and
pipelines (log replication, driven by Temporal workflows), and the v1 mappings.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE ledger_schemas (
    ledger text NOT NULL,
    version text NOT NULL,
    created_at timestamptz NOT NULL,
    chart jsonb NOT NULL DEFAULT '{}'::jsonb,
    transactions jsonb NOT NULL DEFAULT '{}'::jsonb,
    queries jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT pk_ledger_schemas PRIMARY KEY (ledger, version)
);
CREATE INDEX ix_ledger_schemas_ledger_created_at ON ledger_schemas (ledger, created_at);

CREATE TABLE ledger_exporters (
    id text CONSTRAINT pk_ledger_exporters PRIMARY KEY,
    driver text NOT NULL,
    config jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL
);

CREATE TABLE ledger_pipelines (
    id text CONSTRAINT pk_ledger_pipelines PRIMARY KEY,
    ledger text NOT NULL,
    exporter_id text NOT NULL
        CONSTRAINT fk_ledger_pipelines_exporter_id_ledger_exporters
        REFERENCES ledger_exporters (id),
    created_at timestamptz NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    -- Written by the export activity once the exporter acknowledged a batch; only ever moves
    -- forward from the value the batch started at (a reset sets it back to 0).
    last_log_id bigint NOT NULL DEFAULT 0,
    CONSTRAINT uq_ledger_pipelines_ledger_exporter_id UNIQUE (ledger, exporter_id)
);

CREATE TABLE ledger_v1_mappings (
    ledger text CONSTRAINT pk_ledger_v1_mappings PRIMARY KEY,
    mapping jsonb NOT NULL
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS ledger_v1_mappings;
DROP TABLE IF EXISTS ledger_pipelines;
DROP TABLE IF EXISTS ledger_exporters;
DROP TABLE IF EXISTS ledger_schemas;
"""


def _statements(sql: str) -> list[str]:
    # asyncpg runs one statement per call.
    return [s.strip() for s in sql.split(";\n") if s.strip().rstrip(";")]


def upgrade() -> None:
    for statement in _statements(UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(DOWNGRADE):
        op.execute(statement)
