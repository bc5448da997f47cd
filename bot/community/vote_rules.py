"""What staff type when they open a vote, checked: options, closing time or duration, quorum, weights.

Pure functions; ``votes.py`` stores what they return.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.community.errors import DomainError
from bot.community.event_times import parse_event_time
from bot.community.text import clean_text, typed_number
from bot.config import VoteSettings

QUESTION_MAX = 300
OPTION_MAX = 80
MIN_OPTIONS = 2
MAX_OPTIONS = 10
MIN_DURATION = timedelta(minutes=5)
QUORUM_DIGITS = 7  # a quorum is at most 1,000,000 voters (or 100%)
# The reactions a vote is cast with on Discord: option i is NUMBER_EMOJI[i].
NUMBER_EMOJI = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
_SPLIT = re.compile(r"\s*(?:\||\n|;|；|／|、)\s*")
_DURATION = re.compile(
    r"^(?P<n>\d{1,4})\s*(?P<unit>d|days?|日|日間|h|hours?|時間|m|min|mins|minutes?|分|分間|w|weeks?|週|週間)$"
)
_UNITS = {
    "d": "days", "day": "days", "days": "days", "日": "days", "日間": "days",
    "h": "hours", "hour": "hours", "hours": "hours", "時間": "hours",
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "分": "minutes", "分間": "minutes",
    "w": "weeks", "week": "weeks", "weeks": "weeks", "週": "weeks", "週間": "weeks",
}  # fmt: skip


@dataclass(frozen=True)
class Quorum:
    count: int | None = None  # at least this many voters
    percent: int | None = None  # at least this share of those eligible

    def needed(self, eligible: int) -> int:
        """Voters needed for this quorum among ``eligible`` members (0: no quorum)."""
        if self.count is not None:
            return self.count
        if self.percent is not None:
            return math.ceil(eligible * self.percent / 100)
        return 0


def clean_question(raw: str) -> str:
    return clean_text(raw, "vote.error.question_empty", "vote.error.question_too_long", QUESTION_MAX)


def clean_options(raw: str | list[str]) -> list[str]:
    """2 to 10 distinct options, given as a list or as one text split by 「|」, 「、」, 「;」 or new lines."""
    parts = raw if isinstance(raw, list) else _SPLIT.split(raw.strip())
    options = [
        clean_text(p, "vote.error.option_empty", "vote.error.option_too_long", OPTION_MAX)
        for p in parts
        if p and p.strip()
    ]
    if len(options) < MIN_OPTIONS:
        raise DomainError("vote.error.too_few_options", min=MIN_OPTIONS)
    if len(options) > MAX_OPTIONS:
        raise DomainError("vote.error.too_many_options", max=MAX_OPTIONS)
    seen: set[str] = set()
    for option in options:
        folded = option.casefold()
        if folded in seen:
            raise DomainError("vote.error.duplicate_option", option=option)
        seen.add(folded)
    return options


def parse_closing(raw: str, now: datetime, timezone: str, rules: VoteSettings) -> datetime:
    """A closing time (「2026-12-10 18:00」「12/10 18時」) or a duration (「3日」「48h」「90分」「1週間」)."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    if not text:
        raise DomainError("vote.error.closing_missing")
    m = _DURATION.match(text.replace(" ", ""))
    closes = (
        now + timedelta(**{_UNITS[m["unit"]]: int(m["n"])}) if m else parse_event_time(raw, now, timezone).at
    )
    if closes <= now:
        raise DomainError("vote.error.closing_past")
    if closes - now < MIN_DURATION:
        raise DomainError("vote.error.too_short", minutes=int(MIN_DURATION.total_seconds() // 60))
    if closes - now > timedelta(days=rules.max_duration_days):
        raise DomainError("vote.error.too_long", days=rules.max_duration_days)
    return closes


def parse_quorum(raw: str | None) -> Quorum:
    """Empty: no quorum. 「30%」: a share of those eligible (1-100). 「25」: a number of voters."""
    text = unicodedata.normalize("NFKC", raw or "").strip().replace(" ", "")
    if not text or text in ("0", "0%", "なし", "none"):
        return Quorum()
    if text.endswith("%"):
        percent = typed_number(text[:-1], QUORUM_DIGITS)
        if percent is None:
            raise DomainError("vote.error.quorum_format", text=raw or "")
        if percent > 100:
            raise DomainError("vote.error.quorum_over_100")
        return Quorum(percent=percent) if percent else Quorum()
    count = typed_number(text, QUORUM_DIGITS)
    if count is None or count > 1_000_000:
        raise DomainError("vote.error.quorum_format", text=raw or "")
    return Quorum(count=count) if count else Quorum()


def curve_value(points: int, rules: VoteSettings) -> float:
    p = max(0, points)
    if rules.weight_curve == "sqrt":
        return math.sqrt(p)
    if rules.weight_curve == "log":
        return math.log1p(p)
    return float(p)


def weight_milli(points: int, rules: VoteSettings) -> int:
    """A member's weight in thousandths: ``min(cap, base + scale × curve(points))``, rounded down."""
    raw = rules.weight_base + rules.weight_scale * curve_value(points, rules)
    return math.floor(min(rules.weight_cap, raw) * 1000 + 1e-9)


def option_of_emoji(emoji: str, options: int) -> int | None:
    """The option index a number reaction stands for, if it is one of this vote's."""
    try:
        index = NUMBER_EMOJI.index(emoji)
    except ValueError:
        return None
    return index if index < options else None
