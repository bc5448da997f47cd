"""SimCord world: the real bot against an in-memory Discord with the Ama-cho server and its roles."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import simcord

from bot.config import Settings, settings_from_mapping
from bot.discord_bot import HubBot, create_discord_bot
from bot.discord_check import DiscordRequestCheck
from bot.hub import Hub
from tests.conftest import AMA_GUILD, settings_data

COMMAND_SYNC = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


@pytest.fixture(autouse=True)
def discord_limits(request: pytest.FixtureRequest) -> Iterator[DiscordRequestCheck]:
    """Every request the bot sends to SimCord is checked against Discord's limits (bot/discord_check): one
    over a limit is answered 400 / 50035 as Discord would, and fails the test here even if the bot swallowed
    the error. A test that provokes refusals on purpose takes them with ``take_refusals()``."""
    check = DiscordRequestCheck()
    with check.installed():
        yield check
    if check.refusals:
        pytest.fail(
            f"Discord would refuse {len(check.refusals)} request(s):\n{check.report()}", pytrace=False
        )
    setup: pytest.TestReport | None = getattr(request.node, "setup_report", None)
    if "simcord_env" in request.fixturenames and setup is not None and setup.passed:
        # The bot synced its commands at start: the check was in front of SimCord's traffic.
        assert check.counts[COMMAND_SYNC] > 0, f"the Discord limit check saw no command sync: {check.counts}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the setup report on the test for the check above (a world that never started synced nothing)."""
    report: pytest.TestReport = yield
    if report.when == "setup":
        item.setup_report = report  # type: ignore[attr-defined]
    return report


@pytest.fixture
def simcord_bot(settings: Settings, hub: Hub) -> HubBot:
    return create_discord_bot(settings, hub)


@dataclass
class World:
    env: Any
    guild: Any
    channel: Any
    role: Any
    hub: Hub

    def member(self, name: str) -> Any:
        return self.guild.add_member(self.env.create_user(name))

    def last_ephemeral(self, result: Any) -> Any:
        return result.followups[-1] if result.followups else result.response


@pytest.fixture
async def world(simcord_env: simcord.Env, hub: Hub, db_url: str) -> World:
    guild = simcord_env.create_guild("海士町アンバサダー", id=AMA_GUILD)
    channel = guild.create_text_channel("ひろば")
    role = guild.create_role("アンバサダー")
    data = settings_data(db_url)
    data["communities"][0]["discord"]["ambassador_role_id"] = role.id
    await hub.reconfigure(settings_from_mapping(data, env={}))
    return World(simcord_env, guild, channel, role, hub)
