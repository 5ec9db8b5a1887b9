"""The Table objects the code queries with and the schema the migrations build must agree:
Alembic's autogenerate comparison between the two must find nothing to change."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import storage.ledger.tables  # noqa: F401 - registers the ledger tables on the metadata
from storage.database import Database
from storage.metadata import metadata

# The outbox's xid8 columns are not declared (the dispatcher reads them in raw SQL).
pytestmark = pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8'")


def _diff(sync_conn):  # type: ignore[no-untyped-def]
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
    return compare_metadata(context, metadata)


async def test_declared_tables_match_the_migrated_schema(database: Database):
    async with database.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    declared = set(metadata.tables)

    def concerns_declared(entry) -> bool:  # type: ignore[no-untyped-def]
        op = entry[0] if isinstance(entry, tuple) else entry[0][0]
        obj = entry[1] if isinstance(entry, tuple) else entry[0][1]
        if op in ("remove_table",):
            return obj.name in declared
        table = getattr(obj, "table", None)
        name = table.name if table is not None else getattr(obj, "name", None)
        return name in declared or (isinstance(obj, str) and obj in declared)

    relevant = [d for d in diff if concerns_declared(d)]
    assert relevant == [], relevant
