"""Forgetting what is no longer needed: expired link codes, stale dialogues, old webhook ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete

from bot.clock import Clock
from storage.database import Database
from storage.models import Conversation, LinkCode, ProcessedWebhookEvent

# LINE redelivers for up to a few days at most; a week of ids is ample to catch every repeat.
WEBHOOK_ID_RETENTION = timedelta(days=7)
CONVERSATION_IDLE_LIMIT = timedelta(days=7)
LINK_CODE_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    link_codes: int
    conversations: int
    webhook_ids: int


class Housekeeping:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def purge(self) -> PurgeReport:
        now = self.clock.now()
        async with self.db.transaction() as s:
            codes = await s.execute(delete(LinkCode).where(LinkCode.expires_at < now - LINK_CODE_RETENTION))
            convs = await s.execute(
                delete(Conversation).where(Conversation.updated_at < now - CONVERSATION_IDLE_LIMIT)
            )
            ids = await s.execute(
                delete(ProcessedWebhookEvent).where(
                    ProcessedWebhookEvent.received_at < now - WEBHOOK_ID_RETENTION
                )
            )
        return PurgeReport(
            link_codes=codes.rowcount,  # type: ignore[attr-defined]
            conversations=convs.rowcount,  # type: ignore[attr-defined]
            webhook_ids=ids.rowcount,  # type: ignore[attr-defined]
        )
