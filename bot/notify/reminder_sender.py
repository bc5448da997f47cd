"""Sending the reminders that are due: each claimed in the database, told to the member, then settled."""

from __future__ import annotations

from dataclasses import dataclass

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

    async def run_due(self) -> ReminderRun:
        """Send everything due now, batch after batch, until nothing is left to claim."""
        sent = failed = 0
        cache: dict[tuple[int, int], EventView | None] = {}
        while batch := await self.reminders.claim_due():
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
