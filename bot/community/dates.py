"""Dates members type: 「2026-11-20」「2026/11/20」「11/20」「11月20日」「今日」「昨日」, "today"."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.community.errors import DomainError

EARLIEST = date(2000, 1, 1)
_FULL = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_SHORT = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$")
_WORDS = {
    "今日": 0,
    "きょう": 0,
    "today": 0,
    "昨日": 1,
    "きのう": 1,
    "yesterday": 1,
    "一昨日": 2,
    "おととい": 2,
}


def local_today(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def parse_past_date(text: str, today: date) -> date:
    """A day on or before ``today``. Impossible dates (2月30日) and future ones are refused clearly."""
    raw = unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    if not raw:
        return today
    if raw in _WORDS:
        return today - timedelta(days=_WORDS[raw])
    full, short = _FULL.match(raw), _SHORT.match(raw)
    try:
        if full:
            day = date(int(full[1]), int(full[2]), int(full[3]))
        elif short:
            day = date(today.year, int(short[1]), int(short[2]))
            if day > today:  # 「12/30」 typed in January means last December
                day = date(today.year - 1, day.month, day.day)
        else:
            raise DomainError("contribution.error.date_format", text=text[:20])
    except ValueError:
        raise DomainError("contribution.error.date_impossible", text=text[:20]) from None
    if day > today:
        raise DomainError("contribution.error.date_future", text=text[:20])
    if day < EARLIEST:
        raise DomainError("contribution.error.date_too_old", text=text[:20])
    return day
