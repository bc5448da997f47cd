"""Events: staff post, edit and cancel them; members see what is coming and their own answers.

RSVPs are in ``rsvps.py``, check-ins in ``checkins.py``, reminders in ``reminders.py``. Every change to an
event is made under the event's row lock (``lock_event``), so RSVPs, edits and cancellations never
interleave half-way.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from bot.clock import Clock
from bot.community import audit, reminders
from bot.community.ambassadors import ambassador_for
from bot.community.communities import CommunityDirectory
from bot.community.errors import DomainError
from bot.community.event_times import check_span, parse_end_time, parse_event_time
from bot.community.identity import Identity
from bot.community.profile_rules import clean_timezone
from bot.community.reminders import ReminderService
from bot.community.subcommittees import check_lead
from bot.community.text import clean_text, query_text, typed_number
from bot.config import EventSettings
from storage.database import Database
from storage.models import Ambassador, Event, EventCheckin, EventRsvp, SubcommitteeMember

TITLE_MAX = 100
DESCRIPTION_MAX = 1000
PLACE_MAX = 200
URL_MAX = 300
REASON_MAX = 300
CAPACITY_MAX = 100_000
RSVP_CHOICES = ("going", "maybe", "declined")
# Those who answered and have not said no: told when the event changes or is cancelled.
INTERESTED = ("going", "maybe", "waitlist")
# Check-in codes: three letters and three digits, read aloud easily at a venue (no I, O, 0, 1).
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_DIGITS = "23456789"
CODE_PATTERN = re.compile(r"^[A-Z]{3}-?[0-9]{3}$")
_URL = re.compile(r"^https?://\S+$")
_CLEAR = {"-", "ー", "なし", "none", "clear"}


@dataclass(frozen=True)
class EventView:
    """One event with its answer counts, safe to hand to a face."""

    id: int
    community_id: int
    title: str
    description: str
    place: str | None
    online_url: str | None
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int | None
    status: str
    checkin_code: str
    revision: int
    going: int
    maybe: int
    declined: int
    waitlist: int
    checked_in: int
    cancel_reason: str | None
    discord_channel_id: int | None
    discord_message_id: int | None
    discord_scheduled_event_id: int | None
    subcommittee_id: int | None = None

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.going)

    def open_for_answers(self, now: datetime) -> bool:
        return not self.cancelled and now < self.starts_at

    def finished(self, now: datetime) -> bool:
        return now >= self.ends_at


@dataclass(frozen=True)
class EventDraft:
    """What staff typed. On create, ``title`` and ``start`` are required; on edit, ``None`` keeps a field.

    For ``place``, ``online_url`` and ``description`` on edit, 「-」「なし」 or "none" clears the field;
    ``remove_capacity`` makes the event open to any number."""

    title: str | None = None
    start: str | None = None
    end: str | None = None
    place: str | None = None
    online_url: str | None = None
    capacity: int | None = None
    remove_capacity: bool = False
    description: str | None = None
    timezone: str | None = None
    subcommittee_id: int | None = None  # on create only: for that subcommittee's members


@dataclass(frozen=True)
class CreatedEvent:
    event: EventView
    year_assumed: bool  # the start had no year: the reply says which one was taken
    end_assumed: bool  # no end was given: the default duration was used


@dataclass(frozen=True)
class EventChange:
    """An edit or a cancellation: what changed, and whom to tell."""

    event: EventView
    changed: tuple[str, ...]
    notify: tuple[int, ...]  # ambassador ids of those who answered going, maybe or waiting
    promoted: tuple[int, ...]  # moved up from the waiting list (more seats)


@dataclass(frozen=True)
class MyEvent:
    event: EventView
    status: str | None  # the member's answer, if any
    checked_in: bool


@dataclass(frozen=True)
class AttendanceRow:
    member_number: int
    display_name: str | None
    status: str
    checked_in: bool


def clean_title(raw: str) -> str:
    return clean_text(raw, "event.error.title_empty", "event.error.title_too_long", TITLE_MAX)


def cancel_reason(raw: str) -> str:
    """Why an event is cancelled, as everyone who answered will read it."""
    return clean_text(raw, "event.error.reason_required", "event.error.reason_too_long", REASON_MAX)


def _optional(raw: str | None, limit: int, long_key: str, *, clearing: bool) -> str | None:
    """Free text that may be absent; on edit, 「-」 or 「なし」 clears it."""
    if raw is None:
        return None
    stripped = raw.strip()
    if not stripped or (clearing and stripped.casefold() in _CLEAR):
        return ""
    return clean_text(stripped, long_key, long_key, limit)


def _clean_url(raw: str | None, *, clearing: bool) -> str | None:
    if raw is None:
        return None
    url = raw.strip()
    if not url or (clearing and url.casefold() in _CLEAR):
        return ""
    if len(url) > URL_MAX or not _URL.match(url):
        raise DomainError("event.error.url", max=URL_MAX)
    return url


def _clean_capacity(value: int | None) -> int | None:
    if value is None:
        return None
    if value < 1:
        raise DomainError("event.error.capacity_too_small")
    if value > CAPACITY_MAX:
        raise DomainError("event.error.capacity_too_large", max=CAPACITY_MAX)
    return value


def normalise_code(raw: str) -> str | None:
    """「abc-234」「ＡＢＣ２３４」 → "ABC234"; None if it cannot be a check-in code."""
    text = unicodedata.normalize("NFKC", raw).strip().upper().replace(" ", "")
    return text.replace("-", "") if CODE_PATTERN.match(text) else None


def new_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(3)) + "".join(
        secrets.choice(CODE_DIGITS) for _ in range(3)
    )


async def lock_event(s: AsyncSession, community_id: int, event_id: int) -> Event:
    """The event, locked for this transaction (PostgreSQL: its row; SQLite: the write lock).

    An id from another community is "not found": clicks and postbacks are checked against the community
    they came from."""
    locked = await s.execute(
        update(Event)
        .where(Event.id == event_id, Event.community_id == community_id)
        .values(revision=Event.revision)
    )
    if locked.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError("event.error.not_found", id=event_id)
    event = await s.get(Event, event_id, populate_existing=True)
    assert event is not None
    return event


async def view_of_event(s: AsyncSession, e: Event) -> EventView:
    counts = dict(
        (
            await s.execute(
                select(EventRsvp.status, func.count())
                .where(EventRsvp.community_id == e.community_id, EventRsvp.event_id == e.id)
                .group_by(EventRsvp.status)
            )
        ).all()
    )
    checked_in = await s.scalar(
        select(func.count()).where(EventCheckin.community_id == e.community_id, EventCheckin.event_id == e.id)
    )
    return EventView(
        id=e.id, community_id=e.community_id, title=e.title, description=e.description, place=e.place,
        online_url=e.online_url, starts_at=e.starts_at, ends_at=e.ends_at, timezone=e.timezone,
        capacity=e.capacity, status=e.status, checkin_code=e.checkin_code, revision=e.revision,
        going=int(counts.get("going", 0)), maybe=int(counts.get("maybe", 0)),
        declined=int(counts.get("declined", 0)), waitlist=int(counts.get("waitlist", 0)),
        checked_in=int(checked_in or 0), cancel_reason=e.cancel_reason,
        discord_channel_id=e.discord_channel_id, discord_message_id=e.discord_message_id,
        discord_scheduled_event_id=e.discord_scheduled_event_id, subcommittee_id=e.subcommittee_id,
    )  # fmt: skip


async def fill_seats(
    s: AsyncSession, event: Event, now: datetime, offsets: list[int]
) -> tuple[tuple[int, ...], datetime | None]:
    """Move people up from the waiting list, oldest first, while there are seats; arm their reminders.

    Returns who moved up and the earliest reminder armed for them."""
    if event.capacity is None:
        waiting = None
    else:
        going = await s.scalar(
            select(func.count()).where(EventRsvp.event_id == event.id, EventRsvp.status == "going")
        )
        waiting = max(0, event.capacity - int(going or 0))
        if waiting == 0:
            return (), None
    query = (
        select(EventRsvp)
        .where(EventRsvp.event_id == event.id, EventRsvp.status == "waitlist")
        .order_by(EventRsvp.waitlisted_at, EventRsvp.id)
    )
    if waiting is not None:
        query = query.limit(waiting)
    moved = (await s.scalars(query)).all()
    for row in moved:
        row.status = "going"
        row.waitlisted_at = None
    ids = tuple(r.ambassador_id for r in moved)
    return ids, (await reminders.arm(s, event, ids, offsets, now) if ids else None)


class EventService:
    def __init__(
        self, db: Database, clock: Clock, directory: CommunityDirectory, reminders: ReminderService
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.reminders = reminders

    def settings(self, community_id: int) -> EventSettings:
        return self.directory.by_id(community_id).settings.events

    def timezone(self, community_id: int) -> str:
        return self.directory.by_id(community_id).settings.timezone

    # --- staff --------------------------------------------------------------------------------------
    async def create(
        self, community_id: int, staff: Identity, draft: EventDraft, *, is_staff: bool = True
    ) -> CreatedEvent:
        """Validate everything first, then store the event with a fresh check-in code.

        Staff may post any event; a subcommittee's lead (``is_staff=False``) only one for their own."""
        now = self.clock.now()
        tz = clean_timezone(draft.timezone) if draft.timezone else self.timezone(community_id)
        title = clean_title(draft.title or "")
        if not draft.start or not draft.start.strip():
            raise DomainError("event.error.start_missing")
        parsed = parse_event_time(draft.start, now, tz)
        if draft.end and draft.end.strip():
            end = parse_end_time(draft.end, parsed.at, now, tz)
        else:
            end = parsed.at + timedelta(minutes=self.settings(community_id).default_duration_minutes)
        check_span(parsed.at, end, now)
        place = _optional(draft.place, PLACE_MAX, "event.error.place_too_long", clearing=False) or None
        url = _clean_url(draft.online_url, clearing=False) or None
        description = _optional(
            draft.description, DESCRIPTION_MAX, "event.error.description_too_long", clearing=False
        )
        capacity = _clean_capacity(draft.capacity)
        async with self.db.transaction() as s:
            await check_lead(s, staff, draft.subcommittee_id, is_staff)
            code = await self._unused_code(s, community_id)
            event = Event(
                community_id=community_id, title=title, description=description or "", place=place,
                online_url=url, starts_at=parsed.at, ends_at=end, timezone=tz, capacity=capacity,
                status="scheduled", checkin_code=code, revision=1, created_by=_actor(staff),
                created_at=now, updated_at=now, subcommittee_id=draft.subcommittee_id,
            )  # fmt: skip
            s.add(event)
            await s.flush()
            audit.record(
                s, community_id=community_id, action="event.created", at=now, platform=staff.platform,
                detail=f"event={event.id}", actor=audit.actor_of(staff),
            )  # fmt: skip
            view = await view_of_event(s, event)
        return CreatedEvent(view, parsed.year_assumed, not (draft.end and draft.end.strip()))

    async def _changeable(
        self,
        s: AsyncSession,
        community_id: int,
        event_id: int,
        staff: Identity,
        is_staff: bool,
        now: datetime,
    ) -> Event:
        """The event, locked, if ``staff`` may change it (staff, or its subcommittee's lead) and it is
        neither cancelled nor over."""
        event = await lock_event(s, community_id, event_id)
        await check_lead(s, staff, event.subcommittee_id, is_staff, must_be_open=False)
        if event.status == "cancelled":
            raise DomainError("event.error.cancelled")
        if now >= event.ends_at:
            raise DomainError("event.error.finished")
        return event

    async def _unused_code(self, s: AsyncSession, community_id: int) -> str:
        for _ in range(20):
            code = new_code()
            taken = await s.scalar(
                select(Event.id).where(Event.community_id == community_id, Event.checkin_code == code)
            )
            if taken is None:
                return code
        raise RuntimeError("no unused check-in code after 20 tries")

    async def edit(
        self, community_id: int, event_id: int, staff: Identity, draft: EventDraft, *, is_staff: bool = True
    ) -> EventChange:
        """Change the given fields. A new start moves every reminder; more seats move people up."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            event = await self._changeable(s, community_id, event_id, staff, is_staff, now)
            tz = clean_timezone(draft.timezone) if draft.timezone else event.timezone
            changed: list[str] = []
            start, end = event.starts_at, event.ends_at
            if draft.start and draft.start.strip():
                start = parse_event_time(draft.start, now, tz).at
                if not (draft.end and draft.end.strip()):
                    end = start + (event.ends_at - event.starts_at)  # keep the duration
            if draft.end and draft.end.strip():
                end = parse_end_time(draft.end, start, now, tz)
            if (start, end) != (event.starts_at, event.ends_at):
                if start != event.starts_at:
                    check_span(start, end, now)
                elif end <= start:
                    raise DomainError("event.error.end_before_start")
                pairs = (("start", event.starts_at, start), ("end", event.ends_at, end))
                changed += [name for name, old, new in pairs if old != new]
            updates: dict[str, object] = {}
            if draft.title is not None:
                updates["title"] = clean_title(draft.title)
            place = _optional(draft.place, PLACE_MAX, "event.error.place_too_long", clearing=True)
            if place is not None:
                updates["place"] = place or None
            url = _clean_url(draft.online_url, clearing=True)
            if url is not None:
                updates["online_url"] = url or None
            description = _optional(
                draft.description, DESCRIPTION_MAX, "event.error.description_too_long", clearing=True
            )
            if description is not None:
                updates["description"] = description
            if draft.remove_capacity:
                updates["capacity"] = None
            elif draft.capacity is not None:
                updates["capacity"] = _clean_capacity(draft.capacity)
            for name, value in updates.items():
                if getattr(event, name) != value:
                    setattr(event, name, value)
                    changed.append(name)
            if not changed and tz == event.timezone:
                raise DomainError("event.error.nothing_changed")
            moved = start != event.starts_at
            event.starts_at, event.ends_at, event.timezone = start, end, tz
            event.revision += 1
            event.updated_at = now
            offsets = self.reminders.offsets(community_id)
            earliest = await reminders.rearm_event(s, event, offsets, now) if moved else None
            promoted, promoted_due = (
                await fill_seats(s, event, now, offsets) if "capacity" in changed else ((), None)
            )
            audit.record(
                s, community_id=community_id, action="event.edited", at=now, platform=staff.platform,
                detail=f"event={event.id} fields={','.join(changed)}", actor=audit.actor_of(staff),
            )  # fmt: skip
            notify = await self._interested(s, event.id, exclude=promoted)
            view = await view_of_event(s, event)
        self.reminders.armed(earliest)
        self.reminders.armed(promoted_due)
        return EventChange(view, tuple(changed), notify, promoted)

    async def cancel(
        self, community_id: int, event_id: int, staff: Identity, reason: str, *, is_staff: bool = True
    ) -> EventChange:
        """Cancel once: the answers stay (history), the reminders not yet sent are dropped."""
        clean_reason = cancel_reason(reason)
        now = self.clock.now()
        async with self.db.transaction() as s:
            event = await self._changeable(s, community_id, event_id, staff, is_staff, now)
            event.status = "cancelled"
            event.cancel_reason = clean_reason
            event.revision += 1
            event.updated_at = now
            await reminders.disarm(s, event.id)
            audit.record(
                s, community_id=community_id, action="event.cancelled", at=now, platform=staff.platform,
                detail=f"event={event.id}", actor=audit.actor_of(staff), reason=clean_reason,
            )  # fmt: skip
            notify = await self._interested(s, event.id)
            view = await view_of_event(s, event)
        return EventChange(view, ("status",), notify, ())

    async def _interested(
        self, s: AsyncSession, event_id: int, exclude: tuple[int, ...] = ()
    ) -> tuple[int, ...]:
        rows = await s.scalars(
            select(EventRsvp.ambassador_id)
            .join(Ambassador, Ambassador.id == EventRsvp.ambassador_id)
            .where(
                EventRsvp.event_id == event_id,
                EventRsvp.status.in_(INTERESTED),
                Ambassador.status == "active",
            )
            .order_by(EventRsvp.id)
        )
        return tuple(a for a in rows.all() if a not in exclude)

    async def check_cancel(
        self, who: Identity, event_id: int, reason: str, *, is_staff: bool
    ) -> tuple[EventView, str]:
        """Before staff are asked to confirm a cancellation: the event (if ``who`` may cancel it and it is not
        cancelled yet) and the reason as it will be kept and sent, checked by the same rule as ``cancel``."""
        clean_reason = cancel_reason(reason)
        event = await self.check_manager(who, event_id, is_staff=is_staff)
        if event.cancelled:
            raise DomainError("event.error.cancelled")
        return event, clean_reason

    async def check_manager(self, who: Identity, event_id: int, *, is_staff: bool) -> EventView:
        """The event, if ``who`` may edit or cancel it: staff any, a subcommittee's lead their own."""
        async with self.db.transaction() as s:
            event = await s.scalar(
                select(Event).where(Event.community_id == who.community_id, Event.id == event_id)
            )
            if event is None:
                raise DomainError("event.error.not_found", id=event_id)
            await check_lead(s, who, event.subcommittee_id, is_staff, must_be_open=False)
            return await view_of_event(s, event)

    async def set_discord_post(
        self,
        community_id: int,
        event_id: int,
        *,
        channel_id: int | None = None,
        message_id: int | None = None,
        scheduled_event_id: int | None = None,
    ) -> None:
        """Remember where the event is shown on Discord (to update it on edits and RSVPs)."""
        values: dict[str, object] = {}
        if channel_id is not None and message_id is not None:
            values.update(discord_channel_id=channel_id, discord_message_id=message_id)
        if scheduled_event_id is not None:
            values["discord_scheduled_event_id"] = scheduled_event_id
        if not values:
            return
        async with self.db.transaction() as s:
            await s.execute(
                update(Event).where(Event.community_id == community_id, Event.id == event_id).values(**values)
            )

    # --- reading ------------------------------------------------------------------------------------
    async def get(self, community_id: int, event_id: int) -> EventView:
        async with self.db.transaction() as s:
            event = await s.scalar(
                select(Event).where(Event.community_id == community_id, Event.id == event_id)
            )
            if event is None:
                raise DomainError("event.error.not_found", id=event_id)
            return await view_of_event(s, event)

    async def upcoming(
        self, community_id: int, who: Identity | None = None, limit: int = 10
    ) -> list[MyEvent]:
        """Events not yet over, soonest first, with the member's own answer when ``who`` is given."""
        now = self.clock.now()
        query = select(Event).where(
            Event.community_id == community_id, Event.status == "scheduled", Event.ends_at > now
        )
        async with self.db.transaction() as s:
            if who is not None:  # a subcommittee's events only for its members
                member = await ambassador_for(s, who)
                mine = select(SubcommitteeMember.subcommittee_id).where(
                    SubcommitteeMember.ambassador_id == (member.id if member else -1)
                )
                query = query.where(Event.subcommittee_id.is_(None) | Event.subcommittee_id.in_(mine))
            events = (await s.scalars(query.order_by(Event.starts_at, Event.id).limit(limit))).all()
            return await self._with_answers(s, community_id, who, list(events))

    async def mine(self, who: Identity, limit: int = 50) -> list[MyEvent]:
        """The member's events (going, maybe or waiting; cancelled ones too, so calendars update) from 30
        days ago on: what their calendar file holds."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            events = (await s.scalars(_interested_in(who.community_id, a.id, now, limit))).all()
            return await self._with_answers(s, who.community_id, who, list(events))

    async def calendar_of(
        self, community_id: int, ambassador_id: int, event_id: int | None = None, limit: int = 50
    ) -> list[EventView]:
        """What a member's calendar link serves: one event of this community, or what ``mine`` lists.

        By ambassador id (the link carries it, signed): a member who left, or one of another community, is
        ``profile.error.not_registered``; an event of another community is ``event.error.not_found``."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            member = await s.scalar(
                select(Ambassador.id).where(
                    Ambassador.community_id == community_id,
                    Ambassador.id == ambassador_id,
                    Ambassador.status == "active",
                )
            )
            if member is None:
                raise DomainError("profile.error.not_registered")
            if event_id is None:
                events = list((await s.scalars(_interested_in(community_id, member, now, limit))).all())
            else:
                one = await s.scalar(
                    select(Event).where(Event.community_id == community_id, Event.id == event_id)
                )
                if one is None:
                    raise DomainError("event.error.not_found", id=event_id)
                events = [one]
            return [await view_of_event(s, e) for e in events]

    async def _with_answers(
        self, s: AsyncSession, community_id: int, who: Identity | None, events: list[Event]
    ) -> list[MyEvent]:
        answers: dict[int, str] = {}
        checked: set[int] = set()
        if who is not None and events:
            a = await ambassador_for(s, who)
            if a is not None:
                ids = [e.id for e in events]
                answers = dict(
                    (
                        await s.execute(
                            select(EventRsvp.event_id, EventRsvp.status).where(
                                EventRsvp.community_id == community_id,
                                EventRsvp.ambassador_id == a.id,
                                EventRsvp.event_id.in_(ids),
                            )
                        )
                    ).all()
                )
                checked = set(
                    (
                        await s.scalars(
                            select(EventCheckin.event_id).where(
                                EventCheckin.community_id == community_id,
                                EventCheckin.ambassador_id == a.id,
                                EventCheckin.event_id.in_(ids),
                            )
                        )
                    ).all()
                )
        return [MyEvent(await view_of_event(s, e), answers.get(e.id), e.id in checked) for e in events]

    async def search(
        self, community_id: int, text: str = "", *, include_past: bool = False, limit: int = 25
    ) -> list[EventView]:
        """Events whose title contains ``text`` (autocomplete), soonest first; past ones if asked."""
        now = self.clock.now()
        query = select(Event).where(Event.community_id == community_id)
        if not include_past:
            query = query.where(Event.status == "scheduled", Event.ends_at > now)
        wanted = query_text(text)
        if wanted:
            conditions: list[ColumnElement[bool]] = [Event.title.ilike(f"%{wanted}%")]
            if (number := typed_number(wanted)) is not None:
                conditions.append(Event.id == number)
            query = query.where(or_(*conditions))
        order = [Event.starts_at.desc()] if include_past else [Event.starts_at]
        async with self.db.transaction() as s:
            events = (await s.scalars(query.order_by(*order, Event.id).limit(limit))).all()
            return [await view_of_event(s, e) for e in events]

    async def attendance(self, community_id: int, event_id: int) -> list[AttendanceRow]:
        """Everyone who answered or was checked in, for staff: going first, then waiting, maybe, declined."""
        order = {"going": 0, "waitlist": 1, "maybe": 2, "declined": 3, "walk-in": 4}
        async with self.db.transaction() as s:
            event = await s.scalar(
                select(Event.id).where(Event.community_id == community_id, Event.id == event_id)
            )
            if event is None:
                raise DomainError("event.error.not_found", id=event_id)
            answers = (
                await s.execute(
                    select(Ambassador.id, Ambassador.member_number, Ambassador.display_name, EventRsvp.status)
                    .join(EventRsvp, EventRsvp.ambassador_id == Ambassador.id)
                    .where(EventRsvp.community_id == community_id, EventRsvp.event_id == event_id)
                )
            ).all()
            came = (
                await s.execute(
                    select(Ambassador.id, Ambassador.member_number, Ambassador.display_name)
                    .join(EventCheckin, EventCheckin.ambassador_id == Ambassador.id)
                    .where(EventCheckin.community_id == community_id, EventCheckin.event_id == event_id)
                )
            ).all()
        checked = {row.id for row in came}
        rows = [AttendanceRow(n, name, status, aid in checked) for aid, n, name, status in answers]
        answered = {aid for aid, *_ in answers}
        rows += [
            AttendanceRow(r.member_number, r.display_name, "walk-in", True)
            for r in came
            if r.id not in answered
        ]
        return sorted(rows, key=lambda r: (order[r.status], r.member_number))

    # --- members' settings --------------------------------------------------------------------------
    async def set_event_news(self, who: Identity, on: bool) -> bool:
        """Opt in or out of event cards on LINE. Returns the new setting."""
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            if a.event_news != on:
                a.event_news = on
                audit.record(
                    s, community_id=who.community_id, action="ambassador.event_news", at=self.clock.now(),
                    ambassador_id=a.id, platform=who.platform, detail=f"on={on}", actor=audit.actor_of(who),
                )  # fmt: skip
            return on

    async def event_news(self, who: Identity) -> bool:
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            return a.event_news


def _interested_in(community_id: int, ambassador_id: int, now: datetime, limit: int) -> Select[Event]:
    """The member's events (going, maybe or waiting; cancelled ones too) from 30 days ago, soonest first."""
    return (
        select(Event)
        .join(EventRsvp, EventRsvp.event_id == Event.id)
        .where(
            Event.community_id == community_id,
            EventRsvp.ambassador_id == ambassador_id,
            EventRsvp.status.in_(INTERESTED),
            Event.ends_at > now - timedelta(days=30),
        )
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )


def _actor(who: Identity) -> str:
    return f"{who.platform}:{who.external_id}"
