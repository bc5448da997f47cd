"""What one ``python -m bot run`` process does: its role, its Discord shard, whether it runs the jobs and
for which communities; contradictory options are refused in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, settings_from_mapping
from bot.schedule.roles import RunOptionError, RunOptions, shard_of
from tests.conftest import settings_data
from tests.test_app import _cli

# Two servers on different shards of two: the shard is the snowflake's timestamp part modulo the count.
SHARD0_GUILD = (214_576_721_190 << 22) | 12_345  # (id >> 22) is even
SHARD1_GUILD = (214_576_721_191 << 22) | 67_890  # (id >> 22) is odd


def make(
    *, discord: bool = True, line: bool = True, guilds: tuple[int | None, ...] | None = None
) -> Settings:
    data: dict[str, Any] = settings_data("sqlite+aiosqlite:///unused.sqlite3")
    if not discord:
        data["discord"] = {"enabled": False}
    if not line:
        data["line"] = {"enabled": False}
    for community, guild in zip(data["communities"], guilds or (), strict=False):
        if guild is None:
            del community["discord"]
        else:
            community["discord"] = {"guild_id": guild}
    return settings_from_mapping(data, env={})


# --- shards -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("guild_id", "shard_count", "expected"),
    [
        (81_384_788_765_712_384, 1, 0),  # every server is on shard 0 of one
        (81_384_788_765_712_384, 4, 2),  # >> 22 = 19_403_645_698
        (81_384_788_765_712_384, 3, 1),
        (613_425_648_685_547_541, 16, 8),  # >> 22 = 146_252_071_544
        (613_425_648_685_547_541, 3, 2),
        (SHARD0_GUILD, 2, 0),
        (SHARD1_GUILD, 2, 1),
    ],
)
def test_shard_of_is_discords_formula(guild_id: int, shard_count: int, expected: int) -> None:
    assert shard_of(guild_id, shard_count) == expected == (guild_id >> 22) % shard_count


def test_each_shard_runs_the_jobs_of_the_communities_whose_server_it_holds() -> None:
    settings = make(guilds=(SHARD1_GUILD, SHARD0_GUILD))  # ama on shard 1, tabayama on shard 0
    assert RunOptions(shard_id=0, shard_count=2).job_scope(settings) == frozenset({"tabayama"})
    assert RunOptions(shard_id=1, shard_count=2).job_scope(settings) == frozenset({"ama"})
    assert RunOptions(role="discord", shard_id=1, shard_count=2).job_scope(settings) == frozenset({"ama"})
    assert RunOptions(shard_id=0, shard_count=1).job_scope(settings) == frozenset({"ama", "tabayama"})
    assert RunOptions().job_scope(settings) is None  # no shards: every community
    assert RunOptions(role="discord").job_scope(settings) is None


def test_a_community_without_a_discord_server_goes_to_shard_zero() -> None:
    settings = make(guilds=(SHARD1_GUILD, None))  # tabayama is on LINE only
    assert RunOptions(shard_id=0, shard_count=2).job_scope(settings) == frozenset({"tabayama"})
    assert RunOptions(shard_id=1, shard_count=2).job_scope(settings) == frozenset({"ama"})
    settings = make(guilds=(SHARD0_GUILD, None))
    assert RunOptions(shard_id=0, shard_count=2).job_scope(settings) == frozenset({"ama", "tabayama"})
    assert RunOptions(shard_id=1, shard_count=2).job_scope(settings) == frozenset()


# --- refusals ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "faces", "message"),
    [
        (RunOptions(shard_id=0), {}, "together"),
        (RunOptions(shard_count=2), {}, "together"),
        (RunOptions(shard_id=2, shard_count=2), {}, "must be 0 to 1"),
        (RunOptions(shard_id=3, shard_count=2), {}, "must be 0 to 1"),
        (RunOptions(shard_id=-1, shard_count=2), {}, "must be 0 to 1"),
        (RunOptions(shard_id=0, shard_count=0), {}, "at least 1"),
        (RunOptions(shard_id=0, shard_count=-2), {}, "at least 1"),
        (RunOptions(shard_id=0, shard_count=2), {"discord": False}, "needs the Discord face"),
        (RunOptions(role="line", shard_id=0, shard_count=2), {}, "needs the Discord face"),
        (RunOptions(role="line", jobs="on"), {}, "--jobs on"),
        (RunOptions(role="discord"), {"discord": False}, "no face enabled"),
        (RunOptions(role="line"), {"line": False}, "no face enabled"),
        (RunOptions(), {"discord": False, "line": False}, "no face enabled"),
    ],
)
def test_contradictory_options_are_refused_in_one_line(
    options: RunOptions, faces: dict[str, bool], message: str
) -> None:
    with pytest.raises(RunOptionError, match=message) as err:
        options.check(make(discord=faces.get("discord", True), line=faces.get("line", True)))
    assert "\n" not in str(err.value) and str(err.value).startswith("run: ")


@pytest.mark.parametrize(
    ("options", "faces"),
    [
        (RunOptions(), {}),
        (RunOptions(shard_id=1, shard_count=2), {}),
        (RunOptions(role="discord", shard_id=0, shard_count=1), {"line": False}),
        (RunOptions(role="line"), {}),
        (RunOptions(role="line", jobs="off"), {}),
        (RunOptions(role="line", jobs="on"), {"discord": False}),  # LINE only: its workers may run jobs
        (RunOptions(role="discord", jobs="off"), {}),
    ],
)
def test_consistent_options_pass(options: RunOptions, faces: dict[str, bool]) -> None:
    options.check(make(discord=faces.get("discord", True), line=faces.get("line", True)))


# --- what runs where --------------------------------------------------------------------------------------
def test_jobs_run_by_default_everywhere_except_in_line_workers_beside_discord() -> None:
    both, line_only = make(), make(discord=False)
    assert RunOptions(role="all").runs_jobs(both)
    assert RunOptions(role="discord").runs_jobs(both)
    assert not RunOptions(role="line").runs_jobs(both)
    assert RunOptions(role="line").runs_jobs(line_only)
    assert RunOptions(role="all").runs_jobs(line_only)
    assert not RunOptions(role="all", jobs="off").runs_jobs(both)
    assert RunOptions(role="line", jobs="on").runs_jobs(line_only)


def test_faces_follow_the_role_and_the_config() -> None:
    both, line_only = make(), make(discord=False)
    worker = RunOptions(role="line")
    assert (worker.discord(both), worker.line_webhook(both), worker.line_push(both)) == (False, True, True)
    bot = RunOptions(role="discord")
    assert (bot.discord(both), bot.line_webhook(both), bot.line_push(both)) == (True, False, True)
    assert not RunOptions(role="discord", jobs="off").line_push(both)  # no webhook, no jobs: no pushes
    assert (RunOptions().discord(line_only), RunOptions().line_webhook(line_only)) == (False, True)
    assert RunOptions(role="line").describe(both) == "role line: line; no jobs"
    assert RunOptions(shard_id=1, shard_count=2).describe(both) == "role all shard 1/2: discord, line; jobs"


# --- the command line -------------------------------------------------------------------------------------
def test_run_with_a_shard_id_past_the_count_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[database]
url = "sqlite+aiosqlite:///{tmp_path / "hub.sqlite3"}"
[discord]
enabled = true
token = "cli-discord-token"
[line]
host = "127.0.0.1"
port = 0
[[communities]]
key = "ama"
name = "海士町"
privacy_notice_version = "1"
privacy_notice_url = "https://example.jp/p"
[communities.discord]
guild_id = {SHARD1_GUILD}
[communities.line]
channel_secret = "file-secret-value"
channel_access_token = "file-token-value"
""",
        encoding="utf-8",
    )
    result = _cli("run", "--config", str(config), "--shard-id", "3", "--shard-count", "2", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["run: --shard-id must be 0 to 1 (got 3)"]
    assert result.stdout == ""
    assert not (tmp_path / "hub.sqlite3").exists()  # refused before anything was opened
