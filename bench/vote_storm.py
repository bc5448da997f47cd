"""A vote storm through SimCord: every eligible member reacts once, within a simulated minute.

    .venv/bin/python bench/vote_storm.py                    # 2,500 and 25,000 members, SQLite
    .venv/bin/python bench/vote_storm.py --members 2500     # one size
    .venv/bin/python bench/vote_storm.py --backend postgresql

For each size, the same stream of reaction events (one number reaction per member, spread over three
options, each event a real gateway dispatch through SimCord into discord.py) goes to

- the hub: the real bot (``create_discord_bot``) with its vote cog, on a migrated database holding the
  members, a posted vote and their weights; every ballot must be recorded and the tally must equal the
  expected one, or the run stops;
- a bare discord.py bot whose ``on_raw_reaction_add`` does nothing, in its own SimCord world with the same
  guild, members and message.

It prints events/s for both and their ratio (goal: the hub at least 0.5 of the bare bot), and the time from
the close to the posted result (goal: under 1 s for 25,000 ballots on SQLite): the clock is moved past the
close and the scheduler's job (``vote_closer.run_due``) runs; the time is taken when the result message is
in the channel. PostgreSQL uses the database ``bench_votes`` on 127.0.0.1:5432 (created if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import simcord
from bench_db import pg_url, reset_postgres
from discord.ext import commands
from sqlalchemy import func, insert, select, text, update

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.community.vote_rules import NUMBER_EMOJI
from bot.config import Settings, settings_from_mapping
from bot.discord_bot import create_discord_bot
from bot.discord_check import DiscordRequestCheck
from bot.hub import Hub, open_hub
from bot.notify.vote_closer import VoteBoard
from storage.migrate import upgrade
from storage.models import Ambassador, Ballot, Community, PlatformIdentity

GUILD = 1_190_000_000_000_000_001
PG_URL = pg_url("bench_votes")
START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
OPTIONS = 3
GOAL_RATIO = 0.5
GOAL_CLOSE_S = 1.0
# Each settle handles at most 500 events (well under a second). Keep it short: a timer the hub's database
# driver schedules within the settle window (asyncpg's) would otherwise count as pending work until it fires.
SETTLE_SECONDS = 30


@dataclass
class Figures:
    members: int
    hub_seconds: float
    bare_seconds: float
    close_seconds: float
    points_seconds: float  # after the result: the ballot entries written to the ledger

    @property
    def hub_rate(self) -> float:
        return self.members / self.hub_seconds

    @property
    def bare_rate(self) -> float:
        return self.members / self.bare_seconds


class BareBot(commands.Bot):
    """The baseline: discord.py with a reaction handler that does nothing."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        super().__init__(command_prefix="!", intents=intents, chunk_guilds_at_startup=False)
        self.seen = 0

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.seen += 1


def settings_for(url: str, staff_role: int | None = None, channel: int | None = None) -> Settings:
    return settings_from_mapping(
        {
            "database": {"url": url},
            "discord": {"enabled": True, "token": "bench"},
            "line": {"enabled": False},
            "logging": {"level": "ERROR", "format": "text"},
            "communities": [
                {
                    "key": "ama",
                    "name": "海士町",
                    "privacy_notice_version": "1",
                    "privacy_notice_url": "https://example.jp/p",
                    "discord": {
                        "guild_id": GUILD,
                        "staff_role_id": staff_role,
                        "announcement_channel_id": channel,
                    },
                    "votes": {"reminder_hours_before_close": 0},
                }
            ],
        },
        env={},
    )


async def load_members(hub: Hub, user_ids: list[int]) -> None:
    """Registered ambassadors with their Discord accounts, in bulk (registration itself is not measured)."""
    ref = hub.communities.by_key("ama")
    assert ref is not None
    now = hub.clock.now()
    async with hub.db.transaction() as s:
        for start in range(0, len(user_ids), 5000):
            chunk = user_ids[start : start + 5000]
            await s.execute(
                insert(Ambassador),
                [
                    {
                        "community_id": ref.id,
                        "member_number": start + i + 1,
                        "display_name": f"m{start + i}",
                        "interests": [],
                        "skills": [],
                        "language": "ja",
                        "timezone": "Asia/Tokyo",
                        "stage": 2,
                        "status": "active",
                        "registered_at": now,
                        "updated_at": now,
                    }
                    for i in range(len(chunk))
                ],
            )
        ids = (await s.scalars(select(Ambassador.id).order_by(Ambassador.member_number))).all()
        for start in range(0, len(user_ids), 5000):
            await s.execute(
                insert(PlatformIdentity),
                [
                    {
                        "community_id": ref.id,
                        "ambassador_id": aid,
                        "platform": "discord",
                        "external_id": str(uid),
                        "active": True,
                        "linked_at": now,
                    }
                    for aid, uid in zip(
                        ids[start : start + 5000], user_ids[start : start + 5000], strict=True
                    )
                ],
            )
        await s.execute(
            update(Community).where(Community.id == ref.id).values(last_member_number=len(user_ids))
        )


async def storm(env: Any, channel_id: int, message_id: int, user_ids: list[int]) -> float:
    """Each member adds one number reaction (a gateway event each); the seconds until all are handled."""
    backend = env.backend
    began = time.perf_counter()
    for i, uid in enumerate(user_ids):
        backend.set_reaction(channel_id, message_id, NUMBER_EMOJI[i % OPTIONS], uid, True)
        if i % 500 == 499:
            await env.settle(timeout=SETTLE_SECONDS)
    await env.settle(timeout=SETTLE_SECONDS)
    return time.perf_counter() - began


async def run_bare(n: int) -> float:
    bot = BareBot()
    async with simcord.run(bot, check_errors=True) as env:
        guild = env.create_guild("bench", id=GUILD)
        channel = guild.create_text_channel("vote")
        users = [env.create_user(f"u{i}") for i in range(n)]
        for user in users:
            guild.add_member(user)
        target = bot.get_channel(channel.id)
        assert isinstance(target, discord.TextChannel)
        sent = await target.send("vote")
        seconds = await storm(env, channel.id, sent.id, [u.id for u in users])
        assert bot.seen == n, (bot.seen, n)
        return seconds


async def run_hub(n: int, url: str) -> tuple[float, float, float]:
    await upgrade(url)
    clock = ManualClock(START)
    hub = await open_hub(settings_for(url), clock=clock)
    check = DiscordRequestCheck()
    try:
        bot = create_discord_bot(hub.settings, hub)
        with check.installed():  # every request the hub sends, against Discord's limits
            async with simcord.run(bot, check_errors=True) as env:
                guild = env.create_guild("bench", id=GUILD)
                channel = guild.create_text_channel("vote")
                staff_role = guild.create_role("staff", permissions=discord.Permissions(manage_guild=True))
                staff = guild.add_member(env.create_user("staff"), roles=[staff_role])
                await hub.reconfigure(settings_for(url, staff_role.id, channel.id))
                users = [env.create_user(f"u{i}") for i in range(n)]
                for user in users:
                    guild.add_member(user)
                user_ids = [u.id for u in users]
                await load_members(hub, user_ids)
                await staff.slash(
                    channel,
                    "vote create",
                    question="港の桟橋をどう直す?",
                    options="A案|B案|C案",
                    closes="3日",
                    weighted=True,
                )
                ref = hub.communities.by_key("ama")
                assert ref is not None
                [vote] = await hub.votes.search(ref.id)
                assert vote.eligible == n and vote.discord_message_id is not None
                if hub.db.dialect == "postgresql":
                    # A live database has planner statistics (autovacuum); one bulk-loaded just now has none.
                    async with hub.db.engine.connect() as conn:
                        await conn.execute(text("ANALYZE"))
                        await conn.commit()
                seconds = await storm(env, channel.id, vote.discord_message_id, user_ids)
                async with hub.db.transaction() as s:
                    recorded = await s.scalar(
                        select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)
                    )
                    by_option = dict(
                        (
                            await s.execute(
                                select(Ballot.option, func.count())
                                .where(Ballot.vote_id == vote.id)
                                .group_by(Ballot.option)
                            )
                        ).all()
                    )
                expected = Counter(i % OPTIONS for i in range(n))
                assert recorded == n, f"{recorded} ballots recorded of {n}"
                assert by_option == dict(expected), (by_option, expected)
                # The close: move the clock past it, run the scheduler's job, note when the result is posted.
                clock.advance(vote.closes_at - clock.now() + timedelta(seconds=1))
                before = len(list(channel.history()))
                [board] = [b for b in hub.notifier.boards() if isinstance(b, VoteBoard)]
                posted_at: list[float] = []
                post = board.post_vote_result

                async def timed(view: Any) -> None:
                    await post(view)
                    posted_at.append(time.perf_counter())

                board.post_vote_result = timed  # type: ignore[method-assign,assignment]
                began = time.perf_counter()
                await hub.vote_closer.run_due()
                await env.settle(timeout=SETTLE_SECONDS)
                done = time.perf_counter()
                assert len(list(channel.history())) > before and posted_at, "no result was posted"
                close_seconds = posted_at[0] - began
                points_seconds = done - posted_at[0]
                closed = await hub.votes.get(ref.id, vote.id)
                assert closed.result is not None and [o.count for o in closed.result.options] == [
                    expected[i] for i in range(OPTIONS)
                ]
                assert await hub.contributions.points(Identity(ref.id, "discord", str(user_ids[0]))) == 1
            assert not check.refusals, check.report()
        return seconds, close_seconds, points_seconds
    finally:
        await hub.close()


async def measure(n: int, backend: str) -> Figures:
    if backend == "postgresql":
        await reset_postgres("bench_votes")
        url = PG_URL
        hub_seconds, close_seconds, points_seconds = await run_hub(n, url)
    else:
        with tempfile.TemporaryDirectory(prefix="vote-storm-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
            hub_seconds, close_seconds, points_seconds = await run_hub(n, url)
    bare_seconds = await run_bare(n)
    return Figures(n, hub_seconds, bare_seconds, close_seconds, points_seconds)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, action="append", help="members (default: 2500 and 25000)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    sizes = args.members or [2500, 25_000]
    print(
        f"vote storm through SimCord ({args.backend}); goal: hub ≥ {GOAL_RATIO} × bare, close → result < 1 s"
    )
    print(
        f"{'members':>8} {'hub ev/s':>10} {'bare ev/s':>10} {'ratio':>6} {'close→result':>13} "
        f"{'then ballot points':>19}"
    )
    for n in sizes:
        f = await measure(n, args.backend)
        ratio = f.hub_rate / f.bare_rate
        storm_ok = "met" if ratio >= GOAL_RATIO else "MISSED"
        verdict = f"{storm_ok} / {'met' if f.close_seconds < GOAL_CLOSE_S else 'MISSED'}"
        print(
            f"{n:>8} {f.hub_rate:>10.0f} {f.bare_rate:>10.0f} {ratio:>6.2f} "
            f"{f.close_seconds * 1000:>10.0f} ms {f.points_seconds * 1000:>16.0f} ms   {verdict}"
        )


if __name__ == "__main__":
    asyncio.run(main())
