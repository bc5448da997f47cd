"""Several real ``python -m bot run`` processes on one database (PostgreSQL in CI, the SQLite file otherwise).

Each process is a LINE webhook worker with the jobs on (a LINE-only deployment), talking to a Messaging API
stand-in on loopback. The database is seeded with work already due (a reminder for every member, a vote past
its closing time), so nothing waits on the clock; the test then waits for the rows to settle (a deadline that
only stops a hung run, never a measure of speed) and counts: no reminder, result, ballot or ledger entry is
doubled or lost — and when one process is killed holding claims, the other takes its work over.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select, update

from bot.clock import ManualClock
from bot.community.events import EventDraft
from bot.community.identity import Identity
from bot.community.votes import VoteDraft
from bot.config import settings_from_mapping
from bot.hub import Hub, open_hub
from bot.line.standin import LineStandIn, postback_event, webhook_body, webhook_headers
from storage.models import Ballot, LedgerEntry, Reminder, Vote
from tests.conftest import settings_data
from tests.services.test_ambassadors import register

ROOT = Path(__file__).resolve().parents[1]
SECRET = "ama-line-secret"
MEMBERS = 24
LEASE_SECONDS = 5
SETTLE_DEADLINE = 120.0  # seconds: only a hung run gets this far


def _config(path: Path, db_url: str, api_base: str) -> Path:
    """A worker's config; it listens on a port the system picks (its log says which)."""
    path.write_text(
        f"""
[database]
url = "{db_url}"
[discord]
enabled = false
[line]
host = "127.0.0.1"
port = 0
api_base = "{api_base}"
[logging]
format = "json"
[jobs]
lease_seconds = {LEASE_SECONDS}
[[communities]]
key = "ama"
name = "海士町"
privacy_notice_version = "2026-04"
privacy_notice_url = "https://example.jp/ama/privacy"
[communities.line]
channel_secret = "{SECRET}"
channel_access_token = "ama-line-token"
""",
        encoding="utf-8",
    )
    return path


@dataclass
class HubProcess:
    proc: asyncio.subprocess.Process
    port: int
    log: list[dict[str, Any]]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def messages(self) -> list[str]:
        return [str(r.get("msg")) for r in self.log]


async def _start(config: Path, cwd: Path, role: str = "line") -> HubProcess:
    """Start a worker and wait until it answers on the port it says it listens on. (A port picked by the test
    and handed over could be taken meanwhile, and /healthz then answered by whoever took it.)"""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        "--role",
        role,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"},
    )
    running = HubProcess(proc, 0, [])
    asyncio.get_running_loop().create_task(_read_log(running))
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while True:
            assert proc.returncode is None, f"the hub process exited: {running.log[-5:]}"
            assert time.monotonic() < deadline, "the hub process did not start listening"
            listening = [r for r in running.log if r.get("msg") == "LINE webhook listening"]
            if not listening:
                await asyncio.sleep(0.1)
                continue
            running.port = int(listening[0]["port"])
            try:
                async with http.get(f"{running.url}/healthz") as resp:
                    if resp.status == 200:
                        return running
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


async def _read_log(running: HubProcess) -> None:
    assert running.proc.stderr is not None
    async for line in running.proc.stderr:
        try:
            running.log.append(json.loads(line))
        except ValueError:
            running.log.append({"msg": line.decode(errors="replace").strip()})


async def _stop(running: HubProcess) -> None:
    if running.proc.returncode is None:
        running.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(running.proc.wait(), 30)
        except TimeoutError:
            running.proc.kill()
            await running.proc.wait()


@asynccontextmanager
async def _processes(*starts: Awaitable[HubProcess]) -> AsyncIterator[list[HubProcess]]:
    started: list[HubProcess] = []
    try:
        for start in starts:
            started.append(await start)
        yield started
    finally:
        for running in started:
            await _stop(running)


async def _until(
    check: Callable[[], Awaitable[bool]], what: str, state: Callable[[], Awaitable[str]] | None = None
) -> None:
    """Wait until ``check`` holds; past the deadline, fail saying what did not settle and ``state``."""
    deadline = time.monotonic() + SETTLE_DEADLINE
    while not await check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"not settled: {what}" + (f"\n{await state()}" if state else ""))
        await asyncio.sleep(0.2)


# --- the seed: work already due, made with a clock two hours behind the real one ---------------------------
@dataclass
class Seed:
    hub: Hub
    community_id: int
    users: list[str]  # LINE user ids, one per member
    closed_vote: int  # past its closing time: to be closed, its result and ballot points recorded once
    open_vote: int  # open: members' ballots arrive as webhooks during the run


async def _seed(db_url: str) -> Seed:
    now = datetime.now(UTC)
    data = settings_data(db_url)
    data["communities"] = data["communities"][:1]
    data["communities"][0].pop("discord")
    data["discord"] = {"enabled": False}
    hub = await open_hub(settings_from_mapping(data, env={}), clock=ManualClock(now - timedelta(hours=2)))
    ref = hub.communities.by_key("ama")
    assert ref is not None
    users = [f"U{i:032x}" for i in range(1, MEMBERS + 1)]
    for user in users:
        await register(hub, Identity(ref.id, "line", user))
    staff = Identity(ref.id, "discord", "staff-1")
    # Starts in about 50 minutes of real time: the 1-hour reminder is 10 minutes overdue (within grace).
    start = (now + timedelta(minutes=51)).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")
    event = (await hub.events.create(ref.id, staff, EventDraft(title="島の清掃活動", start=start))).event
    for user in users:
        await hub.rsvps.answer(Identity(ref.id, "line", user), event.id, "going")
    closing = await hub.votes.open(
        ref.id, staff, VoteDraft(question="桟橋の修理", options="賛成|反対", closes="119分")
    )
    for i, user in enumerate(users):
        await hub.votes.cast(Identity(ref.id, "line", user), closing.id, i % 2, "postback")
    still_open = await hub.votes.open(
        ref.id, staff, VoteDraft(question="祭りの日程", options="7月|8月", closes="3日")
    )
    return Seed(hub, ref.id, users, closing.id, still_open.id)


async def _count(hub: Hub, query: Any) -> int:
    async with hub.db.transaction() as s:
        return int(await s.scalar(query) or 0)


async def _reminders_by_status(hub: Hub) -> dict[str, int]:
    async with hub.db.transaction() as s:
        rows = (await s.execute(select(Reminder.status, func.count()).group_by(Reminder.status))).all()
    return {status: int(n) for status, n in rows}


async def _ballot_entries(hub: Hub, vote_id: int) -> Counter[int]:
    async with hub.db.transaction() as s:
        rows = (
            await s.scalars(
                select(LedgerEntry.ambassador_id).where(
                    LedgerEntry.category == "ballot", LedgerEntry.description == f"vote #{vote_id}"
                )
            )
        ).all()
    return Counter(rows)


async def _vote_done(hub: Hub, vote_id: int) -> bool:
    async with hub.db.transaction() as s:
        vote = await s.get(Vote, vote_id, populate_existing=True)
        assert vote is not None
        return vote.result_posted_at is not None and vote.points_recorded_at is not None


def _reminder_pushes(api: LineStandIn) -> list[tuple[str, str]]:
    """(member, retry key) of every reminder push the stand-in received."""
    return [
        (str((p.body or {}).get("to")), p.headers.get("X-Line-Retry-Key", ""))
        for p in api.pushes()
        if any("島の清掃活動" in t for t in p.texts)
    ]


async def _post(http: aiohttp.ClientSession, base: str, body: str) -> int:
    headers = webhook_headers(SECRET, body)  # checked against webhook.yml, then signed
    async with http.post(f"{base}/line/ama/webhook", data=body.encode(), headers=headers) as resp:
        return resp.status


# --- the tests --------------------------------------------------------------------------------------------
async def test_two_processes_on_one_database_do_each_thing_once(db_url: str, tmp_path: Path) -> None:
    seed = await _seed(db_url)
    hub = seed.hub
    try:
        async with LineStandIn() as api:
            configs = [_config(tmp_path / f"hub{i}.toml", db_url, api.base_url) for i in range(2)]
            async with _processes(_start(configs[0], tmp_path), _start(configs[1], tmp_path)) as (a, b):
                # Ballots arrive as signed postbacks, alternately at each worker, and LINE redelivers a
                # third of them to the other worker at the same moment.
                bodies = [
                    webhook_body([postback_event(u, f"action=ballot&v={seed.open_vote}&o={i % 2}")])
                    for i, u in enumerate(seed.users)
                ]
                async with aiohttp.ClientSession() as http:
                    sends = []
                    for i, body in enumerate(bodies):
                        first, other = (a, b) if i % 2 == 0 else (b, a)
                        sends.append(_post(http, first.url, body))
                        if i % 3 == 0:
                            sends.append(_post(http, other.url, body))
                    statuses = await asyncio.gather(*sends)
                assert set(statuses) == {200}

                async def settled() -> bool:
                    left = await _reminders_by_status(hub)
                    ballots = await _count(
                        hub, select(func.count()).select_from(Ballot).where(Ballot.vote_id == seed.open_vote)
                    )
                    return (
                        set(left) == {"sent"}
                        and await _vote_done(hub, seed.closed_vote)
                        and ballots == MEMBERS
                        and len(api.replies()) >= MEMBERS
                    )

                await _until(settled, "reminders sent, the vote closed, every ballot stored")
                await asyncio.sleep(1)  # let a late duplicate show itself, if there were one
            logs = a.messages() + b.messages()
        await _check_run_once(seed, api, logs)
    finally:
        await hub.close()


async def _check_run_once(seed: Seed, api: LineStandIn, logs: list[str]) -> None:
    hub = seed.hub
    # Every member got the reminder once: one push each, to each member.
    pushes = _reminder_pushes(api)
    assert sorted(to for to, _ in pushes) == sorted(seed.users)
    assert await _reminders_by_status(hub) == {"sent": MEMBERS}
    # The vote was closed once: its ballot points are in the ledger once per voter, from one process.
    entries = await _ballot_entries(hub, seed.closed_vote)
    assert len(entries) == MEMBERS and set(entries.values()) == {1}
    assert logs.count("ballot points recorded") == 1
    assert (await hub.ledger.verify(seed.community_id)).ok
    # Each webhook ballot counted once and answered once, whichever worker got it first.
    assert (
        await _count(hub, select(func.count()).select_from(Ballot).where(Ballot.vote_id == seed.open_vote))
        == MEMBERS
    )
    assert len(api.replies()) == MEMBERS
    assert logs.count("LINE event already handled") == len(range(0, MEMBERS, 3))


async def test_a_killed_process_s_work_is_taken_over_by_the_other(db_url: str, tmp_path: Path) -> None:
    seed = await _seed(db_url)
    hub = seed.hub
    try:
        async with LineStandIn() as stuck, LineStandIn() as healthy:
            stuck.push_gate = asyncio.Event()  # LINE takes A's first push and never answers
            a = await _start(_config(tmp_path / "a.toml", db_url, stuck.base_url), tmp_path)
            try:

                async def a_is_sending() -> bool:
                    return bool(stuck.pushes()) and (await _reminders_by_status(hub)).get("sending", 0) > 0

                await _until(a_is_sending, "process A claimed the reminders and is pushing")
                # A holds the reminders it claimed; the still-open vote now falls due while A dies.
                await _until(lambda: _vote_done(hub, seed.closed_vote), "process A closed the first vote")
                async with hub.db.transaction() as s:
                    await s.execute(
                        update(Vote)
                        .where(Vote.id == seed.open_vote)
                        .values(closes_at=datetime.now(UTC) + timedelta(seconds=2))
                    )
                a.proc.kill()  # SIGKILL: no clean-up, its claims stay in the database
                await a.proc.wait()
            finally:
                if a.proc.returncode is None:
                    a.proc.kill()
                    await a.proc.wait()
            stuck.push_gate.set()  # its connection is gone; let the stand-in close cleanly
            held = (await _reminders_by_status(hub)).get("sending", 0)
            assert held > 0

            async with _processes(
                _start(_config(tmp_path / "b.toml", db_url, healthy.base_url), tmp_path)
            ) as (b,):

                async def taken_over() -> bool:
                    return set(await _reminders_by_status(hub)) == {"sent"} and await _vote_done(
                        hub, seed.open_vote
                    )

                async def state() -> str:
                    async with hub.db.transaction() as s:
                        vote = await s.get(Vote, seed.open_vote, populate_existing=True)
                        reminders = (await s.execute(select(Reminder))).scalars().all()
                    assert vote is not None
                    shown = [
                        f"reminders: {await _reminders_by_status(hub)}",
                        f"vote: {vote.status} closes {vote.closes_at} claimed {vote.result_claimed_at} "
                        f"posted {vote.result_posted_at} points {vote.points_recorded_at}",
                        *(f"reminder {r.id}: {r.status} {r.__dict__}" for r in reminders[:2]),
                        f"now {datetime.now(UTC)}; B's log:",
                        *(json.dumps(r, ensure_ascii=False) for r in b.log[-25:]),
                    ]
                    return "\n".join(shown)

                await _until(taken_over, "process B sent A's reminders and closed the vote", state)
                await asyncio.sleep(1)
            logs_b = b.messages()
        await _check_taken_over(seed, stuck, healthy, logs_b)
    finally:
        await hub.close()


async def _check_taken_over(seed: Seed, stuck: LineStandIn, healthy: LineStandIn, logs_b: list[str]) -> None:
    hub = seed.hub
    # A pushed one reminder before it hung (LINE never answered) and died; B sent every reminder A had
    # claimed, after A's lease ran out, with the same retry keys (so LINE would drop a repeat of A's one).
    sent_by_b = _reminder_pushes(healthy)
    assert sorted(to for to, _ in sent_by_b) == sorted(seed.users)
    (a_to, a_key), *_ = _reminder_pushes(stuck)
    assert (a_to, a_key) in sent_by_b
    assert await _reminders_by_status(hub) == {"sent": MEMBERS}
    # The vote A left open was closed by B, once; every ballot point of both votes is in the ledger once.
    assert logs_b.count("ballot points recorded") == 1
    for vote_id in (seed.closed_vote, seed.open_vote):
        entries = await _ballot_entries(hub, vote_id)
        assert set(entries.values()) <= {1}
    assert sum((await _ballot_entries(hub, seed.closed_vote)).values()) == MEMBERS
    assert (await hub.ledger.verify(seed.community_id)).ok
