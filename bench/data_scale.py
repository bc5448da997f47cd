"""Data at scale: the ledger figures of ``ledger_scale.py``, then a weighted vote with 100,000 ballots and
segment selection, each against raw SQL on the same data.

    .venv/bin/python bench/data_scale.py       # 100,000 ambassadors, 1,000,000 entries, 100,000 ballots, both
    .venv/bin/python bench/data_scale.py --ambassadors 2000 --entries 20000 --ballots 2000 --backend sqlite

After ``ledger_scale``'s data and measurements (unchanged), the same database gets:

- profiles: each member's stage from their points (the community's stage rules), residences (most in
  Shimane, some in Tokyo and Osaka, some abroad), languages, interest tags (most members' lists differ); a
  Discord account for 60 %, a LINE account for 50 % (20 % have both, 10 % neither, 1 in 50 LINE blocked);
- subcommittees made by the service, their members written in bulk (10 %, 5 %, 2 % and 1 % of the members,
  and one of 20 members);
- a small weighted vote of that 20-member subcommittee, every member casting through the service: its ballot
  rows must equal those the bulk writer makes, and its tally the one computed here, or the run stops;
- a weighted vote opened by the service (it freezes each member's weight), then ``--ballots`` ballots
  written in bulk, one per voter (three options).

Measured (hub median of 7, raw SQL median of 3, after one warm-up each):

- weighted tally: the live result (``VoteService.get``, the tally the service stores when a vote closes)
  against one ``SELECT option, count(*), sum(weight) … GROUP BY``; closing the vote (once) against it too;
  both must equal the tally computed here from the rows written;
- segment selection: ``Segments.members`` (what a staff console broadcast reaches) against one SQL query
  with the member's Discord and LINE accounts joined; the recipients must be the same;
- active members in the last 90 days (``/stats``): against a count with ``EXISTS`` per kind of activity.

PostgreSQL uses the database ``bench_ledger`` on 127.0.0.1:5432 (created if missing; never the test database).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from ledger_scale import NOW, Row, ledger_cases, loaded, median_ms, print_ledger
from sqlalchemy import bindparam, insert, select, text, update

from bot.community.identity import Identity
from bot.community.segments import Recipient, Segment
from bot.community.stats import ACTIVE_DAYS, MEMBER_KINDS, StatsService
from bot.community.votes import SOURCES, VoteDraft, VoteResult
from bot.hub import Hub
from storage.models import (
    Ambassador,
    Ballot,
    PlatformIdentity,
    PointTotal,
    SubcommitteeMember,
    UtcDateTime,
    VoteWeight,
)

BATCH = 5_000
OPTIONS = ("港の桟橋を直す", "図書館を広げる", "祭りに使う")
OPTION_ODDS = (5, 3, 2)  # so the three totals differ
# (name, share of the members; a share above 1 is a number of members)
SUBCOMMITTEES = (("食と農", 0.10), ("観光", 0.05), ("移住", 0.02), ("教育", 0.01), ("島の記録", 20))
# Interest tags, each held with its own odds (so most members' lists differ); lowercase or Japanese, so the
# raw SQL's exact match means the same as the hub's folded one.
INTERESTS = {"surf": 0.3, "食": 0.25, "art": 0.1, "農業": 0.1, "教育": 0.05, "music": 0.05,
             "写真": 0.05, "fishing": 0.05, "観光": 0.05, "design": 0.05, "歴史": 0.05, "hiking": 0.05,
             "料理": 0.05, "it": 0.05, "移住": 0.05, "english": 0.05, "祭り": 0.05, "diving": 0.05,
             "子育て": 0.05}  # fmt: skip
SLOW_RATIO, SLOW_MS = 10.0, 50.0  # flagged: more than 10x raw SQL and more than 50 ms


def staff(cid: int) -> Identity:
    return Identity(cid, "discord", "staff-1")


async def members_of(hub: Hub, cid: int) -> list[int]:
    async with hub.db.transaction() as s:
        ids = await s.scalars(
            select(Ambassador.id).where(Ambassador.community_id == cid).order_by(Ambassador.id)
        )
        return list(ids)


async def load_profiles(hub: Hub, cid: int, ids: list[int], rng: random.Random) -> dict[int, str]:
    """Stages from the points, residences, languages, interests, accounts; returns Discord ids by member."""
    rules = hub.stages.rules(cid)
    points: dict[int, int] = {}
    counts: defaultdict[int, dict[str, int]] = defaultdict(dict)
    async with hub.db.transaction() as s:
        rows = await s.execute(
            select(
                PointTotal.ambassador_id, PointTotal.category, PointTotal.points, PointTotal.entries
            ).where(PointTotal.community_id == cid, PointTotal.month == "*")
        )
        for aid, category, pts, entries in rows:
            if category == "*":
                points[aid] = pts
            else:
                counts[aid][category] = entries
    by_stage: defaultdict[int, list[int]] = defaultdict(list)
    for aid in ids:
        p, c = points.get(aid, 0), counts.get(aid, {})
        met = [
            r.stage
            for r in rules
            if p >= r.min_points and all(c.get(k, 0) >= n for k, n in r.min_counts.items())
        ]
        by_stage[max([1, *met])].append(aid)
    discord: dict[int, str] = {}
    async with hub.db.transaction() as s:
        for stage, members in by_stage.items():
            for start in range(0, len(members), BATCH):
                chunk = members[start : start + BATCH]
                await s.execute(update(Ambassador).where(Ambassador.id.in_(chunk)).values(stage=stage))
        c = {"c": cid}
        await s.execute(
            text(
                "UPDATE ambassadors SET "
                "residence_kind = CASE WHEN id % 7 = 6 THEN 'country' ELSE 'prefecture' END, "
                "residence_code = CASE id % 7 WHEN 6 THEN 'FR' WHEN 5 THEN 'JP-13' WHEN 4 THEN 'JP-27' "
                "ELSE 'JP-32' END, language = CASE WHEN id % 3 = 0 THEN 'en' ELSE 'ja' END "
                "WHERE community_id = :c"
            ),
            c,
        )
        interests = [
            {"id": aid, "interests": [t for t, odds in INTERESTS.items() if rng.random() < odds]}
            for aid in ids
        ]
        for start in range(0, len(interests), BATCH):
            await s.execute(update(Ambassador), interests[start : start + BATCH])  # by primary key
        taken = set(
            (
                await s.scalars(
                    select(PlatformIdentity.ambassador_id).where(PlatformIdentity.community_id == cid)
                )
            ).all()
        )
        rows_out: list[dict[str, Any]] = []
        for aid in ids:
            slot = aid % 10
            if slot < 6 and aid not in taken:
                rows_out.append(
                    {"community_id": cid, "ambassador_id": aid, "platform": "discord",
                     "external_id": f"d{aid}", "active": True, "linked_at": NOW}
                )  # fmt: skip
            if 4 <= slot < 9:
                rows_out.append(
                    {"community_id": cid, "ambassador_id": aid, "platform": "line",
                     "external_id": f"U{aid:032x}", "active": aid % 50 != 7, "linked_at": NOW}
                )  # fmt: skip
        for start in range(0, len(rows_out), BATCH):
            await s.execute(insert(PlatformIdentity), rows_out[start : start + BATCH])
        for aid, ext in (
            await s.execute(
                select(PlatformIdentity.ambassador_id, PlatformIdentity.external_id).where(
                    PlatformIdentity.community_id == cid, PlatformIdentity.platform == "discord"
                )
            )
        ).all():
            discord[aid] = ext
    return discord


async def load_subcommittees(hub: Hub, cid: int, ids: list[int], rng: random.Random) -> dict[str, int]:
    """Subcommittees made by the service; their members written in bulk (the rows ``join`` writes)."""
    made: dict[str, int] = {}
    for name, share in SUBCOMMITTEES:
        new = await hub.subcommittees.check_new(cid, name, "bench", "")
        view = await hub.subcommittees.create(new, staff(cid))
        size = int(share) if share >= 1 else int(len(ids) * share)
        chosen = rng.sample(ids, min(size, len(ids)))
        async with hub.db.transaction() as s:
            for start in range(0, len(chosen), BATCH):
                await s.execute(
                    insert(SubcommitteeMember),
                    [{"subcommittee_id": view.id, "ambassador_id": a, "community_id": cid, "joined_at": NOW}
                     for a in chosen[start : start + BATCH]],
                )  # fmt: skip
        made[name] = view.id
    return made


def ballot_rows(vote_id: int, cid: int, choices: Sequence[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """The rows ``VoteService.cast`` writes for single-choice ballots: (ambassador, option, source)."""
    return [
        {"vote_id": vote_id, "ambassador_id": aid, "option": option, "community_id": cid, "source": source,
         "cast_at": NOW}
        for aid, option, source in choices
    ]  # fmt: skip


async def write_ballots(hub: Hub, rows: list[dict[str, Any]]) -> None:
    async with hub.db.transaction() as s:
        for start in range(0, len(rows), BATCH):
            await s.execute(insert(Ballot), rows[start : start + BATCH])


def random_choices(voters: Sequence[int], rng: random.Random) -> list[tuple[int, int, str]]:
    return [(aid, rng.choices(range(len(OPTIONS)), OPTION_ODDS)[0], rng.choice(SOURCES)) for aid in voters]


async def expected_tally(
    hub: Hub, vote_id: int, choices: Sequence[tuple[int, int, str]]
) -> list[tuple[int, int]]:
    """(count, weight in thousandths) per option: the ballots written, the weights frozen at opening."""
    async with hub.db.transaction() as s:
        weights = dict(
            (
                await s.execute(
                    select(VoteWeight.ambassador_id, VoteWeight.weight_milli).where(
                        VoteWeight.vote_id == vote_id
                    )
                )
            ).all()
        )
    out = [[0, 0] for _ in OPTIONS]
    for aid, option, _ in choices:
        out[option][0] += 1
        out[option][1] += weights[aid]
    return [(c, w) for c, w in out]


def tally_of(result: VoteResult | None) -> list[tuple[int, int]]:
    assert result is not None
    return [(o.count, o.weight_milli) for o in result.options]


RAW_TALLY = (
    "SELECT b.option, count(*), sum(w.weight_milli) FROM ballots b "
    "JOIN vote_weights w ON w.vote_id = b.vote_id AND w.ambassador_id = b.ambassador_id "
    "WHERE b.vote_id = :v GROUP BY b.option ORDER BY b.option"
)


async def raw_tally(hub: Hub, vote_id: int) -> list[tuple[int, int]]:
    async with hub.db.engine.connect() as conn:
        rows = (await conn.execute(text(RAW_TALLY), {"v": vote_id})).all()
    found = {int(o): (int(c), int(w)) for o, c, w in rows}
    return [found.get(i, (0, 0)) for i in range(len(OPTIONS))]


async def small_vote_check(
    hub: Hub, cid: int, sub_id: int, discord: dict[int, str], rng: random.Random
) -> str:
    """Every member of a 20-member subcommittee votes through the service: the rows it writes must be those
    ``ballot_rows`` writes, and the tally the expected one."""
    draft = VoteDraft(question="記録をどこに残す？", options="|".join(OPTIONS), closes="3日", weighted=True,
                      subcommittee_id=sub_id)  # fmt: skip
    vote = await hub.votes.open(cid, staff(cid), draft)
    async with hub.db.transaction() as s:
        members = list(
            (
                await s.scalars(
                    select(SubcommitteeMember.ambassador_id).where(
                        SubcommitteeMember.subcommittee_id == sub_id
                    )
                )
            ).all()
        )
    voters = [a for a in members if a in discord]
    choices = random_choices(voters, rng)
    for aid, option, source in choices:
        await hub.votes.cast(Identity(cid, "discord", discord[aid]), vote.id, option, source)
    columns = ("vote_id", "ambassador_id", "option", "community_id", "source", "cast_at")
    async with hub.db.transaction() as s:
        stored = [
            dict(zip(columns, r, strict=True))
            for r in (
                await s.execute(
                    select(*(getattr(Ballot, c) for c in columns)).where(Ballot.vote_id == vote.id)
                )
            ).all()
        ]
    key = lambda r: r["ambassador_id"]  # noqa: E731
    if sorted(stored, key=key) != sorted(ballot_rows(vote.id, cid, choices), key=key):
        raise SystemExit("the bulk ballot rows differ from those the service writes")
    expected = await expected_tally(hub, vote.id, choices)
    hub_tally = tally_of((await hub.votes.get(cid, vote.id)).result)
    if not hub_tally == expected == await raw_tally(hub, vote.id):
        raise SystemExit(
            f"small vote: hub {hub_tally}, raw {await raw_tally(hub, vote.id)}, expected {expected}"
        )
    await hub.votes.cancel(cid, vote.id, staff(cid))
    return f"small vote ({len(choices)} ballots through the service): rows and tally as written in bulk: ok"


def recipients_sql(filters: str) -> str:
    return (
        "SELECT a.id, d.external_id, l.external_id FROM ambassadors a "
        "LEFT JOIN platform_identities d ON d.community_id = a.community_id AND d.ambassador_id = a.id "
        "AND d.platform = 'discord' AND d.active = TRUE "
        "LEFT JOIN platform_identities l ON l.community_id = a.community_id AND l.ambassador_id = a.id "
        "AND l.platform = 'line' AND l.active = TRUE "
        f"WHERE a.community_id = :c AND a.status = 'active' {filters} ORDER BY a.member_number"
    )


def has_interest(dialect: str) -> str:
    if dialect == "postgresql":
        return "AND EXISTS (SELECT 1 FROM json_array_elements_text(a.interests) t WHERE t = :tag)"
    return "AND EXISTS (SELECT 1 FROM json_each(a.interests) t WHERE t.value = :tag)"


def active_sql() -> str:
    kinds = ", ".join(f"'{k}'" for k in MEMBER_KINDS)
    return (
        "SELECT count(*) FROM ambassadors a WHERE a.community_id = :c AND a.status <> 'left' AND ("
        "EXISTS (SELECT 1 FROM ledger_entries e WHERE e.community_id = :c AND e.ambassador_id = a.id "
        f"AND e.created_at >= :since AND e.kind IN ({kinds})) "
        "OR EXISTS (SELECT 1 FROM ledger_entries e WHERE e.community_id = :c "
        "AND e.giver_ambassador_id = a.id AND e.created_at >= :since) "
        "OR EXISTS (SELECT 1 FROM event_rsvps r WHERE r.community_id = :c AND r.ambassador_id = a.id "
        "AND r.answered_at >= :since) "
        "OR EXISTS (SELECT 1 FROM ballots b WHERE b.community_id = :c AND b.ambassador_id = a.id "
        "AND b.cast_at >= :since) "
        "OR EXISTS (SELECT 1 FROM event_checkins k WHERE k.community_id = :c AND k.ambassador_id = a.id "
        "AND k.checked_in_at >= :since))"
    )


Case = tuple[
    str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]], Callable[[], Awaitable[str]]
]


async def data_cases(hub: Hub, cid: int, ballots: int, rng: random.Random) -> tuple[list[Row], list[str]]:
    started = time.perf_counter()
    ids = await members_of(hub, cid)
    discord = await load_profiles(hub, cid, ids, rng)
    subs = await load_subcommittees(hub, cid, ids, rng)
    async with hub.db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    checks = [await small_vote_check(hub, cid, subs["島の記録"], discord, rng)]
    draft = VoteDraft(
        question="島の予算をどこに使う？", options="|".join(OPTIONS), closes="3日", weighted=True
    )
    opening = time.perf_counter()
    vote = await hub.votes.open(cid, staff(cid), draft)
    opened_s = time.perf_counter() - opening
    choices = random_choices(rng.sample(ids, min(ballots, len(ids))), rng)
    await write_ballots(hub, ballot_rows(vote.id, cid, choices))
    async with hub.db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    print(
        f"[{hub.db.engine.dialect.name}] profiles, {len(subs)} subcommittees, a vote with {vote.eligible:,} "
        f"weights (opened by the service in {opened_s:.1f} s) and {len(choices):,} ballots "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    expected = await expected_tally(hub, vote.id, choices)
    dialect = hub.db.engine.dialect.name
    since = NOW - timedelta(days=max(ACTIVE_DAYS))

    async def raw_rows(sql: str, **params: Any) -> list[Any]:
        stmt = text(sql)
        if "since" in params:
            stmt = stmt.bindparams(bindparam("since", type_=UtcDateTime()))
        async with hub.db.engine.connect() as conn:
            return list((await conn.execute(stmt, {"c": cid, **params})).all())

    async def hub_active() -> tuple[int, int]:
        async with hub.db.transaction() as s:
            return await StatsService._active(s, cid, NOW)

    def segment_case(label: str, segment: Segment, filters: str, **params: Any) -> Case:
        async def check() -> str:
            mine: list[Recipient] = await hub.segments.members(cid, segment)
            raw = await raw_rows(recipients_sql(filters), **params)
            same = [(r.ambassador_id, r.discord_id, r.line_id) for r in mine] == [tuple(r) for r in raw]
            if not same:
                raise SystemExit(f"{label}: hub {len(mine):,} recipients, raw SQL {len(raw):,}")
            on_line = sum(1 for r in mine if r.platform == "line")
            return f"{label}: {len(mine):,} recipients ({on_line:,} on LINE only) from both: same"

        return (
            label,
            lambda: hub.segments.members(cid, segment),
            lambda: raw_rows(recipients_sql(filters), **params),
            check,
        )

    async def tally_check() -> str:
        hub_tally = tally_of((await hub.votes.get(cid, vote.id)).result)
        raw = await raw_tally(hub, vote.id)
        if not hub_tally == raw == expected:
            raise SystemExit(f"weighted tally: hub {hub_tally}, raw {raw}, expected {expected}")
        shown = ", ".join(f"{c:,} / {w / 1000:,.3f}" for c, w in expected)
        return f"weighted tally (ballots / weight per option): {shown} from hub, raw SQL, as written: same"

    async def active_check() -> str:
        active = await hub_active()
        (raw,) = (await raw_rows(active_sql(), since=since))[0]
        if active[1] != raw:
            raise SystemExit(f"active in 90 days: hub {active[1]:,}, raw SQL {raw:,}")
        return f"active in the last 90 days: {raw:,} from both: same (30 days: {active[0]:,})"

    big = SUBCOMMITTEES[0][0]
    cases: list[Case] = [
        ("weighted tally (live result)", lambda: hub.votes.get(cid, vote.id), lambda: raw_tally(hub, vote.id),
         tally_check),
        segment_case("segment: everyone", Segment(), ""),
        segment_case("segment: stage>=3 in Japan", Segment(min_stage=3, residence="JP"),
                     "AND a.stage >= 3 AND a.residence_kind = 'prefecture'"),
        segment_case("segment: a subcommittee (10 %)", Segment(subcommittee_id=subs[big]),
                     "AND a.id IN (SELECT ambassador_id FROM subcommittee_members "
                     "WHERE subcommittee_id = :s)",
                     s=subs[big]),
        segment_case("segment: interest surf", Segment(interest="surf"), has_interest(dialect), tag="surf"),
        segment_case("segment: stage>=4, en, FR", Segment(min_stage=4, language="en", residence="FR"),
                     "AND a.stage >= 4 AND a.language = 'en' AND a.residence_code = 'FR'"),
        ("active members, 90 days", hub_active, lambda: raw_rows(active_sql(), since=since), active_check),
    ]  # fmt: skip
    results: list[Row] = []
    for name, hub_fn, base_fn, check in cases:
        checks.append(await check())
        hub_ms, base_ms = await median_ms(hub_fn), await median_ms(base_fn, repeat=3)
        slow = hub_ms > SLOW_RATIO * base_ms and hub_ms > SLOW_MS
        results.append((name, hub_ms, base_ms, "SLOW" if slow else "ok"))
    # Closing (once): the tally stored with the vote, against the raw GROUP BY.
    start = time.perf_counter()
    closed = await hub.votes.close(cid, vote.id, staff(cid))
    close_ms = (time.perf_counter() - start) * 1000
    if tally_of(closed.result) != expected:
        raise SystemExit(f"closed vote: {tally_of(closed.result)}, expected {expected}")
    checks.append("closed vote: stored tally as written: same")
    base_ms = await median_ms(lambda: raw_tally(hub, vote.id), repeat=3)
    slow = close_ms > SLOW_RATIO * base_ms and close_ms > SLOW_MS
    results.insert(1, ("close the vote (once)", close_ms, base_ms, "SLOW" if slow else "ok"))
    return results, checks


async def run(
    backend: str, ambassadors: int, entries: int, ballots: int
) -> tuple[list[Row], list[Row], list[str]]:
    async with loaded(backend, ambassadors, entries) as (hub, cid):
        ledger = await ledger_cases(hub, cid, entries)
        data, checks = await data_cases(hub, cid, ballots, random.Random(11))
        return ledger, data, checks


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--ambassadors", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--ballots", type=int, default=100_000, help="at most one per ambassador")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        ledger, data, checks = asyncio.run(run(backend, args.ambassadors, args.entries, args.ballots))
        print_ledger(backend, args.ambassadors, args.entries, ledger)
        print(
            f"\n{backend}: {min(args.ballots, args.ambassadors):,} ballots, segments of {args.ambassadors:,}"
        )
        print(f"{'operation':<30} {'hub':>12} {'raw SQL':>12} {'hub/raw':>8}")
        for name, hub_v, base_v, verdict in data:
            print(f"{name:<30} {hub_v:>9.2f} ms {base_v:>9.2f} ms {hub_v / base_v:>7.2f}x  {verdict}")
        for line in checks:
            print(f"  check: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
