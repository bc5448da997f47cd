"""Sending the reminders that are due: each claimed in the database, told to the member, then settled."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bot.community.due import Scope
from bot.community.errors import DomainError
from bot.community.events import EventService, EventView
from bot.community.reminders import ReminderService
from bot.i18n import When
from bot.notify.notifier import Notifier


@dataclass(frozen=True)
class ReminderRun:
    sent: int
    failed: int  # the member could not be reached (DMs closed, LINE refused, budget spent): logged


class ReminderSender:
    def __init__(self, reminders: ReminderService, events: EventService, notifier: Notifier) -> None:
        self.reminders = reminders
        self.events = events
        self.notifier = notifier

    async def run_due(self, scope: Scope = None) -> ReminderRun:
        """Send everything due now (in ``scope``; None: every community), batch after batch, until nothing
        is left to claim."""
        sent = failed = 0
        cache: dict[tuple[int, int], EventView | None] = {}
        while batch := await self.reminders.claim_due(scope=scope):
            for due in batch:
                key = (due.community_id, due.event_id)
                if key not in cache:
                    try:
                        cache[key] = await self.events.get(*key)
                    except DomainError:
                        cache[key] = None
                event = cache[key]
                delivered = None
                if event is not None:
                    delivered = await self.notifier.tell(
                        due.community_id,
                        due.ambassador_id,
                        "event.reminder",
                        prefer=due.platform,
                        retry_key=retry_key(due.id),
                        title=event.title,
                        when=When(event.starts_at, event.ends_at),
                        where=event.place or event.online_url or "—",
                    )
                await self.reminders.settle(due.id, delivered is not None)
                if delivered is None:
                    failed += 1
                else:
                    sent += 1
        return ReminderRun(sent, failed)


REMINDER_KEYS = uuid.UUID("6f1c2a52-4d0e-4f7e-9a56-1f0c6b1d2e3a")


def retry_key(reminder_id: int) -> str:
    """The same LINE retry key every time this reminder is sent: if a process died after LINE took the push
    and another sends it again when the claim runs out, LINE answers 409 and the member gets one copy."""
    return str(uuid.uuid5(REMINDER_KEYS, f"reminder:{reminder_id}"))
