"""The composition root and the command line, including a real process stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.app import SchemaOutOfDate, check_schema, serve, start_hub
from bot.community.events import EventDraft
from bot.community.identity import Identity
from bot.community.profile_rules import validate_profile
from bot.config import Settings, settings_from_mapping
from bot.hub import open_hub
from bot.logging_setup import configure_logging
from bot.schedule.reminder_pump import WAKE_JOB
from tests.conftest import settings_data

ROOT = Path(__file__).resolve().parents[1]


def line_only(db_url: str, port: int = 0) -> Settings:
    data = settings_data(db_url)
    data["discord"] = {"enabled": False}
    data["line"]["port"] = port
    return settings_from_mapping(data, env={})


async def test_start_hub_serves_line_and_schedules_housekeeping(db_url: str) -> None:
    running = await start_hub(line_only(db_url))
    try:
        assert running.discord is None and running.line_port
        assert running.scheduler.job_names() == [
            "digests",
            "housekeeping",
            "reminders-poll",
            "votes-poll",
            "weekly-digest",
        ]
        # Each runs by itself: none is paused (APScheduler 3 pauses a job given next_run_time=None).
        now = datetime.now(UTC)
        for name in running.scheduler.job_names():
            next_run = running.scheduler.next_run(name)
            assert next_run is not None and now < next_run <= now + timedelta(hours=1), name
        await running.scheduler.run_now("housekeeping")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{running.line_port}/healthz") as resp,
        ):
            assert resp.status == 200 and (await resp.json()) == {"ok": True}
    finally:
        await running.stop()
    assert not running.scheduler.running


async def test_a_start_rebuilds_the_reminder_wake_up_from_the_rows(db_url: str) -> None:
    """Reminders armed before a restart wake the new process at the right time: nothing lives in memory."""
    settings = line_only(db_url)
    start = datetime.now(UTC) + timedelta(days=3)
    hub = await open_hub(settings)
    try:
        ref = hub.communities.by_key("ama")
        assert ref is not None
        member = Identity(ref.id, "line", "U1")
        await hub.ambassadors.register(
            member,
            validate_profile("はなこ", "島根", "fan", "", ""),
            notice_version="2026-04",
            language="ja",
            timezone="Asia/Tokyo",
        )
        when = start.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")
        event = (await hub.events.create(ref.id, member, EventDraft(title="祭り", start=when))).event
        await hub.rsvps.answer(member, event.id, "going")
    finally:
        await hub.close()
    running = await start_hub(settings)
    try:
        due = event.starts_at - timedelta(hours=24)
        assert running.reminders is not None and running.reminders.next_wake == due
        assert running.scheduler.next_run(WAKE_JOB) == due
    finally:
        await running.stop()


async def test_serve_stops_cleanly_when_asked(db_url: str) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(line_only(db_url), stop))
    await asyncio.sleep(0.2)
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0


async def test_out_of_date_schema_names_the_fix(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    with pytest.raises(SchemaOutOfDate, match=r"run `python -m bot db upgrade` first"):
        await check_schema(url)
    with pytest.raises(SchemaOutOfDate, match="database is empty"):
        await start_hub(line_only(url))


def test_logging_is_structured_and_masks_secrets() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", ["super-secret-token"], stream=stream)
    try:
        logging.getLogger("bot.test").info(
            "token is %s", "super-secret-token", extra={"auth": "super-secret-token"}
        )
        logging.getLogger("discord.client").warning("PyNaCl is not installed, voice will NOT be supported")
    finally:
        logging.getLogger().handlers.clear()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["msg"] == "token is ***" and record["auth"] == "***" and record["level"] == "info"


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_check_with_the_example_config_and_no_secrets_is_one_clear_line(tmp_path: Path) -> None:
    result = _cli(
        "check", "--config", str(ROOT / "config.example.toml"), cwd=tmp_path, env={"HUB_DISCORD_TOKEN": ""}
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "config error: discord.token is empty: set HUB_DISCORD_TOKEN (or discord.token), "
        "or set discord.enabled = false"
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_as_a_process_refuses_old_schema_then_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[database]
url = "sqlite+aiosqlite:///{tmp_path / "hub.sqlite3"}"
[discord]
enabled = false
[line]
host = "127.0.0.1"
port = {port}
[[communities]]
key = "ama"
name = "海士町"
privacy_notice_version = "1"
privacy_notice_url = "https://example.jp/p"
[communities.line]
channel_secret = "file-secret-value"
""",
        encoding="utf-8",
    )
    env = {"HUB_LINE_AMA_CHANNEL_ACCESS_TOKEN": "env-token-value", "NO_PROXY": "127.0.0.1"}
    refused = _cli("run", "--config", str(config), cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert "run `python -m bot db upgrade` first" in refused.stderr
    stale_check = _cli("check", "--config", str(config), cwd=tmp_path, env=env)
    assert stale_check.returncode == 1 and "python -m bot db upgrade" in stale_check.stderr
    assert (
        "database schema: empty (newest is"
        in _cli("db", "current", "--config", str(config), cwd=tmp_path).stdout
    )
    assert _cli("db", "upgrade", "--config", str(config), cwd=tmp_path).returncode == 0
    assert "(up to date)" in _cli("db", "current", "--config", str(config), cwd=tmp_path).stdout
    assert (
        "ok: config (1 communities: ama; faces: line)"
        in _cli("check", "--config", str(config), cwd=tmp_path, env=env).stdout
    )

    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the hub did not start listening"
                time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    messages = [json.loads(line)["msg"] for line in err.splitlines()]
    assert "hub started" in messages and messages[-1] == "hub stopped"
    assert "file-secret-value" not in err + out and "env-token-value" not in err + out


def test_ledger_verify_command_names_the_first_tampered_entry(tmp_path: Path) -> None:
    import sqlite3

    from bot.hub import open_hub
    from storage.migrate import upgrade
    from tests.services.test_ambassadors import register, who

    db_file = tmp_path / "hub.sqlite3"
    url = f"sqlite+aiosqlite:///{db_file}"
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[database]
url = "{url}"
[discord]
enabled = false
[line]
enabled = false
[[communities]]
key = "ama"
name = "海士町"
privacy_notice_version = "1"
privacy_notice_url = "https://example.jp/p"
""",
        encoding="utf-8",
    )

    async def fill() -> None:
        await upgrade(url)
        hub = await open_hub(
            settings_from_mapping(
                {
                    "database": {"url": url},
                    "discord": {"enabled": False},
                    "line": {"enabled": False},
                    "communities": [
                        {
                            "key": "ama",
                            "name": "海士町",
                            "privacy_notice_version": "1",
                            "privacy_notice_url": "https://example.jp/p",
                        }
                    ],
                },
                env={},
            )
        )
        try:
            member = who(hub, "d1")
            await register(hub, member)
            for i in range(5):
                await hub.contributions.log(member, "promotion", f"投稿 {i}")
        finally:
            await hub.close()

    asyncio.run(fill())
    ok = _cli("ledger", "verify", "--config", str(config), cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.startswith("ama: ok, 5 entries, head ")
    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE ledger_entries SET description = '改ざん' WHERE seq = 3")
    broken = _cli("ledger", "verify", "--config", str(config), cwd=tmp_path)
    assert broken.returncode == 1
    assert "ama: BROKEN at entry #3: its content was changed after it was written" in broken.stdout
    unknown = _cli("ledger", "verify", "--community", "nowhere", "--config", str(config), cwd=tmp_path)
    assert unknown.returncode == 2 and "no community with key 'nowhere'" in unknown.stderr
