"""The programme's numbers for staff (/stats): members against the goal, the stages, contributions, turnout.

Everything is read in one transaction from the tables the other services keep; nothing is stored. Months are
the community's own (Asia/Tokyo for Ama-cho), so a member who joined at 01:00 on 1 December in Japan counts
for December.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community.communities import CommunityDirectory
from bot.community.stages import TOP_STAGE
from bot.community.votes import VoteResult
from storage.database import Database
from storage.models import Ambassador, Ballot, Event, EventCheckin, EventRsvp, LedgerEntry, Vote

CHART_MONTHS = 12  # months shown in the series
RECENT = 5  # events and votes shown one by one
ACTIVE_DAYS = (30, 90)
# The member did something: logged, was credited automatically, thanked or was thanked (not staff decisions).
MEMBER_KINDS = ("claim", "auto", "thanks")


@dataclass(frozen=True)
class MonthFigure:
    month: str  # YYYY-MM in the community's time zone
    value: int


@dataclass(frozen=True)
class CategoryFigure:
    category: str
    entries: int  # approved entries
    points: int


@dataclass(frozen=True)
class EventTurnout:
    event_id: int
    title: str
    starts_at: datetime
    going: int
    checked_in: int


@dataclass(frozen=True)
class VoteTurnout:
    vote_id: int
    question: str
    closed_at: datetime | None
    voters: int
    eligible: int

    @property
    def percent(self) -> float:
        return 100.0 * self.voters / self.eligible if self.eligible else 0.0


@dataclass(frozen=True)
class CommunityStats:
    community_id: int
    as_of: datetime
    members: int  # registered and not left (suspended members still count)
    goal: int | None
    members_by_month: tuple[MonthFigure, ...]  # members at the end of each month, oldest first
    joined_by_month: tuple[MonthFigure, ...]  # new registrations in each month
    stages: tuple[int, ...]  # members at stage 1, 2, 3, 4
    categories: tuple[CategoryFigure, ...]  # most entries first
    events: tuple[EventTurnout, ...]  # the latest events that have started, newest first
    events_going: int  # over every event that has started and was not cancelled
    events_checked_in: int
    votes: tuple[VoteTurnout, ...]  # the latest closed votes, newest first
    active_30: int
    active_90: int

    @property
    def goal_percent(self) -> float | None:
        return 100.0 * self.members / self.goal if self.goal else None

    @property
    def event_percent(self) -> float:
        return 100.0 * self.events_checked_in / self.events_going if self.events_going else 0.0


def months_back(now_local: datetime, count: int) -> list[str]:
    """The last ``count`` months up to and including the current one, oldest first."""
    year, month = now_local.year, now_local.month
    out: list[str] = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def approved_entry(community_id: int) -> ColumnElement[bool]:
    """Ledger entries that are approved contributions still standing: a claim that needed no review, a staff
    approval (it carries the claim's category and points), an automatic entry, a thanks; none that staff took
    back later (a ``correct`` entry refers to the claim or entry). Pending claims (0 points while they wait)
    and rejections are left out."""

    def referred(*kinds: str) -> Select[int | None]:
        return select(LedgerEntry.refers_to).where(
            LedgerEntry.community_id == community_id,
            LedgerEntry.kind.in_(kinds),
            LedgerEntry.refers_to.is_not(None),
        )

    # A claim of a category worth 0 points has 0 points whether it waited or not: its decision tells.
    at_once = and_(
        LedgerEntry.kind == "claim",
        or_(
            LedgerEntry.points > 0,
            and_(LedgerEntry.claimed_points == 0, LedgerEntry.seq.not_in(referred("approve", "reject"))),
        ),
    )
    target = case((LedgerEntry.kind == "approve", LedgerEntry.refers_to), else_=LedgerEntry.seq)
    return and_(
        LedgerEntry.community_id == community_id,
        or_(LedgerEntry.kind.in_(("approve", "auto", "thanks")), at_once),
        target.not_in(referred("correct")),
    )


class StatsService:
    def __init__(self, db: Database, clock: Clock, directory: CommunityDirectory) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory

    async def overview(self, community_id: int) -> CommunityStats:
        ref = self.directory.by_id(community_id)
        tz = ZoneInfo(ref.settings.timezone)
        now = self.clock.now()
        async with self.db.transaction() as s:
            by_month, joined = await self._members(s, community_id, tz, now)
            stages = await self._stages(s, community_id)
            categories = await self._categories(s, community_id)
            events, going, came = await self._events(s, community_id, now)
            votes = await self._votes(s, community_id)
            active = await self._active(s, community_id, now)
        return CommunityStats(
            community_id=community_id,
            as_of=now,
            members=sum(stages),
            goal=ref.settings.goal_members,
            members_by_month=by_month,
            joined_by_month=joined,
            stages=stages,
            categories=categories,
            events=events,
            events_going=going,
            events_checked_in=came,
            votes=votes,
            active_30=active[0],
            active_90=active[1],
        )

    @staticmethod
    async def _members(
        s: AsyncSession, community_id: int, tz: ZoneInfo, now: datetime
    ) -> tuple[tuple[MonthFigure, ...], tuple[MonthFigure, ...]]:
        rows = (
            await s.execute(
                select(Ambassador.registered_at, Ambassador.left_at).where(
                    Ambassador.community_id == community_id
                )
            )
        ).all()
        months = months_back(now.astimezone(tz), CHART_MONTHS)
        joined = Counter(r.registered_at.astimezone(tz).strftime("%Y-%m") for r in rows)
        left = Counter(r.left_at.astimezone(tz).strftime("%Y-%m") for r in rows if r.left_at is not None)
        running = sum(n for m, n in joined.items() if m < months[0]) - sum(
            n for m, n in left.items() if m < months[0]
        )
        by_month: list[MonthFigure] = []
        for month in months:
            running += joined[month] - left[month]
            by_month.append(MonthFigure(month, running))
        return tuple(by_month), tuple(MonthFigure(m, joined[m]) for m in months)

    @staticmethod
    async def _stages(s: AsyncSession, community_id: int) -> tuple[int, ...]:
        rows = (
            await s.execute(
                select(Ambassador.stage, func.count())
                .where(Ambassador.community_id == community_id, Ambassador.status != "left")
                .group_by(Ambassador.stage)
            )
        ).all()
        counts = {int(stage): int(n) for stage, n in rows}
        return tuple(counts.get(stage, 0) for stage in range(1, TOP_STAGE + 1))

    @staticmethod
    async def _categories(s: AsyncSession, community_id: int) -> tuple[CategoryFigure, ...]:
        rows = (
            await s.execute(
                select(LedgerEntry.category, func.count(), func.coalesce(func.sum(LedgerEntry.points), 0))
                .where(approved_entry(community_id))
                .group_by(LedgerEntry.category)
            )
        ).all()
        figures = [CategoryFigure(str(c), int(n), int(p)) for c, n, p in rows]
        return tuple(sorted(figures, key=lambda f: (-f.entries, -f.points, f.category)))

    @staticmethod
    async def _events(
        s: AsyncSession, community_id: int, now: datetime
    ) -> tuple[tuple[EventTurnout, ...], int, int]:
        held = (Event.community_id == community_id) & (Event.status == "scheduled") & (Event.starts_at <= now)
        recent = (
            await s.execute(
                select(Event.id, Event.title, Event.starts_at)
                .where(held)
                .order_by(Event.starts_at.desc(), Event.id.desc())
                .limit(RECENT)
            )
        ).all()
        going_q = (
            select(EventRsvp.event_id, func.count())
            .join(Event, Event.id == EventRsvp.event_id)
            .where(held, EventRsvp.status == "going")
            .group_by(EventRsvp.event_id)
        )
        came_q = (
            select(EventCheckin.event_id, func.count())
            .join(Event, Event.id == EventCheckin.event_id)
            .where(held)
            .group_by(EventCheckin.event_id)
        )
        going = {int(e): int(n) for e, n in (await s.execute(going_q)).all()}
        came = {int(e): int(n) for e, n in (await s.execute(came_q)).all()}
        events = tuple(
            EventTurnout(r.id, r.title, r.starts_at, going.get(r.id, 0), came.get(r.id, 0)) for r in recent
        )
        return events, sum(going.values()), sum(came.values())

    @staticmethod
    async def _votes(s: AsyncSession, community_id: int) -> tuple[VoteTurnout, ...]:
        votes = (
            await s.scalars(
                select(Vote)
                .where(Vote.community_id == community_id, Vote.status == "closed")
                .order_by(Vote.closed_at.desc(), Vote.id.desc())
                .limit(RECENT)
            )
        ).all()
        out: list[VoteTurnout] = []
        for v in votes:
            if v.result is not None:  # written in the same transaction as the close
                result = VoteResult.from_json(v.result)
                out.append(VoteTurnout(v.id, v.question, v.closed_at, result.voters, result.eligible))
        return tuple(out)

    @staticmethod
    async def _active(s: AsyncSession, community_id: int, now: datetime) -> tuple[int, int]:
        """Members (not left) with a ledger entry, an RSVP, a ballot or a check-in in the last 30 and 90
        days; one query returning each such member's latest moment."""
        since = now - timedelta(days=max(ACTIVE_DAYS))
        mine = (LedgerEntry.community_id == community_id) & (LedgerEntry.created_at >= since)
        moments = union_all(
            select(LedgerEntry.ambassador_id.label("aid"), LedgerEntry.created_at.label("at")).where(
                mine, LedgerEntry.kind.in_(MEMBER_KINDS)
            ),
            select(LedgerEntry.giver_ambassador_id, LedgerEntry.created_at).where(
                mine, LedgerEntry.giver_ambassador_id.is_not(None)
            ),
            select(EventRsvp.ambassador_id, EventRsvp.answered_at).where(
                EventRsvp.community_id == community_id, EventRsvp.answered_at >= since
            ),
            select(Ballot.ambassador_id, Ballot.cast_at).where(
                Ballot.community_id == community_id, Ballot.cast_at >= since
            ),
            select(EventCheckin.ambassador_id, EventCheckin.checked_in_at).where(
                EventCheckin.community_id == community_id, EventCheckin.checked_in_at >= since
            ),
        ).subquery()
        latest = (
            await s.execute(
                select(moments.c.aid, func.max(moments.c.at))
                .join(Ambassador, Ambassador.id == moments.c.aid)
                .where(Ambassador.community_id == community_id, Ambassador.status != "left")
                .group_by(moments.c.aid)
            )
        ).all()
        figures = []
        for days in ACTIVE_DAYS:
            cutoff = now - timedelta(days=days)
            figures.append(sum(1 for _, at in latest if at >= cutoff))
        return figures[0], figures[1]
