"""Calendar files (.ics, RFC 5545) of events, for members to add to their own calendar app.

Built with ``icalendar``: it folds long lines on UTF-8 boundaries and escapes Japanese text correctly, which
is easy to get subtly wrong by hand. Each event keeps one UID and a SEQUENCE that grows with every edit, so
importing the file again updates the entry instead of duplicating it; a cancelled event says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar
from icalendar import Event as IcsEvent

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
    body = f"{ambassador_id}.{event_id or 0}"
    return f"{body}.{_signature(secret, community_key, body)}"


def read_calendar_token(secret: str, community_key: str, token: str) -> tuple[int, int | None] | None:
    """``(ambassador_id, event_id or None)`` from a token this community signed, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts[:2]):
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _signature(secret, community_key, body)):
        return None
    event_id = int(parts[1])
    return int(parts[0]), event_id or None


def _signature(secret: str, community_key: str, body: str) -> str:
    mac = hmac.new(secret.encode(), f"calendar:{community_key}:{body}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode()
