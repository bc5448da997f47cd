"""When a community's weekly digest is due: its weekday and hour in the community's own time zone.

A week is an ISO week in that zone. Its digest is due from the slot (e.g. Monday 09:00) until the week
ends, so a process that was down at the slot still sends it later that week, and only once: each member
is claimed with ``year * 100 + ISO week`` as the delivery item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import CommunitySettings


@dataclass(frozen=True)
class DigestWeek:
    item: int  # year * 100 + ISO week: the deliveries item that claims a member for this week
    slot: datetime  # when this week's digest became due (UTC)


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(ZoneInfo("UTC"))


def digest_week(settings: CommunitySettings, now: datetime) -> DigestWeek:
    """This week's digest (the ISO week ``now`` falls in, in the community's zone)."""
    zone = ZoneInfo(settings.timezone)
    year, week, _ = now.astimezone(zone).isocalendar()
    day = date.fromisocalendar(year, week, settings.digest.weekday + 1)
    return DigestWeek(year * 100 + week, _at(day, settings.digest.hour, zone))


def next_digest_at(settings: CommunitySettings, now: datetime) -> datetime | None:
    """The next slot from now (this week's if it is still ahead), or None if the digest is off."""
    if not settings.digest.enabled:
        return None
    week = digest_week(settings, now)
    if now < week.slot:
        return week.slot
    zone = ZoneInfo(settings.timezone)
    return _at(week.slot.astimezone(zone).date() + timedelta(days=7), settings.digest.hour, zone)
