"""Stages of involvement (関わりの段階): 1 関心を持つ → 2 関わる → 3 力を貸す → 4 意思決定に参加する.

Promotion follows the ledger automatically; staff may set a stage by hand (with a reason, audited), which
holds until they hand it back to the rules. ``require`` is the one gate other features call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit
from bot.community.ambassadors import AmbassadorView, active_by_number, ambassador_for, platforms_of, view_of
from bot.community.communities import CommunityDirectory
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.config import StageRule
from storage.database import Database
from storage.models import Ambassador, PointTotal

TOP_STAGE = 4
REASON_MAX = 300


@dataclass(frozen=True)
class StageChange:
    ambassador_id: int
    old: int
    new: int
    role_ids_to_add: tuple[int, ...]
    role_ids_to_remove: tuple[int, ...]


@dataclass(frozen=True)
class StageProgress:
    stage: int
    manual: bool
    points: int
    next_stage: int | None
    points_needed: int
    counts_needed: dict[str, int]
    perks: tuple[str, ...]


async def totals_of(s: AsyncSession, community_id: int, ambassador_id: int) -> tuple[int, dict[str, int]]:
    """All-time points and approved entries per category, from the kept totals."""
    rows = (
        await s.execute(
            select(PointTotal.category, PointTotal.points, PointTotal.entries).where(
                PointTotal.community_id == community_id,
                PointTotal.ambassador_id == ambassador_id,
                PointTotal.month == "*",
            )
        )
    ).all()
    points = next((r.points for r in rows if r.category == "*"), 0)
    return points, {r.category: r.entries for r in rows if r.category != "*"}


def _meets(rule: StageRule, points: int, counts: dict[str, int]) -> bool:
    return points >= rule.min_points and all(counts.get(k, 0) >= n for k, n in rule.min_counts.items())


class StageService:
    def __init__(self, db: Database, clock: Clock, directory: CommunityDirectory) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory

    def rules(self, community_id: int) -> list[StageRule]:
        return sorted(self.directory.by_id(community_id).settings.contributions.stages, key=lambda r: r.stage)

    def _roles(self, community_id: int, old: int, new: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        by_stage = {r.stage: r.role_id for r in self.rules(community_id) if r.role_id}
        add = tuple(rid for st, rid in by_stage.items() if st <= new and st > old)
        remove = tuple(rid for st, rid in by_stage.items() if st > new and st <= old)
        return add, remove

    async def evaluate(self, s: AsyncSession, ambassador: Ambassador) -> StageChange | None:
        """Promote (never demote) to the highest stage whose rules are met, in the caller's transaction."""
        if ambassador.stage_manual or ambassador.status != "active":
            return None
        earned, points = await self._earned(s, ambassador)
        if earned <= ambassador.stage:
            return None
        old, ambassador.stage = ambassador.stage, earned
        audit.record(
            s,
            community_id=ambassador.community_id,
            action="stage.promoted",
            at=self.clock.now(),
            ambassador_id=ambassador.id,
            detail=f"{old}->{earned} points={points}",
            actor=audit.SYSTEM,
        )
        add, remove = self._roles(ambassador.community_id, old, earned)
        return StageChange(ambassador.id, old, earned, add, remove)

    async def evaluate_many(self, s: AsyncSession, members: Sequence[Ambassador]) -> list[StageChange]:
        """``evaluate`` for many members of one community with one read of their totals."""
        candidates = [a for a in members if not a.stage_manual and a.status == "active"]
        if not candidates:
            return []
        community_id = candidates[0].community_id
        points: dict[int, int] = {}
        counts: dict[int, dict[str, int]] = {}
        ids = [a.id for a in candidates]
        for start in range(0, len(ids), 5000):
            for aid, category, pts, entries in (
                await s.execute(
                    select(
                        PointTotal.ambassador_id, PointTotal.category, PointTotal.points, PointTotal.entries
                    ).where(
                        PointTotal.community_id == community_id,
                        PointTotal.ambassador_id.in_(ids[start : start + 5000]),
                        PointTotal.month == "*",
                    )
                )
            ).all():
                if category == "*":
                    points[aid] = pts
                else:
                    counts.setdefault(aid, {})[category] = entries
        rules = self.rules(community_id)
        changes: list[StageChange] = []
        for a in candidates:
            earned = max(
                [1] + [r.stage for r in rules if _meets(r, points.get(a.id, 0), counts.get(a.id, {}))]
            )
            if earned <= a.stage:
                continue
            old, a.stage = a.stage, earned
            audit.record(
                s, community_id=community_id, action="stage.promoted", at=self.clock.now(),
                ambassador_id=a.id, detail=f"{old}->{earned} points={points.get(a.id, 0)}",
                actor=audit.SYSTEM,
            )  # fmt: skip
            add, remove = self._roles(community_id, old, earned)
            changes.append(StageChange(a.id, old, earned, add, remove))
        return changes

    async def _earned(self, s: AsyncSession, ambassador: Ambassador) -> tuple[int, int]:
        points, counts = await totals_of(s, ambassador.community_id, ambassador.id)
        rules = self.rules(ambassador.community_id)
        return max([1] + [r.stage for r in rules if _meets(r, points, counts)]), points

    async def set_stage(
        self, community_id: int, member_number: int, stage: int | None, reason: str, actor: str
    ) -> tuple[AmbassadorView, StageChange]:
        """Staff set a stage by hand (``stage=None`` hands it back to the rules). The reason is audited."""
        reason = reason.strip()
        if not reason:
            raise DomainError("stage.error.reason_required")
        if len(reason) > REASON_MAX:
            raise DomainError("stage.error.reason_too_long", max=REASON_MAX)
        if stage is not None and not 1 <= stage <= TOP_STAGE:
            raise DomainError("stage.error.unknown_stage")
        async with self.db.transaction() as s:
            a = await active_by_number(s, community_id, member_number)
            if a is None:
                raise DomainError("contribution.error.unknown_member", number=member_number)
            old = a.stage
            if stage is None:  # back to the rules, which decide (up or down)
                new, _ = await self._earned(s, a)
                a.stage, a.stage_manual = new, False
            else:
                a.stage, a.stage_manual, new = stage, True, stage
            audit.record(
                s,
                community_id=community_id,
                action="stage.set_by_staff",
                at=self.clock.now(),
                ambassador_id=a.id,
                detail=f"{old}->{new}" + ("" if stage is not None else " auto"),
                actor=actor,
                reason=reason,
            )
            add, remove = self._roles(community_id, old, new)
            change = StageChange(a.id, old, new, add, remove)
            return view_of(a, await platforms_of(s, a)), change

    async def progress(self, who: Identity) -> StageProgress:
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            points, counts = await totals_of(s, who.community_id, a.id)
        rules = self.rules(who.community_id)
        following = next((r for r in rules if r.stage > a.stage), None)
        perks = tuple(p for r in rules if r.stage <= a.stage for p in r.perks)
        if following is None:
            return StageProgress(a.stage, a.stage_manual, points, None, 0, {}, perks)
        counts_needed = {
            k: n - counts.get(k, 0) for k, n in following.min_counts.items() if counts.get(k, 0) < n
        }
        return StageProgress(
            a.stage,
            a.stage_manual,
            points,
            following.stage,
            max(0, following.min_points - points),
            counts_needed,
            perks,
        )

    async def require(self, who: Identity, minimum: int) -> AmbassadorView:
        """The gate: the member's view if their stage is at least ``minimum``, else a clear refusal."""
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            if a.stage < minimum:
                raise DomainError("stage.error.too_low", needed=minimum, current=a.stage)
            return view_of(a, await platforms_of(s, a))
