"""Times shown to a reader, in their language and zone: 「2026年12月5日(土) 19:00〜21:00（日本時間）」."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

JAPAN = "Asia/Tokyo"


@dataclass(frozen=True)
class When:
    """A moment or a span as a message parameter: the translator shows it in the reader's zone.

    ``tz`` fixes the zone; without it the reader's own is used (``Translator.t(..., tz=...)``), else Japan."""

    start: datetime
    end: datetime | None = None
    tz: str | None = None


def format_when(text: Callable[..., str], when: When, tz: str) -> str:
    """``text(key, **params)`` is the catalog in the reader's language."""
    zone = ZoneInfo(when.tz or tz)
    start = when.start.astimezone(zone)
    weekdays = text("time.weekdays").split(",")
    months = text("time.months").split(",")

    def day(d: datetime) -> str:
        return text(
            "time.date", year=d.year, month=months[d.month - 1], day=d.day, weekday=weekdays[d.weekday()]
        )

    if when.end is None:
        span = text("time.moment", date=day(start), start=f"{start:%H:%M}")
    else:
        end = when.end.astimezone(zone)
        if end.date() == start.date():
            span = text("time.span_same_day", date=day(start), start=f"{start:%H:%M}", end=f"{end:%H:%M}")
        else:
            span = text(
                "time.span", date=day(start), start=f"{start:%H:%M}", end_date=day(end), end=f"{end:%H:%M}"
            )
    zone_name = text("time.japan") if zone.key == JAPAN else zone.key
    return text("time.with_zone", span=span, zone=zone_name)
