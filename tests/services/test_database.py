"""The embedded default: SQLite in WAL mode, with foreign keys enforced and a busy timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import SQLITE_BUSY_TIMEOUT_MS, Database, is_sqlite


async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    # Always on a SQLite file of its own: these are SQLite's settings whichever backend the run tests.
    url = f"sqlite+aiosqlite:///{tmp_path / 'pragmas.sqlite3'}"
    assert is_sqlite(url)
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == SQLITE_BUSY_TIMEOUT_MS
    finally:
        await db.dispose()


async def test_foreign_keys_are_enforced(db_url: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy.exc import IntegrityError

    from storage.models import ProcessedWebhookEvent

    db = Database(db_url)
    try:
        with pytest.raises(IntegrityError):
            async with db.transaction() as s:
                s.add(ProcessedWebhookEvent(community_id=999, event_id="x", received_at=datetime.now(UTC)))
    finally:
        await db.dispose()
