"""Migrations: the schema built by Alembic equals the models, and goes down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from storage.database import build_engine
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.models import Base


def _diff(connection: Connection) -> list[object]:
    ctx = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(ctx, Base.metadata))


async def test_schema_matches_models_and_round_trips(db_url: str) -> None:
    assert await current_revision(db_url) == head_revision()
    engine = build_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()
    await downgrade(db_url, "base")
    assert await current_revision(db_url) is None
    await upgrade(db_url)
    assert await current_revision(db_url) == head_revision()
