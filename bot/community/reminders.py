"""Reminders: rows that say who is to be reminded of what, and when. The database is the source of truth.

A reminder is armed when a member says they will come, moved when the event moves, dropped when they
change their mind or the event is cancelled. ``claim_due`` hands each due reminder to exactly one caller,
even with several processes on one PostgreSQL database (one ``UPDATE … WHERE status = 'pending'`` per
row, the rows picked with ``FOR UPDATE SKIP LOCKED``); a reminder found too late is skipped and logged.
A claim is a lease: a reminder left ``sending`` by a process that died is claimed again once the jobs lease
has run out (the LINE push carries a retry key made from the reminder, so LINE drops a second copy).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community.communities import CommunityDirectory
from bot.community.due import DueSignal, Scope, scoped
from storage.database import Database, upsert_insert
from storage.models import Event, EventRsvp, Reminder

log = logging.getLogger(__name__)

CLAIM_BATCH = 200


@dataclass(frozen=True)
class DueReminder:
    id: int
    community_id: int
    event_id: int
    ambassador_id: int
    offset_minutes: int
    due_at: datetime
    # The platform the member answered on: the reminder goes there first.
    platform: str | None


async def arm(
    s: AsyncSession, event: Event, ambassador_ids: Sequence[int], offsets: Sequence[int], now: datetime
) -> datetime | None:
    """Create the reminders still ahead for these members (an existing one, even sent, is kept as is).

    Returns the earliest due time created, so the scheduler can be woken in time."""
    ahead = {m: event.starts_at - timedelta(minutes=m) for m in offsets}
    ahead = {m: due for m, due in ahead.items() if due > now}
    if not ahead or not ambassador_ids:
        return None
    rows: list[dict[str, Any]] = [
        {
            "community_id": event.community_id,
            "event_id": event.id,
            "ambassador_id": member,
            "offset_minutes": minutes,
            "due_at": due,
            "status": "pending",
        }
        for member in ambassador_ids
        for minutes, due in ahead.items()
    ]
    insert = upsert_insert(s.get_bind().dialect.name)
    await s.execute(
        insert(Reminder)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["event_id", "ambassador_id", "offset_minutes"])
    )
    return min(ahead.values())


async def disarm(s: AsyncSession, event_id: int, ambassador_id: int | None = None) -> None:
    """Drop the reminders not yet sent: one member's (they changed their mind) or the whole event's."""
    stmt = delete(Reminder).where(Reminder.event_id == event_id, Reminder.status == "pending")
    if ambassador_id is not None:
        stmt = stmt.where(Reminder.ambassador_id == ambassador_id)
    await s.execute(stmt)


async def rearm_event(
    s: AsyncSession, event: Event, offsets: Sequence[int], now: datetime
) -> datetime | None:
    """The event moved: every reminder of everyone coming is set for the new time (past ones dropped)."""
    await s.execute(delete(Reminder).where(Reminder.event_id == event.id, Reminder.status != "sending"))
    going = (
        await s.scalars(
            select(EventRsvp.ambassador_id).where(EventRsvp.event_id == event.id, EventRsvp.status == "going")
        )
    ).all()
    return await arm(s, event, going, offsets, now)


class ReminderService(DueSignal):
    """One per process, for every community: what is due is read across communities (each row carries
    its ``community_id``, and everything done with it stays in that community)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        directory: CommunityDirectory,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.lease = lease  # how long a claim holds before another process may take it over
        super().__init__()

    def offsets(self, community_id: int) -> list[int]:
        return list(self.directory.by_id(community_id).settings.events.reminder_offsets_minutes)

    def grace(self, community_id: int) -> timedelta:
        return timedelta(minutes=self.directory.by_id(community_id).settings.events.reminder_grace_minutes)

    async def next_due(self, scope: Scope = None) -> datetime | None:
        """The next reminder time, or when a claim held by a stopped process runs out."""
        async with self.db.transaction() as s:
            pending = await s.scalar(
                select(func.min(Reminder.due_at)).where(
                    Reminder.status == "pending", *scoped(Reminder.community_id, scope)
                )
            )
            held = await s.scalar(
                select(func.min(Reminder.settled_at)).where(
                    Reminder.status == "sending", *scoped(Reminder.community_id, scope)
                )
            )
        times = [t for t in (pending, held + self.lease if held is not None else None) if t is not None]
        return min(times, default=None)

    # --- sending --------------------------------------------------------------------------------------
    async def claim_due(self, limit: int = CLAIM_BATCH, scope: Scope = None) -> list[DueReminder]:
        """Claim the reminders that are due, each for this caller alone; those found too late are skipped.

        A reminder is too late when it is more than the community's grace window past its time, or the
        event has started. Claimed reminders must be settled with ``settle``; one still ``sending`` after
        the lease (its process died) is claimed again. ``scope``: only these communities."""
        now = self.clock.now()
        expired = now - self.lease
        claimable = or_(
            and_(Reminder.status == "pending", Reminder.due_at <= now),
            and_(Reminder.status == "sending", Reminder.settled_at <= expired),
        )
        async with self.db.transaction() as s:
            due = (
                select(Reminder.id)
                .where(claimable, *scoped(Reminder.community_id, scope))
                .order_by(Reminder.due_at, Reminder.id)
                .limit(limit)
            )
            if s.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            claimed = (
                (
                    await s.execute(
                        update(Reminder)
                        .where(Reminder.id.in_(due.scalar_subquery()), claimable)
                        .values(status="sending", settled_at=now)
                        .returning(Reminder.id)
                    )
                )
                .scalars()
                .all()
            )
            if not claimed:
                return []
            rows = (
                await s.execute(
                    select(Reminder, Event.status, Event.starts_at, EventRsvp.platform)
                    .join(Event, Event.id == Reminder.event_id)
                    .outerjoin(
                        EventRsvp,
                        (EventRsvp.event_id == Reminder.event_id)
                        & (EventRsvp.ambassador_id == Reminder.ambassador_id),
                    )
                    .where(Reminder.id.in_(claimed))
                    .order_by(Reminder.due_at, Reminder.id)
                )
            ).all()
            ready: list[DueReminder] = []
            late: list[int] = []
            for r, event_status, starts_at, platform in rows:
                if (
                    event_status != "scheduled"
                    or now >= starts_at
                    or now - r.due_at > self.grace(r.community_id)
                ):
                    late.append(r.id)
                    log.warning(
                        "reminder skipped: too late to be useful",
                        extra={
                            "community_id": r.community_id,
                            "event_id": r.event_id,
                            "reminder_id": r.id,
                            "late_seconds": int((now - r.due_at).total_seconds()),
                        },
                    )
                    continue
                ready.append(DueReminder(r.id, r.community_id, r.event_id, r.ambassador_id,
                                         r.offset_minutes, r.due_at, platform))  # fmt: skip
            if late:
                await s.execute(update(Reminder).where(Reminder.id.in_(late)).values(status="skipped"))
            return ready

    async def settle(self, reminder_id: int, delivered: bool) -> None:
        async with self.db.transaction() as s:
            await s.execute(
                update(Reminder)
                .where(Reminder.id == reminder_id, Reminder.status == "sending")
                .values(status="sent" if delivered else "failed", settled_at=self.clock.now())
            )

    async def counts(self, community_id: int, event_id: int) -> dict[str, int]:
        """Reminders of one event by status (for staff, tests and the demo)."""
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(Reminder.status, func.count())
                    .where(Reminder.community_id == community_id, Reminder.event_id == event_id)
                    .group_by(Reminder.status)
                )
            ).all()
        return {status: int(n) for status, n in rows}
