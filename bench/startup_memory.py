"""Start-up with many pending reminders, and the bot process's memory with a large Discord server.

    .venv/bin/python bench/startup_memory.py                          # both parts (start-up on both backends)
    .venv/bin/python bench/startup_memory.py --part startup --reminders 100000 --backend sqlite
    .venv/bin/python bench/startup_memory.py --part memory --members 25000

Every figure is taken in a fresh Python process (this script run with ``--child``), so imports, caches and the
allocator start from nothing each time; the parent only builds the databases and prints.

1. Start-up. Two databases that differ only in their reminders: the same community, ambassadors, events and
   "going" answers, and in one of them ``--reminders`` pending reminders (default 100,000) due over the coming
   five weeks. A child imports the hub, runs ``bot.app.start_hub`` (schema check, services, the reminder and
   vote pumps rebuilt from the rows, the scheduler, the LINE face on a free port; Discord off) until it
   returns ready, then ``stop()``, then times the raw ``SELECT min(due_at) … WHERE status = 'pending'`` on a
   plain connection. Three runs each, alternating, median. Goal: the reminders add under 1 s to start-up.
   PostgreSQL uses the databases ``bench_startup`` (with the reminders) and ``bench_startup_base`` (without)
   on 127.0.0.1:5432, created if missing, their schema dropped and recreated, then ANALYZEd (as autovacuum
   does on a live database).

2. Memory. A SimCord guild with ``--members`` members (default 2,500 and 25,000; nine in ten of them
   registered ambassadors with their Discord account in the hub's database, bulk-loaded by the parent), built
   before the bot connects. Three children per size:
   - server: the SimCord guild alone, no client connected (SimCord's in-memory Discord lives in the bot's
     process, so this is subtracted from the two below);
   - bare: a discord.py ``commands.Bot`` with the hub's intents (members on, no presences, no message
     content; no chunking at start);
   - hub: the whole bot process: ``start_hub`` (scheduler, pumps, LINE face) and the hub's Discord bot
     (``create_discord_bot``, every cog) on the same loop.
   Each bot is measured when ready (discord.py then caches only the members it sees, as the hub asks) and
   again once every member is in discord.py's cache (``Guild.chunk()``, the most a long-running bot holds).
   Figures: VmRSS from /proc/self/status after a ``gc.collect()`` (and SimCord's transcript cleared: it keeps
   every payload it sent), and the peak (VmHWM; a child's ru_maxrss would carry its parent's size). The hub's
   extra per member is the growth of (hub − bare) from the smaller size to the larger one.
   ``--tracemalloc`` adds a run of each child with Python's allocation tracing (traced bytes, not RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GUILD = 1_190_000_000_000_000_002
PG_FULL = "bench_startup"
PG_BASE = "bench_startup_base"
GOAL_EXTRA_S = 1.0
RUNS = 3
MEMBERS_PER_EVENT = 250  # "going" per event; with the two default offsets, 500 reminders an event
AMBASSADORS = 2_500
OFFSETS = (1440, 60)
WEEKS = 5
REGISTERED_EVERY = 10  # one member in ten is not registered in the hub
MIN_DUE_SQL = "SELECT min(due_at) FROM reminders WHERE status = 'pending'"


# --- settings ------------------------------------------------------------------------------------------
def settings_data(
    url: str, *, discord: bool, line: bool = True, role_id: int | None = None
) -> dict[str, Any]:
    community: dict[str, Any] = {
        "key": "ama",
        "name": "海士町オフィシャルアンバサダー",
        "default_language": "ja",
        "privacy_notice_version": "2026-04",
        "privacy_notice_url": "https://example.jp/ama/privacy",
        "discord": {"guild_id": GUILD, "ambassador_role_id": role_id},
        "line": {"channel_secret": "bench-secret", "channel_access_token": "bench-token"},
    }
    return {
        "database": {"url": url},
        "discord": {"enabled": discord, "token": "bench"},
        "line": {"enabled": line, "host": "127.0.0.1", "port": 0, "api_base": "http://127.0.0.1:9"},
        "logging": {"level": "ERROR", "format": "text"},
        "communities": [community],
    }


def settings_for(url: str, **kw: Any) -> Any:
    from bot.config import settings_from_mapping

    return settings_from_mapping(settings_data(url, **kw), env={})


# --- databases -----------------------------------------------------------------------------------------
async def analyze(url: str) -> None:
    from sqlalchemy import text

    from storage.database import build_engine

    engine = build_engine(url)
    async with engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    await engine.dispose()


async def community_id(url: str) -> int:
    """Migrate, and let the hub create its community row from the settings (as at a first start)."""
    from bot.hub import open_hub
    from storage.migrate import upgrade

    await upgrade(url)
    hub = await open_hub(settings_for(url, discord=False, line=False))
    try:
        ref = hub.communities.by_key("ama")
        assert ref is not None
        return ref.id
    finally:
        await hub.close()


async def insert_rows(url: str, table: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    from sqlalchemy import insert

    from storage.database import Database

    db = Database(url)
    try:
        async with db.transaction() as s:
            for start in range(0, len(rows), chunk):
                await s.execute(insert(table), rows[start : start + chunk])
    finally:
        await db.dispose()


async def load_ambassadors(url: str, cid: int, n: int, now: datetime) -> list[int]:
    from sqlalchemy import select, update

    from storage.database import Database
    from storage.models import Ambassador, Community

    await insert_rows(
        url,
        Ambassador,
        [
            {"community_id": cid, "member_number": i + 1, "display_name": f"m{i}", "interests": [],
             "skills": [], "language": "ja", "timezone": "Asia/Tokyo", "stage": 2, "status": "active",
             "registered_at": now, "updated_at": now}
            for i in range(n)
        ],
    )  # fmt: skip
    db = Database(url)
    try:
        async with db.transaction() as s:
            await s.execute(update(Community).where(Community.id == cid).values(last_member_number=n))
            return list((await s.scalars(select(Ambassador.id).order_by(Ambassador.member_number))).all())
    finally:
        await db.dispose()


async def build_startup_db(url: str, reminders: int, events: int) -> datetime | None:
    """Ambassadors, ``events`` events over the coming weeks, their "going" answers, and ``reminders`` pending
    reminders (the first ones of those answers × the two offsets). Returns the earliest due time."""
    from storage.models import Event, EventRsvp, Reminder

    now = datetime.now(UTC).replace(microsecond=0)
    cid = await community_id(url)
    members = await load_ambassadors(url, cid, AMBASSADORS, now)
    first = now + timedelta(days=2)  # every reminder (a day before at most) is still ahead at start
    span = timedelta(weeks=WEEKS) - timedelta(days=2)
    starts = [first + span * e / max(events, 1) for e in range(events)]
    await insert_rows(
        url,
        Event,
        [
            {"community_id": cid, "title": f"event {e}", "description": "", "place": "海士町",
             "starts_at": at, "ends_at": at + timedelta(hours=2), "timezone": "Asia/Tokyo",
             "status": "scheduled", "checkin_code": f"C{e:06d}", "revision": 1, "created_by": "bench",
             "created_at": now, "updated_at": now}
            for e, at in enumerate(starts)
        ],
    )  # fmt: skip
    event_ids = list(range(1, events + 1))  # a fresh table: ids in insertion order
    going = [
        (event_ids[e], members[(e * MEMBERS_PER_EVENT + j) % len(members)])
        for e in range(events)
        for j in range(MEMBERS_PER_EVENT)
    ]
    await insert_rows(
        url,
        EventRsvp,
        [
            {"community_id": cid, "event_id": ev, "ambassador_id": am, "status": "going",
             "platform": "line" if am % 2 else "discord", "answered_at": now}
            for ev, am in going
        ],
    )  # fmt: skip
    rows: list[dict[str, Any]] = [
        {"community_id": cid, "event_id": ev, "ambassador_id": am, "offset_minutes": m,
         "due_at": starts[ev - 1] - timedelta(minutes=m), "status": "pending"}
        for ev, am in going
        for m in OFFSETS
    ][:reminders]  # fmt: skip
    await insert_rows(url, Reminder, rows)
    due: list[datetime] = [r["due_at"] for r in rows]
    return min(due, default=None)


# --- children ------------------------------------------------------------------------------------------
def status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_mb() -> float:
    return status_mb("VmRSS")


def peak_mb() -> float:
    """The peak RSS of this process: VmHWM. (``ru_maxrss`` would do, but Linux carries the parent's RSS at the
    fork into it across the exec, so a child of a large parent reports at least the parent's size.)"""
    return status_mb("VmHWM")


def settled_rss() -> float:
    import gc

    gc.collect()
    return rss_mb()


async def child_startup(spec: dict[str, Any]) -> dict[str, Any]:
    began = time.perf_counter()
    from bot.app import start_hub

    imported = time.perf_counter()
    settings = settings_for(spec["url"], discord=False, line=True)
    t0 = time.perf_counter()
    running = await start_hub(settings)
    ready = time.perf_counter()
    assert running.line_port and running.discord is None
    assert running.reminders is not None, "this process runs the jobs"
    wake = running.reminders.next_wake
    expected = spec["first_due"]
    assert (wake.isoformat() if wake else None) == expected, (wake, expected)
    rss_ready = rss_mb()
    await running.stop()
    stopped = time.perf_counter()
    from sqlalchemy import text

    from storage.database import build_engine

    engine = build_engine(spec["url"])
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # connected before the clock starts
            t1 = time.perf_counter()
            await conn.execute(text(MIN_DUE_SQL))
            raw = time.perf_counter() - t1
    finally:
        await engine.dispose()
    return {
        "import_s": imported - began,
        "ready_s": ready - t0,
        "stop_s": stopped - ready,
        "raw_s": raw,
        "rss_ready_mb": rss_ready,
    }


def build_world(env: Any, n: int) -> tuple[Any, Any, list[int]]:
    """The guild, a channel, the ambassador role and ``n`` members, straight into SimCord's backend (no
    gateway event, nothing in its transcript). Deterministic: SimCord's snowflakes come from its own clock,
    so the same calls in every process give the same ids."""
    guild = env.create_guild("海士町アンバサダー", id=GUILD)
    guild.create_text_channel("ひろば")
    role = guild.create_role("アンバサダー")
    backend = env.backend
    ids: list[int] = []
    for i in range(n):
        user = backend.make_user(f"member{i}")
        roles = [role.id] if i % REGISTERED_EVERY else []
        backend.add_member(guild.id, user.id, roles=roles)
        ids.append(user.id)
    return guild, role, ids


def bare_intents() -> Any:
    """The hub's intents (``bot.discord_bot.intents``), written out so this process imports no hub module."""
    import discord

    i = discord.Intents.default()
    i.message_content = False
    i.presences = False
    i.members = True
    return i


async def child_memory(spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("tracemalloc"):
        import tracemalloc

        tracemalloc.start()
    kind, n = spec["kind"], spec["members"]
    out: dict[str, Any] = {}

    def mark(name: str) -> None:
        out[f"{name}_mb"] = settled_rss()
        if spec.get("tracemalloc"):
            import tracemalloc

            out[f"{name}_traced_mb"] = tracemalloc.get_traced_memory()[0] / 2**20

    import discord
    import simcord
    from discord.ext import commands

    running: Any = None
    if kind == "hub":
        from bot.app import start_hub
        from bot.discord_bot import create_discord_bot

        running = await start_hub(settings_for(spec["url"], discord=False, line=True))
        bot: discord.Client = create_discord_bot(
            settings_for(spec["url"], discord=True, role_id=spec["role_id"]), running.hub
        )
    elif kind == "bare":
        bot = commands.Bot(command_prefix="!", intents=bare_intents(), chunk_guilds_at_startup=False)
    else:
        bot = discord.Client(intents=bare_intents())  # never connected: SimCord's Env needs one
    mark("started")
    env = simcord.Env(bot, check_errors=True)
    _, role, ids = build_world(env, n)
    assert role.id == spec["role_id"] and ids[0] == spec["first_id"] and ids[-1] == spec["last_id"]
    mark("world")
    if kind == "server":
        out["peak_mb"] = peak_mb()
        return out
    await env.start()
    try:
        with env.time_context():
            await env.settle(timeout=60)
            g = bot.get_guild(GUILD)
            assert g is not None
            out["cached_at_ready"] = len(g.members)
            env.backend.transcript.clear()
            mark("ready")
            await g.chunk(cache=True)
            await env.settle(timeout=60)
            out["cached"] = len(g.members)
            assert out["cached"] >= n, (out["cached"], n)
            env.backend.transcript.clear()
            mark("all_cached")
            out["peak_mb"] = peak_mb()
    finally:
        await env.shutdown()
        if running is not None:
            await running.stop()
    return out


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"child {spec.get('mode')} failed ({proc.returncode})")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --- part 1 --------------------------------------------------------------------------------------------
async def startup_part(backend: str, reminders: int) -> bool:
    from bench_db import reset_postgres  # not at the top: a measured child imports only what it measures

    events = max(1, -(-reminders // (MEMBERS_PER_EVENT * len(OFFSETS))))
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        if backend == "postgresql":
            urls = {"full": await reset_postgres(PG_FULL), "base": await reset_postgres(PG_BASE)}
        else:
            urls = {k: f"sqlite+aiosqlite:///{Path(tmp) / f'{k}.sqlite3'}" for k in ("full", "base")}
        began = time.perf_counter()
        first = {
            "full": await build_startup_db(urls["full"], reminders, events),
            "base": await build_startup_db(urls["base"], 0, events),
        }
        if backend == "postgresql":
            for url in urls.values():
                await analyze(url)
        print(
            f"[{backend}] built: {AMBASSADORS:,} ambassadors, {events:,} events, "
            f"{events * MEMBERS_PER_EVENT:,} answers; {reminders:,} vs 0 reminders "
            f"({time.perf_counter() - began:.1f} s)"
        )
        runs: dict[str, list[dict[str, Any]]] = {"full": [], "base": []}
        for _ in range(RUNS):
            for key in ("full", "base"):
                due = first[key]
                spec = {"mode": "startup", "url": urls[key], "first_due": due.isoformat() if due else None}
                runs[key].append(run_child(spec))

    def med(key: str, field: str) -> float:
        return float(statistics.median(r[field] for r in runs[key]))

    print(f"\nstart-up ({backend}), fresh process each, median of {RUNS}; goal: reminders add < 1 s")
    print(f"{'pending reminders':>18} {'import':>9} {'start→ready':>12} {'stop':>8} {'RSS ready':>10} "
          f"{'raw min(due_at)':>16}")  # fmt: skip
    for key, count in (("full", reminders), ("base", 0)):
        print(
            f"{count:>18,} {med(key, 'import_s') * 1000:>6.0f} ms {med(key, 'ready_s') * 1000:>9.0f} ms "
            f"{med(key, 'stop_s') * 1000:>5.0f} ms {med(key, 'rss_ready_mb'):>7.1f} MB "
            f"{med(key, 'raw_s') * 1000:>13.2f} ms"
        )
    extra = med("full", "ready_s") - med("base", "ready_s")
    ok = extra < GOAL_EXTRA_S
    runs_txt = ", ".join(f"{r['ready_s'] * 1000:.0f}" for r in runs["full"])
    base_txt = ", ".join(f"{r['ready_s'] * 1000:.0f}" for r in runs["base"])
    print(f"difference: {extra * 1000:+.0f} ms   {'met' if ok else 'MISSED'}")
    print(f"(start→ready runs, ms: {reminders:,}: {runs_txt}; 0: {base_txt})")
    return ok


# --- part 2 --------------------------------------------------------------------------------------------
async def load_members(url: str, user_ids: list[int]) -> int:
    """Nine in ten members registered, with their Discord account, in bulk. Returns how many."""
    from storage.models import PlatformIdentity

    now = datetime.now(UTC)
    registered = [uid for i, uid in enumerate(user_ids) if i % REGISTERED_EVERY]
    cid = await community_id(url)
    ids = await load_ambassadors(url, cid, len(registered), now)
    await insert_rows(
        url,
        PlatformIdentity,
        [
            {"community_id": cid, "ambassador_id": aid, "platform": "discord", "external_id": str(uid),
             "active": True, "linked_at": now}
            for aid, uid in zip(ids, registered, strict=True)
        ],
    )  # fmt: skip
    return len(registered)


async def memory_part(backend: str, sizes: list[int], traced: bool) -> None:
    import discord
    import simcord
    from bench_db import reset_postgres

    from bot.discord_bot import intents

    assert intents().value == bare_intents().value
    rows = {}
    for n in sizes:
        env = simcord.Env(discord.Client(intents=bare_intents()))  # never started: only to know the ids
        _, role, ids = build_world(env, n)
        del env
        with tempfile.TemporaryDirectory(prefix="memory-") as tmp:
            if backend == "postgresql":
                url = await reset_postgres(PG_FULL)
            else:
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'hub.sqlite3'}"
            registered = await load_members(url, ids)
            if backend == "postgresql":
                await analyze(url)
            base = {"mode": "memory", "members": n, "url": url, "role_id": role.id,
                    "first_id": ids[0], "last_id": ids[-1]}  # fmt: skip
            got = {kind: run_child({**base, "kind": kind}) for kind in ("server", "bare", "hub")}
            if traced:
                got.update(
                    {
                        f"{k}_traced": run_child({**base, "kind": k, "tracemalloc": True})
                        for k in ("server", "bare", "hub")
                    }
                )
        rows[n] = (registered, got)

    print(f"\nmemory of the bot process, SimCord guild in the same process ({backend}); MB = MiB of RSS")
    print("'minus server': less the same guild built in a process with no client (SimCord's own memory)")
    print(
        f"{'members':>8} {'state':<11} {'hub MB':>8} {'bare MB':>8} {'server MB':>10} "
        f"{'hub−server':>11} {'bare−server':>12} {'hub−bare':>9} {'cached':>7}"
    )
    for n, (_, got) in rows.items():
        server = got["server"]["world_mb"]
        for state, label in (("ready", "ready"), ("all_cached", "all cached")):
            hub, bare = got["hub"][f"{state}_mb"], got["bare"][f"{state}_mb"]
            cached = got["hub"]["cached" if state == "all_cached" else "cached_at_ready"]
            print(
                f"{n:>8,} {label:<11} {hub:>8.1f} {bare:>8.1f} {server:>10.1f} {hub - server:>11.1f} "
                f"{bare - server:>12.1f} {hub - bare:>9.1f} {cached:>7,}"
            )
        print(
            f"{'':>8} {'peak':<11} {got['hub']['peak_mb']:>8.1f} {got['bare']['peak_mb']:>8.1f} "
            f"{got['server']['peak_mb']:>10.1f}"
        )
    if len(rows) >= 2:
        small, large = min(rows), max(rows)
        span = large - small
        for state, label in (("ready", "when ready"), ("all_cached", "with every member cached")):
            per = {
                kind: (
                    (rows[large][1][kind][f"{state}_mb"] - rows[large][1]["server"]["world_mb"])
                    - (rows[small][1][kind][f"{state}_mb"] - rows[small][1]["server"]["world_mb"])
                )
                / span
                * 1024
                for kind in ("hub", "bare")
            }
            print(
                f"per member {label} ({small:,} → {large:,}): hub {per['hub']:.2f} KiB, "
                f"bare {per['bare']:.2f} KiB, hub's extra {per['hub'] - per['bare']:+.2f} KiB"
            )
    if traced:
        print("\ntracemalloc (traced Python allocations, MiB; a separate run of each child)")
        print(f"{'members':>8} {'state':<11} {'hub':>8} {'bare':>8} {'server':>8}")
        for n, (_, got) in rows.items():
            for state in ("ready", "all_cached"):
                print(
                    f"{n:>8,} {state:<11} {got['hub_traced'][f'{state}_traced_mb']:>8.1f} "
                    f"{got['bare_traced'][f'{state}_traced_mb']:>8.1f} "
                    f"{got['server_traced']['world_traced_mb']:>8.1f}"
                )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("startup", "memory", "both"), default="both")
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--members", type=int, action="append", help="members (default: 2500 and 25000)")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        default=None,
        help="start-up: both by default; memory: sqlite by default",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="memory: also a traced run of each child")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.child)
        result = await (child_startup(spec) if spec["mode"] == "startup" else child_memory(spec))
        print(json.dumps(result))
        return
    ok = True
    if args.part in ("startup", "both"):
        backends = ["sqlite", "postgresql"] if args.backend in (None, "both") else [args.backend]
        for backend in backends:
            ok = await startup_part(backend, args.reminders) and ok
    if args.part in ("memory", "both"):
        backend = "sqlite" if args.backend in (None, "both") else args.backend
        await memory_part(backend, args.members or [2500, 25_000], args.tracemalloc)


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main())
