"""RSVPs (参加表明): one answer per ambassador per event, whichever platform it came from; the latest wins.

Past the capacity, "going" puts a member on the waiting list; when someone who was going changes their
mind, the first on the list moves up (and the face tells them). The whole answer is taken under the event's
row lock, so a double click or the same member on Discord and LINE at once is one answer, never two.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bot.clock import Clock
from bot.community import reminders
from bot.community.ambassadors import AmbassadorView, ambassador_for, platforms_of, view_of
from bot.community.errors import DomainError
from bot.community.events import RSVP_CHOICES, EventView, fill_seats, lock_event, view_of_event
from bot.community.identity import Identity
from bot.community.reminders import ReminderService
from bot.community.subcommittees import member_of
from storage.database import Database
from storage.models import EventRsvp


@dataclass(frozen=True)
class RsvpResult:
    event: EventView
    ambassador: AmbassadorView
    status: str  # going | maybe | declined | waitlist
    previous: str | None
    changed: bool  # False: the same answer again (a double click), nothing stored
    position: int | None  # place on the waiting list
    promoted: tuple[int, ...]  # ambassador ids moved up from the waiting list by this answer


class RsvpService:
    def __init__(self, db: Database, clock: Clock, reminders: ReminderService) -> None:
        self.db = db
        self.clock = clock
        self.reminders = reminders

    async def answer(self, who: Identity, event_id: int, choice: str) -> RsvpResult:
        if choice not in RSVP_CHOICES:
            raise DomainError("event.error.bad_choice")
        now = self.clock.now()
        earliest = None
        async with self.db.transaction() as s:
            event = await lock_event(s, who.community_id, event_id)
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("event.error.not_member")
            if event.subcommittee_id is not None and not await member_of(s, event.subcommittee_id, a.id):
                raise DomainError("event.error.members_only")
            if event.status == "cancelled":
                raise DomainError("event.error.cancelled")
            if now >= event.ends_at:
                raise DomainError("event.error.finished")
            if now >= event.starts_at:
                raise DomainError("event.error.started")
            row = await s.scalar(
                select(EventRsvp).where(EventRsvp.event_id == event.id, EventRsvp.ambassador_id == a.id)
            )
            previous = row.status if row else None
            unchanged = previous == choice or (choice == "going" and previous == "waitlist")
            promoted: tuple[int, ...] = ()
            target = previous if unchanged and previous else choice
            if not unchanged:
                if choice == "going" and event.capacity is not None:
                    going = await s.scalar(
                        select(func.count()).where(
                            EventRsvp.event_id == event.id, EventRsvp.status == "going"
                        )
                    )
                    if int(going or 0) >= event.capacity:
                        target = "waitlist"
                if row is None:
                    row = EventRsvp(
                        community_id=who.community_id, event_id=event.id, ambassador_id=a.id,
                        status=target, platform=who.platform, answered_at=now,
                    )  # fmt: skip
                    s.add(row)
                row.status = target
                row.platform = who.platform
                row.answered_at = now
                row.waitlisted_at = now if target == "waitlist" else None
                await s.flush()
                offsets = self.reminders.offsets(who.community_id)
                if previous == "going":
                    await reminders.disarm(s, event.id, a.id)
                    promoted, earliest = await fill_seats(s, event, now, offsets)
                if target == "going":
                    mine = await reminders.arm(s, event, [a.id], offsets, now)
                    earliest = min(d for d in (earliest, mine) if d) if (earliest or mine) else None
            position = None
            if target == "waitlist" and row is not None:
                ahead = await s.scalar(
                    select(func.count()).where(
                        EventRsvp.event_id == event.id,
                        EventRsvp.status == "waitlist",
                        (EventRsvp.waitlisted_at < row.waitlisted_at)
                        | ((EventRsvp.waitlisted_at == row.waitlisted_at) & (EventRsvp.id < row.id)),
                    )
                )
                position = int(ahead or 0) + 1
            view = await view_of_event(s, event)
            member = view_of(a, await platforms_of(s, a))
        self.reminders.armed(earliest)
        return RsvpResult(view, member, target or choice, previous, not unchanged, position, promoted)
