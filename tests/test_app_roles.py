"""``start_hub`` with a role: a LINE worker beside Discord serves the webhook and runs no jobs; on a
LINE-only deployment the same role runs them; options the config cannot honour start nothing."""

from __future__ import annotations

import aiohttp
import pytest

from bot.app import start_hub
from bot.config import Settings, settings_from_mapping
from bot.schedule.roles import RunOptionError, RunOptions
from tests.conftest import settings_data
from tests.test_app import line_only

JOBS = ["digests", "housekeeping", "reminders-poll", "votes-poll", "weekly-digest"]


def both_faces(db_url: str) -> Settings:
    data = settings_data(db_url)
    assert data["discord"]["enabled"] and data["line"]["port"] == 0
    return settings_from_mapping(data, env={})


async def healthy(port: int | None) -> bool:
    assert port
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as resp:
        return resp.status == 200 and (await resp.json()) == {"ok": True}


async def test_a_line_worker_beside_discord_serves_line_and_schedules_no_jobs(db_url: str) -> None:
    running = await start_hub(both_faces(db_url), RunOptions(role="line"))
    try:
        assert running.discord is None and running.tasks == []  # Discord is another process's
        assert await healthy(running.line_port)
        assert running.scheduler.job_names() == []
        assert running.reminders is None and running.votes is None
        assert running.line_sender is None  # the webhook's own face pushes
    finally:
        await running.stop()
    assert not running.scheduler.running


async def test_a_line_worker_on_a_line_only_deployment_runs_the_jobs(db_url: str) -> None:
    running = await start_hub(line_only(db_url), RunOptions(role="line"))
    try:
        assert running.discord is None
        assert await healthy(running.line_port)
        assert running.scheduler.job_names() == JOBS
        assert running.reminders is not None and running.votes is not None
        assert running.scope is None  # every community
    finally:
        await running.stop()
    assert not running.scheduler.running


async def test_jobs_off_schedules_nothing_and_the_default_schedules_everything(db_url: str) -> None:
    running = await start_hub(line_only(db_url), RunOptions(jobs="off"))
    try:
        assert await healthy(running.line_port)
        assert running.scheduler.job_names() == [] and running.reminders is None
    finally:
        await running.stop()
    running = await start_hub(line_only(db_url))
    try:
        assert running.scheduler.job_names() == JOBS and running.reminders is not None
    finally:
        await running.stop()


@pytest.mark.parametrize(
    "options",
    [RunOptions(role="discord"), RunOptions(shard_id=0, shard_count=2), RunOptions(shard_id=1)],
)
async def test_options_the_config_cannot_honour_start_nothing(db_url: str, options: RunOptions) -> None:
    with pytest.raises(RunOptionError):
        await start_hub(line_only(db_url), options)  # Discord is disabled here
