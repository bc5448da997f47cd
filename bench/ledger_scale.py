"""Contribution ledger at scale: leaderboard, one member's points and ``ledger verify``, hub vs raw SQL.

    .venv/bin/python bench/ledger_scale.py                      # 100,000 ambassadors, 1,000,000 entries, both
    .venv/bin/python bench/ledger_scale.py --ambassadors 2000 --entries 20000 --backend sqlite  # quick

Each figure is printed next to a baseline measured in the same run on the same data: the raw SQL one
would write without the kept point totals (GROUP BY / SUM over the ledger), and for verify the same
hashing over rows streamed with a plain SQL query. PostgreSQL uses the database ``bench_ledger`` on
127.0.0.1:5432 (created if missing; never the test database).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_db import pg_url, reset_postgres
from sqlalchemy import insert, text, update

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.community.ledger import HASHED_FIELDS, entry_hash, hash_values
from bot.config import DEFAULT_CATEGORY_POINTS, settings_from_mapping
from bot.hub import Hub, open_hub
from storage.migrate import upgrade
from storage.models import Ambassador, Community, LedgerEntry, PlatformIdentity, PointTotal

PG_URL = pg_url("bench_ledger")
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
MONTHS = 12
BATCH = 10_000
GOAL_MS = 50.0
GOAL_VERIFY = 100_000.0


def settings_for(url: str) -> Any:
    return settings_from_mapping(
        {
            "database": {"url": url},
            "discord": {"enabled": False},
            "line": {"enabled": False},
            "communities": [
                {"key": "ama", "name": "海士町", "privacy_notice_version": "1",
                 "privacy_notice_url": "https://example.jp/p"}
            ],
        },
        env={},
    )  # fmt: skip


async def load(hub: Hub, ambassadors: int, entries: int) -> int:
    """Ambassadors, a valid hash chain of ledger entries and the matching point totals, in bulk."""
    ref = hub.communities.by_key("ama")
    assert ref is not None
    cid = ref.id
    rng = random.Random(7)
    categories = list(DEFAULT_CATEGORY_POINTS)
    async with hub.db.transaction() as s:
        for start in range(0, ambassadors, BATCH):
            rows = [
                {"community_id": cid, "member_number": n + 1, "display_name": f"member{n + 1}",
                 "residence_kind": "prefecture", "residence_code": "JP-32", "connection": "fan",
                 "interests": [], "skills": [], "language": "ja", "timezone": "Asia/Tokyo", "stage": 1,
                 "stage_manual": False, "status": "active", "registered_at": NOW, "updated_at": NOW,
                 "left_at": None}
                for n in range(start, min(ambassadors, start + BATCH))
            ]  # fmt: skip
            await s.execute(insert(Ambassador), rows)
        first_id = int((await s.execute(text("SELECT min(id) FROM ambassadors"))).scalar_one())
        await s.execute(insert(PlatformIdentity), [
            {"community_id": cid, "ambassador_id": first_id + i, "platform": "discord", "external_id": str(i),
             "active": True, "linked_at": NOW} for i in range(10)
        ])  # fmt: skip
    totals: defaultdict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    prev = "0" * 64
    seq = 0
    for start in range(0, entries, BATCH):
        rows: list[dict[str, Any]] = []
        for _ in range(min(BATCH, entries - start)):
            seq += 1
            amb = first_id + rng.randrange(ambassadors)
            cat = rng.choice(categories)
            points = DEFAULT_CATEGORY_POINTS[cat]
            day = NOW - timedelta(days=rng.randrange(MONTHS * 30))
            fields = {
                "community_id": cid, "seq": seq, "ambassador_id": amb, "kind": "auto", "category": cat,
                "points": points, "claimed_points": points, "refers_to": None, "actor": "system",
                "giver_ambassador_id": None, "description": "bench", "link": None,
                "occurred_on": day.date().isoformat(), "created_at": day,
            }  # fmt: skip
            digest = entry_hash(prev, fields)
            rows.append({**fields, "prev_hash": prev, "hash": digest})
            prev = digest
            for month in (fields["occurred_on"][:7], "*"):
                for category in (cat, "*"):
                    total = totals[(amb, month, category)]
                    total[0] += points
                    total[1] += 1
        async with hub.db.transaction() as s:
            await s.execute(insert(LedgerEntry), rows)
    async with hub.db.transaction() as s:
        items = list(totals.items())
        for start in range(0, len(items), BATCH):
            await s.execute(insert(PointTotal), [
                {"community_id": cid, "ambassador_id": a, "month": m, "category": c, "points": p,
                 "entries": e}
                for (a, m, c), (p, e) in items[start : start + BATCH]
            ])  # fmt: skip
        await s.execute(update(Community).where(Community.id == cid).values(ledger_seq=seq, ledger_head=prev))
    return cid


async def median_ms(fn: Callable[[], Awaitable[object]], repeat: int = 7) -> float:
    await fn()  # warm caches and the connection pool
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def raw_verify(hub: Hub, cid: int) -> int:
    """The same walk and hashing, over rows from a plain SQL query (the floor for verify)."""
    cols = ", ".join(HASHED_FIELDS)
    prev, n = "0" * 64, 0
    async with hub.db.engine.connect() as conn:
        result = await conn.stream(
            text(f"SELECT {cols}, prev_hash, hash FROM ledger_entries WHERE community_id = :c ORDER BY seq"),
            {"c": cid},
        )
        width = len(HASHED_FIELDS)
        async for partition in result.partitions(5000):
            for row in partition:
                values = list(row[:width])
                if isinstance(values[-1], str):  # SQLite returns text to a text() query
                    values[-1] = datetime.fromisoformat(values[-1]).replace(tzinfo=UTC)
                if hash_values(prev, values) != row[-1]:
                    raise SystemExit(f"raw verify disagrees at {values[1]}")
                prev, n = row[-1], n + 1
    return n


Row = tuple[str, float, float, str]  # operation, hub, raw SQL, verdict


@asynccontextmanager
async def loaded(backend: str, ambassadors: int, entries: int) -> AsyncIterator[tuple[Hub, int]]:
    """A migrated database on ``backend`` holding the ambassadors and ledger entries, with a hub on it."""
    if backend == "postgresql":
        await reset_postgres("bench_ledger")
        url, tmp = PG_URL, None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="ledger-bench-")
        url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    try:
        await upgrade(url)
        hub = await open_hub(settings_for(url), clock=ManualClock(NOW))
        try:
            started = time.perf_counter()
            cid = await load(hub, ambassadors, entries)
            async with hub.db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
            print(
                f"[{backend}] loaded {ambassadors:,} ambassadors and {entries:,} entries "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            yield hub, cid
        finally:
            await hub.close()
    finally:
        if tmp is not None:
            tmp.cleanup()


async def ledger_cases(hub: Hub, cid: int, entries: int) -> list[Row]:
    """Leaderboards, one member's points and verify, each against its raw SQL."""
    member = Identity(cid, "discord", "3")
    month = NOW.strftime("%Y-%m")
    results: list[Row] = []

    async def raw(sql: str, **params: Any) -> None:
        async with hub.db.engine.connect() as conn:
            (await conn.execute(text(sql), {"c": cid, **params})).all()

    board_sql = (
        "SELECT ambassador_id, sum(points) AS p FROM ledger_entries WHERE community_id = :c {w} "
        "GROUP BY ambassador_id ORDER BY p DESC LIMIT 10"
    )
    cases: list[tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]] = [
        ("leaderboard, all time", lambda: hub.contributions.leaderboard(cid, "all"),
         lambda: raw(board_sql.format(w=""))),
        ("leaderboard, this month", lambda: hub.contributions.leaderboard(cid, "month"),
         lambda: raw(board_sql.format(w="AND occurred_on >= :m"), m=f"{month}-01")),
        ("leaderboard, one category", lambda: hub.contributions.leaderboard(cid, "all", "visit"),
         lambda: raw(board_sql.format(w="AND category = 'visit'"))),
        ("one member's points", lambda: hub.contributions.points(member),
         lambda: raw("SELECT sum(points) FROM ledger_entries WHERE community_id = :c AND "
                     "ambassador_id = (SELECT ambassador_id FROM platform_identities "
                     "WHERE external_id = '3')")),
    ]  # fmt: skip
    for name, hub_fn, base_fn in cases:
        hub_ms, base_ms = await median_ms(hub_fn), await median_ms(base_fn, repeat=3)
        results.append((name, hub_ms, base_ms, "PASS" if hub_ms < GOAL_MS else "MISS"))
    start = time.perf_counter()
    report = await hub.ledger.verify(cid)
    hub_rate = report.checked / (time.perf_counter() - start)
    assert report.ok and report.checked == entries, report
    start = time.perf_counter()
    checked = await raw_verify(hub, cid)
    base_rate = checked / (time.perf_counter() - start)
    results.append(
        ("ledger verify (entries/s)", hub_rate, base_rate, "PASS" if hub_rate >= GOAL_VERIFY else "MISS")
    )
    return results


async def run(backend: str, ambassadors: int, entries: int) -> list[Row]:
    async with loaded(backend, ambassadors, entries) as (hub, cid):
        return await ledger_cases(hub, cid, entries)


def print_ledger(backend: str, ambassadors: int, entries: int, rows: list[Row]) -> None:
    print(f"\n{backend}: {ambassadors:,} ambassadors, {entries:,} ledger entries")
    print(f"{'operation':<28} {'hub':>12} {'raw SQL':>12} {'hub/raw':>9}  goal")
    for name, hub_v, base_v, verdict in rows:
        if name.startswith("ledger verify"):
            print(
                f"{name:<28} {hub_v:>10,.0f}/s {base_v:>10,.0f}/s {hub_v / base_v:>8.2f}x  "
                f">= {GOAL_VERIFY:,.0f}/s {verdict}"
            )
        else:
            print(
                f"{name:<28} {hub_v:>9.2f} ms {base_v:>9.2f} ms {base_v / hub_v:>7.1f}x faster  "
                f"< {GOAL_MS:.0f} ms {verdict}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--ambassadors", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        rows = asyncio.run(run(backend, args.ambassadors, args.entries))
        print_ledger(backend, args.ambassadors, args.entries, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
