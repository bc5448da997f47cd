"""The benchmarks' PostgreSQL databases: each script has its own ``bench_*`` database, emptied per run."""

from __future__ import annotations

import asyncpg
from sqlalchemy import text

from storage.database import build_engine

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_url(db: str) -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"


async def reset_postgres(db: str) -> str:
    """Create ``db`` if missing and empty its schema; returns its URL. Only ``bench_*`` databases (never the
    test database)."""
    assert db != "test" and db.startswith("bench_"), db
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db):
            await conn.execute(f'CREATE DATABASE "{db}"')
    finally:
        await conn.close()
    url = pg_url(db)
    engine = build_engine(url)
    async with engine.begin() as c:
        await c.execute(text("DROP SCHEMA public CASCADE"))
        await c.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    return url
