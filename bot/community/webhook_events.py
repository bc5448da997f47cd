"""LINE may deliver one webhook event more than once: the first claim of its id wins."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from storage.database import Database, upsert_insert
from storage.models import ProcessedWebhookEvent


class WebhookEventLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def claim(self, community_id: int, event_id: str) -> bool:
        """True the first time an event id is seen in this community, False on every repeat."""
        try:
            async with self.db.transaction() as s:
                s.add(
                    ProcessedWebhookEvent(
                        community_id=community_id, event_id=event_id, received_at=self.clock.now()
                    )
                )
        except IntegrityError:
            return False
        return True

    async def claim_many(self, community_id: int, event_ids: Sequence[str]) -> set[str]:
        """``claim`` for a batch: the ids seen here for the first time (one statement)."""
        if not event_ids:
            return set()
        now = self.clock.now()
        async with self.db.transaction() as s:
            insert = upsert_insert(s.get_bind().dialect.name)
            values = [{"community_id": community_id, "event_id": e, "received_at": now} for e in event_ids]
            rows = await s.execute(
                insert(ProcessedWebhookEvent)
                .values(values)
                .on_conflict_do_nothing(index_elements=["community_id", "event_id"])
                .returning(ProcessedWebhookEvent.event_id)
            )
            return set(rows.scalars().all())
