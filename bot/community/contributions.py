"""Contributions: members log them, staff review them, peers thank, features add automatic entries.

Every change is a ledger entry (bot/community/ledger.py) written in the same transaction as its side
effects (the review queue, point totals, a promotion), so nothing is half-written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit, ledger
from bot.community.ambassadors import (
    AmbassadorView,
    active_by_number,
    active_for,
    ambassador_for,
    platforms_of,
    view_of,
)
from bot.community.communities import CommunityDirectory
from bot.community.dates import local_today, parse_past_date
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.stages import StageChange, StageService
from bot.community.text import clean_text
from bot.config import CategorySettings, ContributionSettings
from storage.database import Database
from storage.models import Ambassador, Community, LedgerEntry, PendingReview, PointTotal

DESCRIPTION_MAX = 500
REASON_MAX = 300
THANKS_REASON_MAX = 200
LINK_MAX = 300
THANKS = "thanks"
BALLOT = "ballot"
SYSTEM_CATEGORIES = (THANKS, BALLOT)
_LINK = re.compile(r"^https?://\S+$")


def actor_of(who: Identity) -> str:
    return f"{who.platform}:{who.external_id}"


@dataclass(frozen=True)
class LogResult:
    seq: int
    status: str  # "pending" | "approved"
    points: int
    category: str
    ambassador: AmbassadorView
    promotion: StageChange | None


@dataclass(frozen=True)
class PendingItem:
    seq: int
    member_number: int
    display_name: str | None
    category: str
    points: int
    description: str
    link: str | None
    occurred_on: str
    created_at: datetime


@dataclass(frozen=True)
class ReviewResult:
    claim_seq: int
    approved: bool
    points: int
    reason: str | None
    category: str
    description: str
    ambassador: AmbassadorView
    promotion: StageChange | None


@dataclass(frozen=True)
class ThanksResult:
    giver: AmbassadorView
    receiver: AmbassadorView
    points: int
    promotion: StageChange | None


@dataclass(frozen=True)
class HistoryItem:
    seq: int
    kind: str
    category: str
    points: int
    status: str  # approved | pending | rejected
    description: str
    occurred_on: str
    reason: str | None


@dataclass(frozen=True)
class BoardRow:
    rank: int
    member_number: int
    display_name: str | None
    points: int


def clean_description(raw: str) -> str:
    """What was done: 1 to 500 characters, no control characters."""
    return clean_text(
        raw,
        "contribution.error.description_empty",
        "contribution.error.description_too_long",
        DESCRIPTION_MAX,
    )


def clean_link(raw: str | None) -> str | None:
    """An optional http(s) link of at most 300 characters; empty means none."""
    if raw is None or not raw.strip():
        return None
    link = raw.strip()
    if len(link) > LINK_MAX or not _LINK.match(link):
        raise DomainError("contribution.error.link", max=LINK_MAX)
    return link


async def _lock_ledger(s: AsyncSession, community_id: int) -> None:
    """Take the community's ledger lock first, so checks and the append see one consistent state."""
    await s.execute(
        update(Community).where(Community.id == community_id).values(ledger_seq=Community.ledger_seq)
    )


class ContributionService:
    def __init__(
        self, db: Database, clock: Clock, directory: CommunityDirectory, stages: StageService
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.stages = stages

    # --- configuration ------------------------------------------------------------------------------
    def settings(self, community_id: int) -> ContributionSettings:
        return self.directory.by_id(community_id).settings.contributions

    def categories(self, community_id: int) -> list[CategorySettings]:
        return list(self.settings(community_id).categories)

    def category(self, community_id: int, key: str) -> CategorySettings:
        found = self.settings(community_id).category(key.strip().lower())
        if found is None:
            raise DomainError("contribution.error.unknown_category", category=key[:32])
        return found

    def today(self, community_id: int) -> str:
        tz = self.directory.by_id(community_id).settings.timezone
        return local_today(self.clock.now(), tz).isoformat()

    # --- members log ----------------------------------------------------------------------------------
    async def log(
        self, who: Identity, category: str, description: str, when: str = "", link: str | None = None
    ) -> LogResult:
        """Record a contribution: approved at once, or pending when its category needs review."""
        cat = self.category(who.community_id, category)
        text = clean_description(description)
        tz = self.directory.by_id(who.community_id).settings.timezone
        day = parse_past_date(when, local_today(self.clock.now(), tz)).isoformat()
        clean = clean_link(link)
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            pending = cat.needs_approval
            appended = await ledger.append(
                s, community_id=who.community_id, ambassador_id=a.id, kind="claim", category=cat.key,
                points=0 if pending else cat.points, claimed_points=cat.points, actor=actor_of(who),
                description=text, link=clean, occurred_on=day, created_at=now,
            )  # fmt: skip
            promotion = None
            if pending:
                s.add(
                    PendingReview(
                        community_id=who.community_id,
                        claim_seq=appended.seq,
                        ambassador_id=a.id,
                        created_at=now,
                    )
                )
            else:
                promotion = await self.stages.evaluate(s, a)
            return LogResult(
                seq=appended.seq,
                status="pending" if pending else "approved",
                points=cat.points,
                category=cat.key,
                ambassador=view_of(a, await platforms_of(s, a)),
                promotion=promotion,
            )

    # --- staff review ---------------------------------------------------------------------------------
    async def waiting(self, community_id: int) -> int:
        """How many claims wait for review (all of them: ``pending`` returns the first few)."""
        async with self.db.transaction() as s:
            count = await s.scalar(
                select(func.count())
                .select_from(PendingReview)
                .where(PendingReview.community_id == community_id)
            )
            return int(count or 0)

    async def pending(self, community_id: int, limit: int = 25) -> list[PendingItem]:
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(LedgerEntry, Ambassador.member_number, Ambassador.display_name)
                    .join(PendingReview, (PendingReview.community_id == LedgerEntry.community_id)
                          & (PendingReview.claim_seq == LedgerEntry.seq))
                    .join(Ambassador, Ambassador.id == LedgerEntry.ambassador_id)
                    .where(PendingReview.community_id == community_id)
                    .order_by(PendingReview.claim_seq)
                    .limit(limit)
                )
            ).all()  # fmt: skip
        return [
            PendingItem(
                e.seq,
                number,
                name,
                e.category,
                e.claimed_points,
                e.description,
                e.link,
                e.occurred_on,
                e.created_at,
            )
            for e, number, name in rows
        ]

    async def review(
        self, community_id: int, claim_seq: int, staff: Identity, approve: bool, reason: str | None = None
    ) -> ReviewResult:
        """Approve or reject a pending claim, once. Staff cannot decide on their own claims."""
        clean_reason = None
        if not approve:
            clean_reason = clean_text(
                reason or "", "review.error.reason_required", "review.error.reason_too_long", REASON_MAX
            )
        now = self.clock.now()
        async with self.db.transaction() as s:
            claim = await s.scalar(
                select(LedgerEntry).where(
                    LedgerEntry.community_id == community_id,
                    LedgerEntry.seq == claim_seq,
                    LedgerEntry.kind == "claim",
                )
            )
            if claim is None:
                raise DomainError("review.error.not_found", seq=claim_seq)
            reviewer = await ambassador_for(s, staff)
            if reviewer is not None and reviewer.id == claim.ambassador_id:
                raise DomainError("review.error.own")
            taken = await s.execute(
                delete(PendingReview).where(
                    PendingReview.community_id == community_id, PendingReview.claim_seq == claim_seq
                )
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise DomainError("review.error.already", seq=claim_seq)
            points = claim.claimed_points if approve else 0
            await ledger.append(
                s, community_id=community_id, ambassador_id=claim.ambassador_id,
                kind="approve" if approve else "reject", category=claim.category, points=points,
                claimed_points=claim.claimed_points, refers_to=claim.seq, actor=actor_of(staff),
                description=clean_reason or "", occurred_on=claim.occurred_on, created_at=now,
                counts_as_entry=approve,
            )  # fmt: skip
            audit.record(
                s, community_id=community_id, action=f"contribution.{'approved' if approve else 'rejected'}",
                at=now, ambassador_id=claim.ambassador_id, platform=staff.platform, detail=f"seq={claim.seq}",
                actor=actor_of(staff), reason=clean_reason,
            )  # fmt: skip
            member = await s.get(Ambassador, claim.ambassador_id)
            assert member is not None
            promotion = await self.stages.evaluate(s, member) if approve else None
            return ReviewResult(
                claim.seq,
                approve,
                points,
                clean_reason,
                claim.category,
                claim.description,
                view_of(member, await platforms_of(s, member)),
                promotion,
            )

    # --- peer recognition -----------------------------------------------------------------------------
    async def thank(
        self, giver: Identity, receiver: Identity | int, reason: str, source: str | None = None
    ) -> ThanksResult:
        """Small points from one member to another, within the daily limit and the per-pair cap.

        ``receiver`` is a platform account, or a member number (LINE has no mentions: 「ありがとう No.12」).

        ``source`` identifies what was thanked (e.g. a Discord message) so the same thanks counts once.
        """
        rules = self.settings(giver.community_id).thanks
        text = clean_text(
            reason, "thanks.error.reason_empty", "thanks.error.reason_too_long", THANKS_REASON_MAX
        )
        now = self.clock.now()
        tz = ZoneInfo(self.directory.by_id(giver.community_id).settings.timezone)
        day_start = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        async with self.db.transaction() as s:
            await _lock_ledger(s, giver.community_id)
            g = await ambassador_for(s, giver)
            if g is None:
                raise DomainError("thanks.error.giver_not_member")
            if isinstance(receiver, int):
                r = await active_by_number(s, giver.community_id, receiver)
            else:
                r = await active_for(s, receiver)
            if r is None:
                raise DomainError("thanks.error.not_member")
            if g.id == r.id:
                raise DomainError("thanks.error.self")
            given = LedgerEntry.giver_ambassador_id == g.id
            mine = (LedgerEntry.community_id == giver.community_id) & (LedgerEntry.kind == "thanks") & given
            if source and await s.scalar(select(LedgerEntry.id).where(mine, LedgerEntry.link == source)):
                raise DomainError("thanks.error.already")
            today_count = await s.scalar(
                select(func.count()).where(mine, LedgerEntry.created_at >= day_start)
            )
            if (today_count or 0) >= rules.daily_limit:
                raise DomainError("thanks.error.daily_limit", limit=rules.daily_limit)
            since = now - timedelta(days=rules.pair_period_days)
            pair = await s.scalar(
                select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                    mine, LedgerEntry.ambassador_id == r.id, LedgerEntry.created_at >= since)
            )  # fmt: skip
            if int(pair or 0) + rules.points > rules.pair_cap:
                raise DomainError("thanks.error.pair_cap", cap=rules.pair_cap, days=rules.pair_period_days)
            await ledger.append(
                s, community_id=giver.community_id, ambassador_id=r.id, kind="thanks", category=THANKS,
                points=rules.points, actor=actor_of(giver), giver_ambassador_id=g.id, description=text,
                link=source, occurred_on=now.astimezone(tz).date().isoformat(), created_at=now,
                counts_as_entry=False,
            )  # fmt: skip
            promotion = await self.stages.evaluate(s, r)
            return ThanksResult(
                view_of(g, await platforms_of(s, g)),
                view_of(r, await platforms_of(s, r)),
                rules.points,
                promotion,
            )

    # --- automatic entries (event check-in, ballots, projects) --------------------------------------
    async def record_automatic(
        self,
        community_id: int,
        ambassador_id: int,
        category: str,
        description: str,
        points: int | None = None,
        refers_to: int | None = None,
    ) -> LogResult:
        """An entry another feature earned for the member; points default to the category's."""
        async with self.db.transaction() as s:
            a = await s.scalar(
                select(Ambassador).where(
                    Ambassador.community_id == community_id,
                    Ambassador.id == ambassador_id,
                    Ambassador.status == "active",
                )
            )
            if a is None:
                raise DomainError("profile.error.not_registered")
            return await self.append_automatic(s, a, category, description, points, refers_to)

    async def append_automatic(
        self,
        s: AsyncSession,
        member: Ambassador,
        category: str,
        description: str,
        points: int | None = None,
        refers_to: int | None = None,
    ) -> LogResult:
        """``record_automatic`` inside the caller's transaction, so the entry and what earned it (an event
        check-in, say) are stored together or not at all."""
        community_id = member.community_id
        if category == BALLOT:
            amount = self.settings(community_id).ballot_points if points is None else points
        else:
            amount = self.category(community_id, category).points if points is None else points
        if not 0 <= amount <= 1000:
            raise DomainError("contribution.error.points_out_of_range")
        appended = await ledger.append(
            s, community_id=community_id, ambassador_id=member.id, kind="auto", category=category,
            points=amount, actor="system", description=description[:DESCRIPTION_MAX], refers_to=refers_to,
            occurred_on=self.today(community_id), created_at=self.clock.now(),
            counts_as_entry=category != BALLOT,
        )  # fmt: skip
        promotion = await self.stages.evaluate(s, member)
        return LogResult(
            seq=appended.seq,
            status="approved",
            points=amount,
            category=category,
            ambassador=view_of(member, await platforms_of(s, member)),
            promotion=promotion,
        )

    async def append_automatic_many(
        self, s: AsyncSession, members: Sequence[Ambassador], category: str, description: str
    ) -> list[StageChange]:
        """``append_automatic`` for many members at once (a vote's ballot points): one bulk append, one
        stage evaluation; returns the promotions."""
        if not members:
            return []
        community_id = members[0].community_id
        if category == BALLOT:
            amount = self.settings(community_id).ballot_points
        else:
            amount = self.category(community_id, category).points
        day, now = self.today(community_id), self.clock.now()
        entries = [
            {"ambassador_id": m.id, "kind": "auto", "category": category, "points": amount, "actor": "system",
             "description": description[:DESCRIPTION_MAX], "occurred_on": day, "created_at": now}
            for m in members
        ]  # fmt: skip
        await ledger.append_many(
            s, community_id=community_id, entries=entries, counts_as_entry=category != BALLOT
        )
        return await self.stages.evaluate_many(s, members)

    # --- seeing it ------------------------------------------------------------------------------------
    async def history(self, who: Identity, limit: int = 15) -> list[HistoryItem]:
        """The member's own entries, newest first, claims with their current status."""
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            entries = (
                await s.scalars(
                    select(LedgerEntry)
                    .where(LedgerEntry.community_id == who.community_id, LedgerEntry.ambassador_id == a.id)
                    .order_by(LedgerEntry.seq.desc())
                    .limit(limit * 3)
                )
            ).all()
            decisions = {e.refers_to: e for e in entries if e.kind in ("approve", "reject")}
            missing = [
                e.seq for e in entries if e.kind == "claim" and e.points == 0 and e.seq not in decisions
            ]
            if missing:
                for d in (
                    await s.scalars(
                        select(LedgerEntry).where(
                            LedgerEntry.community_id == who.community_id,
                            LedgerEntry.refers_to.in_(missing),
                            LedgerEntry.kind.in_(("approve", "reject")),
                        )
                    )
                ).all():
                    decisions[d.refers_to] = d
        items: list[HistoryItem] = []
        for e in entries:
            if e.kind in ("approve", "reject"):
                continue
            status, reason, points = "approved", None, e.points
            if e.kind == "claim" and e.points == 0 and e.claimed_points > 0:
                decision = decisions.get(e.seq)
                if decision is None:
                    status = "pending"
                elif decision.kind == "approve":
                    points = decision.points
                else:
                    status, reason = "rejected", decision.description
            items.append(
                HistoryItem(
                    e.seq,
                    e.kind,
                    e.category,
                    points if status == "approved" else e.claimed_points,
                    status,
                    e.description,
                    e.occurred_on,
                    reason,
                )
            )
            if len(items) == limit:
                break
        return items

    async def pending_count(self, who: Identity) -> int:
        """How many of the member's claims wait for review."""
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            count = await s.scalar(
                select(func.count()).where(
                    PendingReview.community_id == who.community_id, PendingReview.ambassador_id == a.id
                )
            )
            return int(count or 0)

    async def points(self, who: Identity) -> int:
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            return await self.points_of(s, who.community_id, a.id)

    @staticmethod
    async def points_of(s: AsyncSession, community_id: int, ambassador_id: int) -> int:
        value = await s.scalar(
            select(PointTotal.points).where(
                PointTotal.community_id == community_id, PointTotal.ambassador_id == ambassador_id,
                PointTotal.month == "*", PointTotal.category == "*",
            )
        )  # fmt: skip
        return int(value or 0)

    async def leaderboard(
        self, community_id: int, period: str = "all", category: str | None = None, limit: int = 10
    ) -> list[BoardRow]:
        if period not in ("all", "month"):
            raise DomainError("leaderboard.error.period")
        if category and category not in SYSTEM_CATEGORIES:
            category = self.category(community_id, category).key
        month = "*" if period == "all" else self.today(community_id)[:7]
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(PointTotal.points, Ambassador.member_number, Ambassador.display_name)
                    .join(Ambassador, Ambassador.id == PointTotal.ambassador_id)
                    .where(
                        PointTotal.community_id == community_id, PointTotal.month == month,
                        PointTotal.category == (category or "*"), PointTotal.points > 0,
                        Ambassador.status == "active",
                    )
                    .order_by(PointTotal.points.desc(), Ambassador.member_number)
                    .limit(limit)
                )
            ).all()  # fmt: skip
        board: list[BoardRow] = []
        for i, (pts, number, name) in enumerate(rows):
            rank = board[-1].rank if board and board[-1].points == pts else i + 1
            board.append(BoardRow(rank, number, name, pts))
        return board
