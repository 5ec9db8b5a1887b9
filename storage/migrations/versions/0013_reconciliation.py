"""Reconciliation: policies, runs, rules, evaluations and alerts.

Balances are JSON objects of asset to integer: jsonb numbers are arbitrary-precision NUMERIC,
and Python reads them back as exact ints. Lists are newest first, hence the created_at indexes.

Revision ID: 0013
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE reconciliation_policies (
    id text CONSTRAINT pk_reconciliation_policies PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL,
    ledger_name text NOT NULL,
    ledger_query jsonb NOT NULL,
    payments_pool_id text NOT NULL
)""")
    op.execute("CREATE INDEX ix_reconciliation_policies_created_at ON "
               "reconciliation_policies (created_at, id)")
    # No foreign key to the policy: a run stays readable once its policy is deleted.
    op.execute("""
CREATE TABLE reconciliation_runs (
    id text CONSTRAINT pk_reconciliation_runs PRIMARY KEY,
    policy_id text NOT NULL,
    created_at timestamptz NOT NULL,
    reconciled_at_ledger timestamptz NOT NULL,
    reconciled_at_payments timestamptz NOT NULL,
    status text NOT NULL,
    ledger_balances jsonb NOT NULL,
    payments_balances jsonb NOT NULL,
    drift_balances jsonb NOT NULL,
    error text
)""")
    op.execute("CREATE INDEX ix_reconciliation_runs_created_at ON "
               "reconciliation_runs (created_at, id)")
    op.execute("""
CREATE TABLE reconciliation_rules (
    id text CONSTRAINT pk_reconciliation_rules PRIMARY KEY,
    name text NOT NULL,
    template_kind text NOT NULL,
    template_spec jsonb NOT NULL,
    severity text NOT NULL,
    enabled boolean NOT NULL,
    cadence text NOT NULL,
    schedule jsonb,
    labels jsonb NOT NULL,
    notifications jsonb NOT NULL,
    explanation_cel text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
)""")
    op.execute("CREATE INDEX ix_reconciliation_rules_created_at ON "
               "reconciliation_rules (created_at, id)")
    op.execute("""
CREATE TABLE reconciliation_evaluations (
    id text CONSTRAINT pk_reconciliation_evaluations PRIMARY KEY,
    rule_id text NOT NULL,
    result text NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    evidence jsonb NOT NULL,
    pit_per_source jsonb NOT NULL,
    cost_units bigint,
    error text
)""")
    op.execute("CREATE INDEX ix_reconciliation_evaluations_created_at ON "
               "reconciliation_evaluations (created_at, id)")
    op.execute("CREATE INDEX ix_reconciliation_evaluations_rule_id ON "
               "reconciliation_evaluations (rule_id)")
    op.execute("""
CREATE TABLE reconciliation_alerts (
    id text CONSTRAINT pk_reconciliation_alerts PRIMARY KEY,
    rule_id text NOT NULL,
    fingerprint text NOT NULL,
    period_id text NOT NULL,
    severity text NOT NULL,
    status text NOT NULL,
    first_seen_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    occurrence_count integer NOT NULL,
    last_evaluation_id text NOT NULL,
    evidence jsonb,
    labels jsonb NOT NULL,
    ack jsonb,
    resolution jsonb,
    snooze jsonb,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- One alert per rule, fingerprint and period: concurrent evaluations meet here.
    CONSTRAINT uq_reconciliation_alerts_case UNIQUE (rule_id, fingerprint, period_id)
)""")
    op.execute("CREATE INDEX ix_reconciliation_alerts_created_at ON "
               "reconciliation_alerts (created_at, id)")
    op.execute("""
CREATE TABLE reconciliation_alert_events (
    seq bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_reconciliation_alert_events
        PRIMARY KEY,
    id text NOT NULL CONSTRAINT uq_reconciliation_alert_events_id UNIQUE,
    alert_id text NOT NULL,
    type text NOT NULL,
    at timestamptz NOT NULL,
    prev_status text,
    new_status text NOT NULL,
    is_reopen boolean NOT NULL,
    notify boolean NOT NULL,
    evaluation_id text,
    payload jsonb NOT NULL
)""")
    op.execute("CREATE INDEX ix_reconciliation_alert_events_alert_id ON "
               "reconciliation_alert_events (alert_id, seq)")


def downgrade() -> None:
    for table in ("reconciliation_alert_events", "reconciliation_alerts",
                  "reconciliation_evaluations", "reconciliation_rules", "reconciliation_runs",
                  "reconciliation_policies"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
