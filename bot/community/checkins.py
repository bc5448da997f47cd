"""Attendance: staff check members in, or members send the code shown at the venue.

Each check-in is stored once per member and event, together with the ``local_activity`` (the community's
``events.checkin_category``) ledger entry it earns, in one transaction: both or neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit
from bot.community.ambassadors import (
    AmbassadorView,
    active_by_number,
    active_for,
    ambassador_for,
    platforms_of,
    view_of,
)
from bot.community.communities import CommunityDirectory
from bot.community.contributions import ContributionService
from bot.community.errors import DomainError
from bot.community.events import EventView, lock_event, normalise_code, view_of_event
from bot.community.identity import Identity
from bot.community.stages import StageChange
from storage.database import Database
from storage.models import Ambassador, Event, EventCheckin

# Staff may still check someone in this long after the end (paper lists typed in later).
STAFF_LATE_LIMIT = timedelta(days=7)


@dataclass(frozen=True)
class CheckinResult:
    event: EventView
    ambassador: AmbassadorView
    seq: int | None  # the ledger entry (None: the community records attendance only)
    points: int
    category: str | None
    promotion: StageChange | None


class CheckinService:
    def __init__(
        self, db: Database, clock: Clock, directory: CommunityDirectory, contributions: ContributionService
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.contributions = contributions

    async def with_code(self, who: Identity, raw_code: str) -> CheckinResult:
        """A member sends the code shown at the venue, while check-in is open."""
        code = normalise_code(raw_code)
        if code is None:
            raise DomainError("checkin.error.bad_code")
        async with self.db.transaction() as s:
            event_id = await s.scalar(
                select(Event.id).where(Event.community_id == who.community_id, Event.checkin_code == code)
            )
            if event_id is None:
                raise DomainError("checkin.error.bad_code")
            event = await lock_event(s, who.community_id, event_id)
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("event.error.not_member")
            rules = self.directory.by_id(who.community_id).settings.events
            now = self.clock.now()
            if event.status == "cancelled":
                raise DomainError("event.error.cancelled")
            if now < event.starts_at - timedelta(minutes=rules.checkin_opens_minutes_before):
                raise DomainError("checkin.error.not_open")
            if now > event.ends_at + timedelta(minutes=rules.checkin_closes_minutes_after):
                raise DomainError("checkin.error.closed")
            return await self._record(s, event, member, "code", f"{who.platform}:{who.external_id}", now)

    async def by_staff(
        self, community_id: int, event_id: int, member: Identity | int, staff: Identity
    ) -> CheckinResult:
        """Staff check a member in (a platform account, or a member number) from check-in opening until
        a week after the end."""
        async with self.db.transaction() as s:
            event = await lock_event(s, community_id, event_id)
            if isinstance(member, int):
                found = await active_by_number(s, community_id, member)
            else:
                found = await active_for(s, member)
            if found is None:
                raise DomainError("checkin.error.not_member")
            rules = self.directory.by_id(community_id).settings.events
            now = self.clock.now()
            if event.status == "cancelled":
                raise DomainError("event.error.cancelled")
            if now < event.starts_at - timedelta(minutes=rules.checkin_opens_minutes_before):
                raise DomainError("checkin.error.not_open")
            if now > event.ends_at + STAFF_LATE_LIMIT:
                raise DomainError("checkin.error.closed")
            return await self._record(s, event, found, "staff", f"{staff.platform}:{staff.external_id}", now)

    async def _record(
        self, s: AsyncSession, event: Event, member: Ambassador, method: str, actor: str, now: datetime
    ) -> CheckinResult:
        already = await s.scalar(
            select(EventCheckin.id).where(
                EventCheckin.event_id == event.id, EventCheckin.ambassador_id == member.id
            )
        )
        if already is not None:
            raise DomainError("checkin.error.already", title=event.title)
        category = self.directory.by_id(event.community_id).settings.checkin_category
        logged = None
        if category is not None:
            logged = await self.contributions.append_automatic(
                s, member, category, f"{event.title} (event #{event.id})"
            )
        s.add(
            EventCheckin(
                community_id=event.community_id, event_id=event.id, ambassador_id=member.id,
                method=method, actor=actor, ledger_seq=logged.seq if logged else None, checked_in_at=now,
            )
        )  # fmt: skip
        audit.record(
            s, community_id=event.community_id, action="event.checked_in", at=now, ambassador_id=member.id,
            detail=f"event={event.id} method={method}", actor=actor,
        )  # fmt: skip
        await s.flush()
        view = await view_of_event(s, event)
        if logged is None:
            return CheckinResult(view, view_of(member, await platforms_of(s, member)), None, 0, None, None)
        return CheckinResult(view, logged.ambassador, logged.seq, logged.points, category, logged.promotion)
