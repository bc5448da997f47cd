"""Segments: which active members a broadcast reaches, and on which platform.

A segment is a set of optional filters (all must hold): a minimum stage, an interest tag, a subcommittee,
a residence (a prefecture code such as ``JP-32``, ``JP`` for anywhere in Japan, or a country code such as
``FR``), a connection and a language. An empty segment is every active member.

Each member is reached once, on one platform: on Discord when they have linked a Discord account (free),
else on LINE (one push each, against the month's budget). So members on both apps never get the news
twice, and no push is spent on someone Discord already reaches.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import aliased

from bot.community.errors import DomainError
from bot.community.places import JapanWithoutPrefecture, parse_residence
from bot.community.profile_rules import STAGES, TAG_MAX, clean_connection, clean_language
from bot.community.subcommittees import name_key, subcommittee_of
from storage.database import Database
from storage.models import Ambassador, PlatformIdentity, SubcommitteeMember

JAPAN = "JP"  # a residence filter meaning every member living in Japan (any prefecture)
_PREFECTURE_CODE = re.compile(r"^JP-(\d{2})$")


@dataclass(frozen=True)
class Segment:
    min_stage: int | None = None
    interest: str | None = None
    subcommittee_id: int | None = None
    residence: str | None = None  # "JP-32" | "JP" | "FR"
    connection: str | None = None
    language: str | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in asdict(self).values())

    def to_json(self) -> dict[str, Any]:
        """Only the filters that are set (stored with the broadcast)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Segment:
        known = {k: data[k] for k in cls.__dataclass_fields__ if data.get(k) is not None}
        return cls(**known)


def clean_residence_filter(raw: str) -> str:
    """A prefecture code (「JP-32」), 「JP」/「日本」 for all of Japan, or a country as code or name."""
    text = unicodedata.normalize("NFKC", raw).strip()
    upper = text.upper()
    match = _PREFECTURE_CODE.match(upper)
    if match and 1 <= int(match[1]) <= 47:
        return upper
    if upper == JAPAN:
        return JAPAN
    try:
        found = parse_residence(text)
    except JapanWithoutPrefecture:
        return JAPAN
    if found is None:
        raise DomainError("profile.error.residence_unknown", text=text[:60])
    return found.code


def build_segment(
    *,
    min_stage: int | None = None,
    interest: str | None = None,
    subcommittee_id: int | None = None,
    residence: str | None = None,
    connection: str | None = None,
    language: str | None = None,
) -> Segment:
    """A segment from what staff typed; each filter is checked (a blank one is no filter)."""

    def given(value: str | None) -> str | None:
        return value if value is not None and value.strip() else None

    if min_stage is not None and min_stage not in STAGES:
        raise DomainError("segment.error.stage", low=STAGES[0], high=STAGES[-1])
    tag = None
    if (raw := given(interest)) is not None:
        tag = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", raw)).strip()
        if len(tag) > TAG_MAX:
            raise DomainError("segment.error.interest_too_long", max=TAG_MAX)
    where = given(residence)
    how = given(connection)
    lang = given(language)
    return Segment(
        min_stage=min_stage if min_stage and min_stage > STAGES[0] else None,  # stage 1 is everyone
        interest=tag,
        subcommittee_id=subcommittee_id,
        residence=clean_residence_filter(where) if where else None,
        connection=clean_connection(how) if how else None,
        language=clean_language(lang) if lang else None,
    )


@dataclass(frozen=True)
class Recipient:
    ambassador_id: int
    member_number: int
    language: str
    timezone: str
    discord_id: str | None
    line_id: str | None

    @property
    def platform(self) -> Literal["discord", "line"] | None:
        """Where this member is reached: Discord when linked (free), else LINE, else nowhere."""
        if self.discord_id is not None:
            return "discord"
        return "line" if self.line_id is not None else None


class BudgetReader(Protocol):
    def limit(self, community_id: int) -> int | None: ...

    async def used(self, community_id: int) -> int: ...


@dataclass(frozen=True)
class SegmentPreview:
    members: int  # active members the segment selects
    discord: int  # reached on Discord
    line: int  # reached on LINE only (no Discord account): one push each
    unreachable: int  # no active account on either app (e.g. blocked the LINE account)
    budget_limit: int | None  # None: an account without a cap
    budget_left: int | None

    @property
    def reachable(self) -> int:
        return self.discord + self.line

    @property
    def pushes(self) -> int:
        """LINE pushes the broadcast costs (one text message per recipient)."""
        return self.line

    @property
    def fits(self) -> bool:
        return self.budget_left is None or self.pushes <= self.budget_left


class Segments:
    def __init__(self, db: Database, budget: BudgetReader) -> None:
        self.db = db
        self.budget = budget

    def _conditions(self, community_id: int, segment: Segment) -> list[ColumnElement[bool]]:
        """What an ambassador must be to be selected (the interest is checked in Python: tags are folded)."""
        where = [Ambassador.community_id == community_id, Ambassador.status == "active"]
        if segment.min_stage is not None:
            where.append(Ambassador.stage >= segment.min_stage)
        if segment.subcommittee_id is not None:
            where.append(
                Ambassador.id.in_(
                    select(SubcommitteeMember.ambassador_id).where(
                        SubcommitteeMember.community_id == community_id,
                        SubcommitteeMember.subcommittee_id == segment.subcommittee_id,
                    )
                )
            )
        if segment.residence == JAPAN:
            where.append(Ambassador.residence_kind == "prefecture")
        elif segment.residence is not None:
            where.append(Ambassador.residence_code == segment.residence)
        if segment.connection is not None:
            where.append(Ambassador.connection == segment.connection)
        if segment.language is not None:
            where.append(Ambassador.language == segment.language)
        return where

    async def members(self, community_id: int, segment: Segment) -> list[Recipient]:
        """The active members the segment selects, by member number, with their active accounts.

        One query, the accounts joined to the members, read without the ORM (a segment may be every one of
        100,000 members); interests are read only when the segment asks for one."""
        discord, line = aliased(PlatformIdentity), aliased(PlatformIdentity)

        def account(alias: type[PlatformIdentity], platform: str) -> ColumnElement[bool]:
            return and_(
                alias.community_id == community_id,
                alias.ambassador_id == Ambassador.id,
                alias.platform == platform,
                alias.active.is_(True),
            )

        columns: list[Any] = [
            Ambassador.id,
            Ambassador.member_number,
            Ambassador.language,
            Ambassador.timezone,
            discord.external_id,
            line.external_id,
        ]
        if segment.interest:
            columns.append(Ambassador.interests)
        query = (
            select(*columns)
            .select_from(Ambassador)
            .outerjoin(discord, account(discord, "discord"))
            .outerjoin(line, account(line, "line"))
            .where(*self._conditions(community_id, segment))
            .order_by(Ambassador.member_number)
        )
        async with self.db.transaction() as s:
            if segment.subcommittee_id is not None:
                await subcommittee_of(s, community_id, segment.subcommittee_id)  # another community's: 404
            rows = (await (await s.connection()).execute(query)).all()
        if segment.interest:
            wanted = name_key(segment.interest)
            fold = functools.cache(name_key)  # the same few tags come back on many members: fold each once
            rows = [r for r in rows if any(fold(t) == wanted for t in r[6])]
        out: list[Recipient] = []
        seen: set[int] = set()  # one row per member, even if one ever had two accounts on one app
        for aid, number, lang, tz, discord_id, line_id, *_ in rows:
            if aid not in seen:
                seen.add(aid)
                out.append(Recipient(aid, number, lang, tz, discord_id, line_id))
        return out

    async def preview(self, community_id: int, segment: Segment) -> SegmentPreview:
        """How many the segment reaches on each platform, and the LINE pushes against what is left."""
        people = await self.members(community_id, segment)
        discord = sum(1 for p in people if p.platform == "discord")
        line = sum(1 for p in people if p.platform == "line")
        limit = self.budget.limit(community_id)
        left = None if limit is None else max(0, limit - await self.budget.used(community_id))
        return SegmentPreview(len(people), discord, line, len(people) - discord - line, limit, left)
