"""Claiming "this member gets this item" in ``deliveries`` before sending it, so it is sent at most once.

A claim is an insert that does nothing on conflict and returns who it inserted: two processes (or a
retry, or a double click) racing for the same members each get a disjoint share. A send that failed is
unclaimed, so a later run may try again.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, delete, select

from bot.clock import Clock
from storage.database import Database, upsert_insert
from storage.models import Delivery


class DeliveryClaims:
    def __init__(self, db: Database, clock: Clock, kind: str) -> None:
        self.db = db
        self.clock = clock
        self.kind = kind

    async def claim(self, community_id: int, item_id: int, ambassador_ids: Collection[int]) -> set[int]:
        """Claim these members for the item; returns the ones this caller got (not already claimed)."""
        if not ambassador_ids:
            return set()
        insert = upsert_insert(self.db.dialect)
        now = self.clock.now()
        rows = [
            {"kind": self.kind, "item_id": item_id, "ambassador_id": a, "community_id": community_id,
             "sent_at": now}
            for a in ambassador_ids
        ]  # fmt: skip
        async with self.db.transaction() as s:
            claimed = await s.scalars(
                insert(Delivery)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["kind", "item_id", "ambassador_id"])
                .returning(Delivery.ambassador_id)
            )
            return set(claimed.all())

    async def unclaim(self, community_id: int, item_id: int, ambassador_ids: Collection[int]) -> None:
        if not ambassador_ids:
            return
        async with self.db.transaction() as s:
            await s.execute(
                delete(Delivery).where(
                    Delivery.community_id == community_id,
                    Delivery.kind == self.kind,
                    Delivery.item_id == item_id,
                    Delivery.ambassador_id.in_(list(ambassador_ids)),
                )
            )

    def claimed_query(self, community_id: int, item_id: int) -> Select[int]:
        """The members already claimed for the item, as a subquery for ``not_in``."""
        return select(Delivery.ambassador_id).where(
            Delivery.community_id == community_id, Delivery.kind == self.kind, Delivery.item_id == item_id
        )

    async def claimed(self, community_id: int, item_id: int) -> set[int]:
        async with self.db.transaction() as s:
            return set((await s.scalars(self.claimed_query(community_id, item_id))).all())
