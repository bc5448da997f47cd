"""Wakes the process when something stored in the database falls due (reminders, vote closings).

What is due lives in the rows; this only keeps time. At start the next due time is read from the rows (a
restart loses nothing); a newly armed item that is earlier moves the wake-up; a slow poll catches what
another process armed. The work itself claims each item in the database, so a spare run does no harm.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

from bot.community.due import DueSignal
from bot.schedule.scheduler import Scheduler

POLL_SECONDS = 60
T = TypeVar("T")


class DuePump(Generic[T]):
    def __init__(
        self,
        scheduler: Scheduler,
        name: str,
        signal: DueSignal,
        next_due: Callable[[], Awaitable[datetime | None]],
        work: Callable[[], Awaitable[T]],
    ) -> None:
        self.scheduler = scheduler
        self.poll_job = f"{name}-poll"
        self.wake_job = f"{name}-wake"
        self.signal = signal
        self.next_due = next_due
        self.work = work
        self._lock = asyncio.Lock()
        self.next_wake: datetime | None = None

    async def start(self) -> None:
        self.scheduler.every(self.poll_job, POLL_SECONDS, self.run)
        self.signal.subscribe(self.wake_at)
        self.wake_at(await self.next_due())

    def stop(self) -> None:
        self.signal.unsubscribe(self.wake_at)

    def wake_at(self, due: datetime | None) -> None:
        """Be woken at ``due``, unless an earlier wake-up is already set."""
        if due is None or (self.next_wake is not None and self.next_wake <= due):
            return
        self.next_wake = due
        self.scheduler.at(self.wake_job, due, self.run)

    async def run(self) -> T:
        async with self._lock:  # the poll and a wake-up may coincide
            self.next_wake = None
            result = await self.work()
            self.wake_at(await self.next_due())
            return result
