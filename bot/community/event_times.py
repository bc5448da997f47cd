"""Event times staff type: 「2026-12-05 19:00」「12/5 19:00」「12月5日(土) 19時半」「2026/12/5 午後7時」.

Times are read in a time zone (the community's, Japan by default) and returned as aware UTC datetimes.
A date without a year is the next such day from now. Impossible dates and times are refused clearly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.community.errors import DomainError

# How far ahead an event may be posted: further is a typo in the year.
MAX_AHEAD = timedelta(days=2 * 366)
# A short date (「1/10」) up to this long ago is read as this year's, not next year's.
SHORT_DATE_PAST_SLACK = timedelta(days=1)

_DATE = r"(?:(?P<year>\d{4})[-/.年])?(?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})日?"
_WEEKDAY = r"(?:\([^)]{1,3}\))?"
_CLOCK = (
    r"(?P<ampm>午前|午後|am|pm)?"
    r"(?P<hour>\d{1,2})(?:[:：](?P<minute>\d{2})|時(?:(?P<jmin>\d{1,2})分?|(?P<half>半))?|(?=\s?(?:am|pm)))"
    r"\s?(?P<ampm2>am|pm)?"
)
_DATETIME = re.compile(rf"^{_DATE}{_WEEKDAY}(?:t|\s)*{_CLOCK}$")
_TIME_ONLY = re.compile(rf"^{_CLOCK}$")


@dataclass(frozen=True)
class ParsedTime:
    """A moment and whether the year was guessed (so the reply can say which year it took)."""

    at: datetime
    year_assumed: bool


def _normalise(text: str) -> str:
    raw = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"\s+", " ", raw)


def _clock(m: re.Match[str], text: str) -> time:
    hour = int(m["hour"])
    minute = int(m["minute"] or m["jmin"] or (30 if m["half"] else 0))
    ampm = m["ampm"] or m["ampm2"]
    if ampm in ("午後", "pm") and hour < 12:
        hour += 12
    elif ampm in ("午前", "am") and hour == 12:
        hour = 0
    if hour == 24 and minute == 0:  # 「24:00」 is accepted nowhere else; make it a clear error
        raise DomainError("event.error.time_impossible", text=text[:40])
    try:
        return time(hour, minute)
    except ValueError:
        raise DomainError("event.error.time_impossible", text=text[:40]) from None


def parse_event_time(text: str, now: datetime, timezone: str) -> ParsedTime:
    """A date and a time of day, in ``timezone``. Does not judge past or future (see ``check_span``)."""
    raw = _normalise(text)
    m = _DATETIME.match(raw)
    if not m:
        raise DomainError("event.error.time_format", text=text[:40])
    zone = ZoneInfo(timezone)
    clock = _clock(m, text)
    local_now = now.astimezone(zone)
    year = int(m["year"]) if m["year"] else local_now.year
    try:
        day = date(year, int(m["month"]), int(m["day"]))
    except ValueError:
        raise DomainError("event.error.time_impossible", text=text[:40]) from None
    at = datetime.combine(day, clock, zone)
    if not m["year"] and at < local_now - SHORT_DATE_PAST_SLACK:
        try:  # 「1/10」 typed in December means next January
            at = datetime.combine(date(year + 1, day.month, day.day), clock, zone)
        except ValueError:  # 2/29 next year may not exist
            raise DomainError("event.error.time_impossible", text=text[:40]) from None
    return ParsedTime(at.astimezone(now.tzinfo), year_assumed=not m["year"])


def parse_end_time(text: str, start: datetime, now: datetime, timezone: str) -> datetime:
    """An end: a time of day on the start's day (「21:00」), or a full date and time."""
    raw = _normalise(text)
    m = _TIME_ONLY.match(raw)
    if m:
        zone = ZoneInfo(timezone)
        at = datetime.combine(start.astimezone(zone).date(), _clock(m, text), zone)
        return at.astimezone(start.tzinfo)
    return parse_event_time(text, now, timezone).at


def check_span(start: datetime, end: datetime, now: datetime) -> None:
    """A start in the future (not absurdly far) and an end after it."""
    if start <= now:
        raise DomainError("event.error.start_past")
    if start > now + MAX_AHEAD:
        raise DomainError("event.error.too_far")
    if end <= start:
        raise DomainError("event.error.end_before_start")
    if end - start > timedelta(days=31):
        raise DomainError("event.error.too_long")
