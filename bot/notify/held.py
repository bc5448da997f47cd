"""Messages held back because the month's LINE push budget was spent, and telling staff it ran out.

The notifier hands a message here instead of dropping it (``Notifier.fallback``): it is kept, already in
the member's language, and goes out bundled in their next weekly digest (one push, or a free Discord DM).
The first time in a month that the budget stops a message, staff are told once in their channel (the
Discord face's ``StaffBoard``); without a channel it is logged as a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import func, select, update

from bot.clock import Clock
from bot.community import audit
from bot.community.communities import CommunityDirectory
from bot.community.dates import local_today
from bot.i18n import Translator, When
from bot.notify.budget import PushBudget
from bot.notify.digest_week import next_digest_at
from storage.database import Database, upsert_insert
from storage.models import AuditEntry, HeldMessage, PushUsage

log = logging.getLogger(__name__)

SPENT_ACTION = "push_budget.spent"  # one audit entry per community and month: staff were told


@runtime_checkable
class StaffBoard(Protocol):
    """A face that can tell the programme's staff something (the Discord staff channel)."""

    async def post_staff_notice(self, community_id: int, text: str) -> bool:
        """Post ``text`` where staff read it; False if there is no such place or it failed."""
        ...


@dataclass(frozen=True)
class Held:
    id: int
    text: str
    created_at: datetime


class HeldMessages:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        directory: CommunityDirectory,
        budget: PushBudget,
        tr: Translator,
        boards: Callable[[], list[object]],
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.budget = budget
        self.tr = tr
        self.boards = boards
        self._told: set[tuple[int, str]] = set()  # (community, month) known told: no need to look again

    def month(self, community_id: int) -> str:
        """This month in the community's zone (「2026-11」), as the push budget counts it."""
        return local_today(
            self.clock.now(), self.directory.by_id(community_id).settings.timezone
        ).isoformat()[:7]

    async def budget_spent(self, community_id: int, ambassador_id: int, text: str) -> None:
        """The notifier could not push ``text`` (the month's budget is spent): keep it for the digest."""
        await self.hold(community_id, ambassador_id, text)
        if await self._first_this_month(community_id):
            await self.tell_staff(community_id)

    async def hold(self, community_id: int, ambassador_id: int, text: str) -> None:
        async with self.db.transaction() as s:
            s.add(
                HeldMessage(
                    community_id=community_id,
                    ambassador_id=ambassador_id,
                    text=text,
                    created_at=self.clock.now(),
                )
            )

    async def _first_this_month(self, community_id: int) -> bool:
        """True once per community and month, across processes: the month's usage row is locked (row lock
        on PostgreSQL, the write lock on SQLite) while the audit entry is looked for and written."""
        month = self.month(community_id)
        if (community_id, month) in self._told:
            return False
        self._told.add((community_id, month))
        now = self.clock.now()
        insert = upsert_insert(self.db.dialect)
        async with self.db.transaction() as s:
            await s.execute(
                insert(PushUsage)
                .values(community_id=community_id, month=month, used=0)
                .on_conflict_do_nothing(index_elements=["community_id", "month"])
            )
            await s.execute(
                update(PushUsage)
                .where(PushUsage.community_id == community_id, PushUsage.month == month)
                .values(used=PushUsage.used)
            )
            told = await s.scalar(
                select(AuditEntry.id).where(
                    AuditEntry.community_id == community_id,
                    AuditEntry.action == SPENT_ACTION,
                    AuditEntry.detail == month,
                )
            )
            if told is not None:
                return False
            audit.record(
                s, community_id=community_id, action=SPENT_ACTION, at=now, detail=month, actor="system"
            )  # the hub itself
            return True

    async def tell_staff(self, community_id: int) -> bool:
        """Post the 'budget spent' notice in the staff channel, in the community's language."""
        ref = self.directory.by_id(community_id)
        lang = ref.default_language
        nxt = next_digest_at(ref.settings, self.clock.now())
        text = self.tr.t(
            lang,
            "broadcast.budget.spent_notice",
            tz=ref.settings.timezone,
            community=ref.name,
            month=self.month(community_id),
            used=await self.budget.used(community_id),
            limit=self.budget.limit(community_id) or 0,
            next=When(nxt) if nxt else self.tr.t(lang, "broadcast.budget.digest_off"),
        )
        for board in self.boards():
            if isinstance(board, StaffBoard) and await board.post_staff_notice(community_id, text):
                return True
        log.warning(
            "LINE push budget spent: messages are held for the weekly digest (no staff channel to tell)",
            extra={"community_id": community_id},
        )
        return False

    # --- reading and releasing ------------------------------------------------------------------------
    async def waiting(self, community_id: int) -> int:
        async with self.db.transaction() as s:
            count = await s.scalar(
                select(func.count())
                .select_from(HeldMessage)
                .where(HeldMessage.community_id == community_id, HeldMessage.released_at.is_(None))
            )
            return int(count or 0)

    async def pending(self, community_id: int) -> dict[int, list[Held]]:
        """Every member's waiting messages, oldest first (for the digest)."""
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(
                        HeldMessage.ambassador_id, HeldMessage.id, HeldMessage.text, HeldMessage.created_at
                    )
                    .where(HeldMessage.community_id == community_id, HeldMessage.released_at.is_(None))
                    .order_by(HeldMessage.created_at, HeldMessage.id)
                )
            ).all()
        found: dict[int, list[Held]] = {}
        for aid, mid, text, at in rows:
            found.setdefault(aid, []).append(Held(mid, text, at))
        return found

    async def release(self, community_id: int, ids: Sequence[int]) -> None:
        """Delivered in a digest: no longer waiting."""
        if not ids:
            return
        async with self.db.transaction() as s:
            await s.execute(
                update(HeldMessage)
                .where(
                    HeldMessage.community_id == community_id,
                    HeldMessage.id.in_(list(ids)),
                    HeldMessage.released_at.is_(None),
                )
                .values(released_at=self.clock.now())
            )
