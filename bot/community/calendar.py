"""Calendar files (.ics, RFC 5545) of events, for members to add to their own calendar app.

Built with ``icalendar``: it folds long lines on UTF-8 boundaries and escapes Japanese text correctly, which
is easy to get subtly wrong by hand. Each event keeps one UID and a SEQUENCE that grows with every edit, so
importing the file again updates the entry instead of duplicating it; a cancelled event says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar
from icalendar import Event as IcsEvent

from bot.community import signing
from bot.community.events import EventView

PRODID = "-//kankei-hub//関係人口 ambassador hub//JA"


def event_uid(community_key: str, event_id: int) -> str:
    return f"event-{event_id}@{community_key}.kankei-hub"


def calendar_file(
    community_key: str, community_name: str, events: Sequence[EventView], now: datetime
) -> bytes:
    """One VCALENDAR holding a VEVENT per event (times in UTC)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", community_name)
    for e in events:
        item = IcsEvent()
        item.add("uid", event_uid(community_key, e.id))
        item.add("dtstamp", now)
        item.add("dtstart", e.starts_at)
        item.add("dtend", e.ends_at)
        item.add("summary", e.title)
        item.add("sequence", e.revision)
        item.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        where = ", ".join(p for p in (e.place, e.online_url) if p)
        if where:
            item.add("location", where)
        if e.online_url:
            item.add("url", e.online_url)
        if e.description:
            item.add("description", e.description)
        cal.add_component(item)
    return bytes(cal.to_ical())


def calendar_token(secret: str, community_key: str, ambassador_id: int, event_id: int | None = None) -> str:
    """A link-safe token naming one member's calendar (one event, or all their events), signed with
    ``secret`` (HMAC-SHA256) so that nobody can read another member's calendar by changing a number."""
    return signing.sign(secret, "calendar", community_key, ambassador_id, event_id or 0)


def read_calendar_token(secret: str, community_key: str, token: str) -> tuple[int, int | None] | None:
    """``(ambassador_id, event_id or None)`` from a token this community signed, else None."""
    found = signing.read(secret, "calendar", community_key, token, 2)
    if found is None:
        return None
    ambassador_id, event_id = found
    return ambassador_id, event_id or None
