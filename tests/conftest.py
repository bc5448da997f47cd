"""Shared fixtures: a migrated database per test (SQLite file, or PostgreSQL from HUB_TEST_DATABASE_URL),
settings for two communities, and a hub with a clock the test controls."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.clock import ManualClock
from bot.config import Settings, settings_from_mapping
from bot.hub import Hub, open_hub
from storage.database import build_engine
from storage.migrate import _upgrade
from storage.models import Base

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

PG_ENV = "HUB_TEST_DATABASE_URL"
AMA_GUILD = 900_000_000_000_000_001
TABA_GUILD = 900_000_000_000_000_002
START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


def pytest_report_header(config: pytest.Config) -> str:
    return f"hub database backend: {'postgresql' if os.environ.get(PG_ENV) else 'sqlite'}"


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite: a migrated file copied for each test. PostgreSQL: the test database, migrated once."""
    pg = os.environ.get(PG_ENV)
    if pg:
        asyncio.run(_reset_schema(pg))
        _upgrade(pg, "head")
        return pg
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _upgrade(f"sqlite+aiosqlite:///{path}", "head")
    return str(path)


async def _reset_schema(url: str) -> None:
    engine = build_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def _truncate(url: str) -> None:
    engine = build_engine(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
def db_url(_migrated_template: str, tmp_path: Path) -> Iterator[str]:
    if os.environ.get(PG_ENV):
        asyncio.run(_truncate(_migrated_template))
        yield _migrated_template
        return
    path = tmp_path / "hub.sqlite3"
    shutil.copyfile(_migrated_template, path)
    yield f"sqlite+aiosqlite:///{path}"


def settings_data(db_url: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "database": {"url": db_url},
        "discord": {"enabled": True, "token": "test-discord-token"},
        "line": {"enabled": True, "host": "127.0.0.1", "port": 0, "api_base": "http://127.0.0.1:9"},
        "logging": {"level": "INFO", "format": "json"},
        "communities": [
            {
                "key": "ama",
                "name": "海士町オフィシャルアンバサダー",
                "default_language": "ja",
                "privacy_notice_version": "2026-04",
                "privacy_notice_url": "https://example.jp/ama/privacy",
                "discord": {"guild_id": AMA_GUILD},
                "line": {"channel_secret": "ama-line-secret", "channel_access_token": "ama-line-token"},
            },
            {
                "key": "tabayama",
                "name": "丹波山村アンバサダー",
                "default_language": "ja",
                "privacy_notice_version": "2026-06",
                "privacy_notice_url": "https://example.jp/tabayama/privacy",
                "discord": {"guild_id": TABA_GUILD},
                "line": {"channel_secret": "taba-line-secret", "channel_access_token": "taba-line-token"},
            },
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def settings(db_url: str) -> Settings:
    return settings_from_mapping(settings_data(db_url), env={})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def hub(settings: Settings, clock: ManualClock) -> AsyncIterator[Hub]:
    h = await open_hub(settings, clock=clock)
    yield h
    await h.close()
