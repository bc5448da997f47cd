"""LINE may deliver one webhook event more than once: the first claim of its id wins."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from storage.database import Database
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
