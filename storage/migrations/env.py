"""Alembic environment. Migrations always run on a connection handed in by storage.migrate, so
the async engine's event loop stays in charge and there is one code path for CLI and tests."""

from alembic import context

from storage.metadata import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m workers migrate` (storage.migrate)")

context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
