"""Wakes the process when a reminder is due. What is due lives in the database; this only keeps time.

At start the next due time is read from the rows (so a restart loses nothing); every newly armed reminder
that is earlier moves the wake-up; a slow poll catches reminders armed by another process.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.community.reminders import ReminderService
from bot.notify.reminder_sender import ReminderRun, ReminderSender
from bot.schedule.scheduler import Scheduler

POLL_SECONDS = 60
POLL_JOB = "reminders-poll"
WAKE_JOB = "reminders-wake"


class ReminderPump:
    def __init__(self, scheduler: Scheduler, reminders: ReminderService, sender: ReminderSender) -> None:
        self.scheduler = scheduler
        self.reminders = reminders
        self.sender = sender
        self._lock = asyncio.Lock()
        self.next_wake: datetime | None = None

    async def start(self) -> None:
        self.scheduler.every(POLL_JOB, POLL_SECONDS, self.run)
        self.reminders.subscribe(self.wake_at)
        self.wake_at(await self.reminders.next_due())

    def stop(self) -> None:
        self.reminders.unsubscribe(self.wake_at)

    def wake_at(self, due: datetime | None) -> None:
        """Be woken at ``due``, unless an earlier wake-up is already set."""
        if due is None or (self.next_wake is not None and self.next_wake <= due):
            return
        self.next_wake = due
        self.scheduler.at(WAKE_JOB, due, self.run)

    async def run(self) -> ReminderRun:
        async with self._lock:  # the poll and a wake-up may coincide
            self.next_wake = None
            result = await self.sender.run_due()
            self.wake_at(await self.reminders.next_due())
            return result
