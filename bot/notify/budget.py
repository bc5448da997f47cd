"""The LINE push budget: each push is claimed in the database first, so two processes never overspend."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.clock import Clock
from bot.community.communities import CommunityDirectory
from bot.community.dates import local_today
from storage.database import Database
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
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        stmt = insert(PushUsage).values(community_id=community_id, month=month, used=count)
        upsert = stmt.on_conflict_do_update(
            index_elements=["community_id", "month"],
            set_={"used": PushUsage.used + count},
            where=None if cap is None else (PushUsage.used + count <= cap),
        ).returning(PushUsage.used)
        async with self.db.transaction() as s:
            return (await s.execute(upsert)).first() is not None

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
