"""The LINE push budget: each push is claimed in the database first, so two processes never overspend."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.clock import Clock
from bot.community.communities import CommunityDirectory
from bot.community.dates import local_today
from storage.database import Database, upsert_insert
from storage.models import PushUsage


class PushBudget:
    def __init__(self, db: Database, clock: Clock, directory: CommunityDirectory) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory

    def _month(self, community_id: int) -> str:
        tz = self.directory.by_id(community_id).settings.timezone
        return local_today(self.clock.now(), tz).isoformat()[:7]

    def limit(self, community_id: int) -> int | None:
        line = self.directory.by_id(community_id).settings.line
        return line.monthly_push_budget if line else 0

    async def claim(self, community_id: int, count: int = 1) -> bool:
        """Reserve ``count`` pushes this month; False (nothing reserved) if that would pass the budget."""
        cap = self.limit(community_id)
        if cap is not None and count > cap:
            return False
        month = self._month(community_id)
        insert = upsert_insert(self.db.dialect)
        stmt = insert(PushUsage).values(community_id=community_id, month=month, used=count)
        upsert = stmt.on_conflict_do_update(
            index_elements=["community_id", "month"],
            set_={"used": PushUsage.used + count},
            where=None if cap is None else (PushUsage.used + count <= cap),
        ).returning(PushUsage.used)
        async with self.db.transaction() as s:
            return (await s.execute(upsert)).first() is not None

    async def claim_up_to(self, community_id: int, count: int) -> int:
        """Reserve as many of ``count`` pushes as this month's budget still allows; returns how many."""
        if count <= 0:
            return 0
        cap = self.limit(community_id)
        month = self._month(community_id)
        insert = upsert_insert(self.db.dialect)
        async with self.db.transaction() as s:
            await s.execute(
                insert(PushUsage)
                .values(community_id=community_id, month=month, used=0)
                .on_conflict_do_nothing(index_elements=["community_id", "month"])
            )
            used = await s.scalar(  # the row lock (PostgreSQL) or write lock (SQLite) for what follows
                update(PushUsage)
                .where(PushUsage.community_id == community_id, PushUsage.month == month)
                .values(used=PushUsage.used)
                .returning(PushUsage.used)
            )
            granted = count if cap is None else max(0, min(count, cap - int(used or 0)))
            if granted:
                await s.execute(
                    update(PushUsage)
                    .where(PushUsage.community_id == community_id, PushUsage.month == month)
                    .values(used=PushUsage.used + granted)
                )
            return granted

    async def release(self, community_id: int, count: int = 1) -> None:
        """Give back pushes that were claimed but not sent (LINE refused them)."""
        async with self.db.transaction() as s:
            await s.execute(
                update(PushUsage)
                .where(PushUsage.community_id == community_id, PushUsage.month == self._month(community_id))
                .values(used=PushUsage.used - count)
            )

    async def used(self, community_id: int) -> int:
        async with self.db.transaction() as s:
            value = await s.scalar(
                select(PushUsage.used).where(
                    PushUsage.community_id == community_id, PushUsage.month == self._month(community_id)
                )
            )
            return int(value or 0)
