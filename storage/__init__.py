"""PostgreSQL through SQLAlchemy 2 (asyncio) and asyncpg: tables, stores, migrations."""
