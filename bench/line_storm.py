"""A LINE webhook storm over real HTTP on loopback: every member casts a ballot by a signed postback.

    .venv/bin/python bench/line_storm.py                                 # 2,500 members, both backends
    .venv/bin/python bench/line_storm.py --backend sqlite --members 500  # quick
    .venv/bin/python bench/line_storm.py --backend sqlite --profile /tmp/hub.prof  # a cProfile of the hub
    (read its own times: SQLAlchemy's greenlets make cProfile's cumulative times meaningless)

One community holds N LINE-linked ambassadors (loaded in bulk with their consent to the current privacy
notice: registration is not measured) and one open approval vote with three options. Each member sends one
webhook body with one postback event, ``action=ballot&v=<vote>&o=<option>`` (the vote card's button), signed
with the channel secret, each with its own ``webhookEventId`` and ``replyToken``; C clients post them at once
(``--concurrency``) to

- the hub: ``create_line_app`` served on 127.0.0.1, its Messaging API calls going to a ``LineStandIn`` on
  loopback (which notes when each reply arrives);
- the baseline: a bare aiohttp application whose handler reads the body, checks ``X-Line-Signature``
  (HMAC-SHA256, base64, ``compare_digest``) and answers 200 — the same bodies, client and concurrency.

The hub acknowledges a request before it handles the event (LINE wants an answer within a second), so the
time until every request is answered says little. The goal (hub ≥ 0.5 × baseline) is judged on events
*handled* per second: from the first request until every ballot is stored and every reply has reached the
stand-in. Latencies: "ack" is the HTTP round trip of each request, "reply" the time from sending a request
until the stand-in received the hub's reply to it.

After the storm it checks (and exits with 1 if one fails): every answer was 200, N ballots are stored with
the expected options, N replies went out, one event id is kept per event and nothing was logged as failed.
Then 500 of the same bodies are sent again (LINE's redelivery, same ``webhookEventId``): in an approval vote a
second handling of a tap would take the option back, so the ballots must stay at N and the replies at N.

PostgreSQL uses the database ``bench_line`` on 127.0.0.1:5432 (created if missing, its schema dropped and
recreated; never the test database). The client, the hub, the baseline and the stand-in share one event
loop in this process, as in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import hashlib
import hmac
import json
import logging
import os
import pstats
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from bench_db import pg_url, reset_postgres
from sqlalchemy import func, insert, select, text, update

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.community.votes import VoteDraft
from bot.config import Settings, settings_from_mapping
from bot.hub import Hub, open_hub
from bot.line.spec_check import Operation
from bot.line.standin import LineStandIn, postback_event, webhook_body, webhook_headers
from bot.line.webhook import LINE_FACE, create_line_app
from storage.migrate import upgrade
from storage.models import (
    Ambassador,
    Ballot,
    Community,
    ConsentRecord,
    PlatformIdentity,
    ProcessedWebhookEvent,
)

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

ROOT = Path(__file__).resolve().parents[1]
PG_URL = pg_url("bench_line")
SECRET = "ama-line-secret"
NOTICE = "2026-04"
QUESTION = "港の桟橋をどう直す?"
OPTION_LABELS = "A案|B案|C案"
OPTIONS = 3
REPLAYS = 500
GOAL_RATIO = 0.5
BATCH = 5000


@dataclass
class Post:
    body: bytes
    signature: str
    reply_token: str


@dataclass
class Fired:
    seconds: float
    statuses: Counter[int]
    ack_ms: list[float]
    sent_at: dict[str, float]  # reply token → when its request was sent


@dataclass
class Side:
    acked_seconds: float  # until every request was answered
    handled_seconds: float  # until every event was handled (the same for the baseline)
    ack_ms: list[float]
    reply_ms: list[float] = field(default_factory=list)

    def rate(self, n: int) -> float:
        return n / self.handled_seconds


class TimedStandIn(LineStandIn):
    """The Messaging API stand-in, noting when each reply (by its token) arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.replied_at: dict[str, float] = {}

    async def _reply(self, request: web.Request, op: Operation) -> web.Response:
        answer = await super()._reply(request, op)
        body = await request.json()  # aiohttp keeps the body read by the stand-in
        self.replied_at[body.get("replyToken", "")] = time.perf_counter()
        return answer


class FailureCount(logging.Handler):
    """Counts the hub's warnings and errors (a failed event, a refused reply) without printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def settings_for(url: str, api_base: str) -> Settings:
    return settings_from_mapping(
        {
            "database": {"url": url},
            "discord": {"enabled": False},
            "line": {"enabled": True, "host": "127.0.0.1", "port": 0, "api_base": api_base},
            "logging": {"level": "ERROR", "format": "text"},
            "communities": [
                {"key": "ama", "name": "海士町", "default_language": "ja",
                 "privacy_notice_version": NOTICE, "privacy_notice_url": "https://example.jp/p",
                 "line": {"channel_secret": SECRET, "channel_access_token": "ama-line-token"}}
            ],
        },
        env={},
    )  # fmt: skip


def line_user(i: int) -> str:
    return f"U{i:032x}"


async def load_members(hub: Hub, cid: int, n: int) -> None:
    """Registered ambassadors with their LINE accounts and consent to the current notice, in bulk."""
    now = hub.clock.now()
    async with hub.db.transaction() as s:
        for start in range(0, n, BATCH):
            await s.execute(insert(Ambassador), [
                {"community_id": cid, "member_number": i + 1, "display_name": f"m{i}", "interests": [],
                 "skills": [], "language": "ja", "timezone": "Asia/Tokyo", "stage": 2, "status": "active",
                 "registered_at": now, "updated_at": now}
                for i in range(start, min(n, start + BATCH))
            ])  # fmt: skip
        ids = (
            await s.scalars(
                select(Ambassador.id).where(Ambassador.community_id == cid).order_by(Ambassador.member_number)
            )
        ).all()
        for start in range(0, n, BATCH):
            chunk = list(enumerate(ids))[start : start + BATCH]
            await s.execute(insert(PlatformIdentity), [
                {"community_id": cid, "ambassador_id": aid, "platform": "line", "external_id": line_user(i),
                 "active": True, "linked_at": now}
                for i, aid in chunk
            ])  # fmt: skip
            await s.execute(insert(ConsentRecord), [
                {"community_id": cid, "ambassador_id": aid, "notice_version": NOTICE, "platform": "line",
                 "consented_at": now}
                for _, aid in chunk
            ])  # fmt: skip
        await s.execute(update(Community).where(Community.id == cid).values(last_member_number=n))


def storm_posts(n: int, vote_id: int) -> list[Post]:
    """One signed webhook body per member, one ballot postback each (the vote card's button data)."""
    posts = []
    for i in range(n):
        event = postback_event(line_user(i), f"action=ballot&v={vote_id}&o={i % OPTIONS}")
        body = webhook_body([event])
        headers = webhook_headers(SECRET, body)  # checked against LINE's webhook.yml, then signed
        posts.append(Post(body.encode(), headers["X-Line-Signature"], event["replyToken"]))
    return posts


async def fire(http: aiohttp.ClientSession, url: str, posts: list[Post], concurrency: int) -> Fired:
    """Send every post, ``concurrency`` at a time, each on its own request."""
    statuses: Counter[int] = Counter()
    ack_ms: list[float] = []
    sent_at: dict[str, float] = {}
    queue = iter(posts)

    async def worker() -> None:
        for post in queue:
            headers = {"Content-Type": "application/json", "X-Line-Signature": post.signature}
            began = time.perf_counter()
            sent_at[post.reply_token] = began
            async with http.post(url, data=post.body, headers=headers) as resp:
                await resp.read()
                statuses[resp.status] += 1
            ack_ms.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Fired(time.perf_counter() - began, statuses, ack_ms, sent_at)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def bare_app() -> web.Application:
    """The baseline: read the body, check the signature, answer 200."""
    secret = SECRET.encode()

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        given = request.headers.get("X-Line-Signature", "")
        expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(given, expected):
            return web.json_response({"error": "bad signature"}, status=400)
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/line/{community}/webhook", webhook)
    return app


async def run_bare(
    http: aiohttp.ClientSession, posts: list[Post], concurrency: int
) -> tuple[Side, Counter[int]]:
    runner, base = await serve(bare_app())
    try:
        fired = await fire(http, f"{base}/line/ama/webhook", posts, concurrency)
    finally:
        await runner.cleanup()
    return Side(fired.seconds, fired.seconds, fired.ack_ms), fired.statuses


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_process(args: list[str], url: str) -> asyncio.subprocess.Process:
    """A server in its own process (its own core), ready when ``url`` answers."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            try:
                async with http.get(url) as resp:
                    if resp.status in (200, 404, 405):
                        return proc
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not start: {' '.join(args)}")


async def stop_process(proc: asyncio.subprocess.Process) -> list[dict[str, object]]:
    """SIGTERM, then the JSON log lines it wrote at warning level or above."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    _, err = await proc.communicate()
    records = []
    for line in err.decode(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            record = {"level": "error", "msg": line}
        if isinstance(record, dict) and record.get("level") in ("warning", "error", "critical"):
            records.append(record)
    return records


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hub_config(path: Path, url: str, api_base: str, port: int) -> Path:
    path.write_text(
        f"""[database]
url = "{url}"
[discord]
enabled = false
[line]
host = "127.0.0.1"
port = {port}
api_base = "{api_base}"
[logging]
level = "WARNING"
format = "json"
[[communities]]
key = "ama"
name = "海士町"
privacy_notice_version = "{NOTICE}"
privacy_notice_url = "https://example.jp/p"
[communities.line]
channel_secret = "{SECRET}"
channel_access_token = "ama-line-token"
""",
        encoding="utf-8",
    )
    return path


async def settle(
    hub: Hub, api: TimedStandIn, cid: int, vote_id: int, ballots: int, replies: int, events: int
) -> None:
    """Until the hub process has stored what it was sent and replied to it (or 10 minutes: a hang)."""
    deadline = time.perf_counter() + 600
    while time.perf_counter() < deadline:
        got, _, seen = await counts(hub, cid, vote_id)
        if got >= ballots and seen >= events and len(api.replies()) >= replies:
            return
        await asyncio.sleep(0.02)


Snapshot = tuple[int, dict[int, int], int, int]  # ballots, ballots by option, event ids, replies


def storm_side(posts: list[Post], fired: Fired, handled: float, api: TimedStandIn) -> Side:
    reply_ms = [
        (api.replied_at[p.reply_token] - fired.sent_at[p.reply_token]) * 1000
        for p in posts
        if p.reply_token in api.replied_at
    ]
    return Side(fired.seconds, handled, fired.ack_ms, reply_ms)


async def check_storm(
    hub: Hub, api: TimedStandIn, cid: int, vote_id: int, fired: Fired, n: int, checks: Checks
) -> Snapshot:
    """After the storm: every answer 200, every ballot stored as sent, every event replied to once."""
    ballots, by_option, events = await counts(hub, cid, vote_id)
    expected = dict(Counter(i % OPTIONS for i in range(n)))
    replies = len(api.replies())
    non_200 = n - fired.statuses[200]
    checks.add(f"non-200 answers: {non_200} of {n}", non_200 == 0)
    checks.add(f"ballots stored: {ballots:,} of {n:,}", ballots == n)
    checks.add(f"ballots by option: {by_option} (expected {expected})", by_option == expected)
    checks.add(f"replies sent: {replies:,} of {n:,}", replies == n)
    checks.add(f"event ids kept: {events:,} of {n:,}", events == n)
    return ballots, by_option, events, replies


async def check_replay(
    http: aiohttp.ClientSession,
    webhook: str,
    posts: list[Post],
    concurrency: int,
    hub: Hub,
    api: TimedStandIn,
    cid: int,
    vote_id: int,
    before: Snapshot,
    settled: Callable[[], Awaitable[None]],
    checks: Checks,
) -> None:
    """LINE redelivers: the same bodies, the same webhookEventId; nothing may change."""
    ballots, _, _, replies = before
    again = await fire(http, webhook, posts[:REPLAYS], concurrency)
    await settled()
    ballots2, by_option2, events2 = await counts(hub, cid, vote_id)
    replies2 = len(api.replies())
    checks.add(
        f"replay of {REPLAYS}: 200 answers {again.statuses[200]}, ballots {ballots2:,} "
        f"(changed by the replay: {abs(ballots2 - ballots)}), replies {replies2:,} "
        f"(doubled: {replies2 - replies}), event ids {events2:,}",
        again.statuses[200] == REPLAYS and (ballots2, by_option2, events2, replies2) == before,
    )


async def run_hub_process(
    http: aiohttp.ClientSession,
    hub: Hub,
    api: TimedStandIn,
    cid: int,
    vote_id: int,
    posts: list[Post],
    n: int,
    concurrency: int,
) -> tuple[Side, Checks]:
    """The hub as it runs for real: ``python -m bot run --role line`` in its own process."""
    checks = Checks()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="line-storm-config-") as tmp:
        config = hub_config(Path(tmp) / "config.toml", str(hub.db.engine.url), api.base_url, port)
        base = f"http://127.0.0.1:{port}"
        proc = await start_process(
            ["-m", "bot", "run", "--config", str(config), "--role", "line"], f"{base}/healthz"
        )
        try:
            webhook = f"{base}/line/ama/webhook"
            cpu_hub, cpu_load = cpu_seconds(proc.pid), time.process_time()
            began = time.perf_counter()
            fired = await fire(http, webhook, posts, concurrency)
            await settle(hub, api, cid, vote_id, n, n, n)
            handled = time.perf_counter() - began
            cpu_hub, cpu_load = cpu_seconds(proc.pid) - cpu_hub, time.process_time() - cpu_load
            print(
                f"  (CPU during the storm: hub process {cpu_hub:.1f} s, load generator and stand-in "
                f"{cpu_load:.1f} s, over {handled:.1f} s)"
            )
            side = storm_side(posts, fired, handled, api)
            before = await check_storm(hub, api, cid, vote_id, fired, n, checks)

            async def quiet() -> None:
                await asyncio.sleep(2)  # time for a wrongly handled redelivery to show

            await check_replay(
                http, webhook, posts, concurrency, hub, api, cid, vote_id, before, quiet, checks
            )
        finally:
            logged = await stop_process(proc)
    checks.add(f"warnings/errors logged by the hub process: {len(logged)}", not logged)
    for record in logged[:3]:
        checks.add(f"  logged: {record.get('msg')}"[:200], False)
    return side, checks


async def run_bare_process(
    http: aiohttp.ClientSession, posts: list[Post], concurrency: int
) -> tuple[Side, Counter[int]]:
    """The baseline in its own process too, so both servers get a core of their own."""
    port = free_port()
    proc = await start_process(
        [str(ROOT / "bench" / "line_storm.py"), "--serve-baseline", str(port)], f"http://127.0.0.1:{port}/"
    )
    try:
        fired = await fire(http, f"http://127.0.0.1:{port}/line/ama/webhook", posts, concurrency)
    finally:
        await stop_process(proc)
    return Side(fired.seconds, fired.seconds, fired.ack_ms), fired.statuses


def serve_baseline(port: int) -> None:
    web.run_app(bare_app(), host="127.0.0.1", port=port, print=None, access_log=None)


@dataclass
class Checks:
    lines: list[tuple[str, bool]] = field(default_factory=list)

    def add(self, what: str, ok: bool) -> None:
        self.lines.append((what, ok))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok in self.lines)


async def counts(hub: Hub, cid: int, vote_id: int) -> tuple[int, dict[int, int], int]:
    async with hub.db.transaction() as s:
        ballots = await s.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id))
        by_option = dict(
            (
                await s.execute(
                    select(Ballot.option, func.count())
                    .where(Ballot.vote_id == vote_id)
                    .group_by(Ballot.option)
                )
            ).all()
        )
        events = await s.scalar(
            select(func.count())
            .select_from(ProcessedWebhookEvent)
            .where(ProcessedWebhookEvent.community_id == cid)
        )
    return int(ballots or 0), {int(k): int(v) for k, v in by_option.items()}, int(events or 0)


async def run_hub(
    http: aiohttp.ClientSession, url: str, n: int, concurrency: int, profile: str | None, in_process: bool
) -> tuple[Side, Checks]:
    await upgrade(url)
    failures = FailureCount()
    bot_log = logging.getLogger("bot")
    bot_log.addHandler(failures)
    bot_log.setLevel(logging.WARNING)
    bot_log.propagate = False
    checks = Checks()
    api = TimedStandIn()
    async with api:
        settings = settings_for(url, api.base_url)
        hub = await open_hub(settings, clock=ManualClock(datetime.now(UTC)))
        try:
            ref = hub.communities.by_key("ama")
            assert ref is not None
            await load_members(hub, ref.id, n)
            draft = VoteDraft(question=QUESTION, options=OPTION_LABELS, closes="3日", approval=True)
            vote = await hub.votes.open(ref.id, Identity(ref.id, "discord", "staff"), draft)
            assert vote.eligible == n, (vote.eligible, n)
            if hub.db.dialect == "postgresql":
                # A live database has planner statistics (autovacuum); one bulk-loaded seconds ago has none.
                async with hub.db.engine.connect() as conn:
                    await conn.execute(text("ANALYZE"))
                    await conn.commit()
            posts = storm_posts(n, vote.id)
            if not in_process:
                return await run_hub_process(http, hub, api, ref.id, vote.id, posts, n, concurrency)
            app = create_line_app(settings, hub)
            runner, base = await serve(app)
            face = app[LINE_FACE]
            try:
                webhook = f"{base}/line/ama/webhook"
                profiler = cProfile.Profile() if profile else None
                if profiler:
                    profiler.enable()
                began = time.perf_counter()
                fired = await fire(http, webhook, posts, concurrency)
                await face.drain()
                handled = time.perf_counter() - began
                if profiler and profile:
                    profiler.disable()
                    profiler.dump_stats(profile)
                side = storm_side(posts, fired, handled, api)
                before = await check_storm(hub, api, ref.id, vote.id, fired, n, checks)
                storm_failures = len(failures.records)
                checks.add(f"warnings/errors logged by the hub: {storm_failures}", storm_failures == 0)
                await check_replay(
                    http, webhook, posts, concurrency, hub, api, ref.id, vote.id, before, face.drain, checks
                )
                if len(failures.records) != storm_failures:
                    checks.add("the replay logged warnings or errors", False)
                for record in failures.records[:3]:
                    cause = record.exc_info[1] if record.exc_info else getattr(record, "status", "")
                    checks.add(f"  logged: {record.getMessage()}: {cause!r}"[:200], False)
            finally:
                await runner.cleanup()
        finally:
            await hub.close()
            bot_log.removeHandler(failures)
            bot_log.propagate = True
    return side, checks


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def measure(
    backend: str, n: int, concurrency: int, profile: str | None, in_process: bool
) -> tuple[Side, Side, Checks]:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        if backend == "postgresql":
            await reset_postgres("bench_line")
            hub_side, checks = await run_hub(http, PG_URL, n, concurrency, profile, in_process)
        else:
            with tempfile.TemporaryDirectory(prefix="line-storm-") as tmp:
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
                hub_side, checks = await run_hub(http, url, n, concurrency, profile, in_process)
        # The same requests again (their vote id is irrelevant to the baseline).
        run = run_bare if in_process else run_bare_process
        bare_side, statuses = await run(http, storm_posts(n, 1), concurrency)
        checks.add(f"baseline non-200 answers: {n - statuses[200]} of {n}", statuses[200] == n)
    return hub_side, bare_side, checks


def report(backend: str, n: int, hub: Side, bare: Side, checks: Checks) -> None:
    ratio = hub.rate(n) / bare.rate(n)
    print(f"\n{backend}: {n:,} members, one signed ballot postback each")
    print(
        f"{'':<9} {'answered/s':>11} {'handled/s':>10} {'ack p50':>9} {'ack p95':>9} "
        f"{'reply p50':>10} {'reply p95':>10}"
    )
    for name, side in (("hub", hub), ("baseline", bare)):
        replies = (
            f"{pct(side.reply_ms, 50):>7.1f} ms {pct(side.reply_ms, 95):>7.1f} ms"
            if side.reply_ms
            else f"{'-':>10} {'-':>10}"
        )
        print(
            f"{name:<9} {n / side.acked_seconds:>11,.0f} {side.rate(n):>10,.0f} "
            f"{pct(side.ack_ms, 50):>6.1f} ms {pct(side.ack_ms, 95):>6.1f} ms {replies}"
        )
    verdict = "met" if ratio >= GOAL_RATIO else "MISSED"
    print(f"ratio (handled/s, hub/baseline): {ratio:.2f}   goal ≥ {GOAL_RATIO}: {verdict}")
    for what, ok in checks.lines:
        print(f"  [{'ok' if ok else 'FAIL'}] {what}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--members", type=int, default=2500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="serve the hub and the baseline in this process (the load's loop) instead of their own",
    )
    parser.add_argument(
        "--profile", help="write a cProfile of the hub's storm to this file (with --in-process)"
    )
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return 0
    if args.profile and not args.in_process:
        parser.error("--profile needs --in-process")
    logging.basicConfig(level=logging.ERROR)
    if args.members < REPLAYS:
        parser.error(f"--members must be at least {REPLAYS} (the replay resends {REPLAYS} bodies)")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"LINE webhook storm over loopback HTTP, concurrency {args.concurrency}; "
        f"goal: hub ≥ {GOAL_RATIO} × baseline in events handled per second"
    )
    ok = True
    for backend in backends:
        profile = f"{args.profile}.{backend}" if args.profile and len(backends) > 1 else args.profile
        hub, bare, checks = asyncio.run(
            measure(backend, args.members, args.concurrency, profile, args.in_process)
        )
        report(backend, args.members, hub, bare, checks)
        ok = ok and checks.ok
        if profile:
            print(f"\nprofile of the hub's storm ({profile}), by own time:")
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
