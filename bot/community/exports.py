"""Spreadsheet exports for staff: ambassadors, contributions, attendance and votes as CSV files.

The files open correctly in Excel as well as in LibreOffice and Google Sheets: UTF-8 with a byte order mark
(without it Excel reads UTF-8 as Shift_JIS and the Japanese turns to mojibake), rows ending in CRLF, headers
in the reader's language, times in the community's time zone. Text a member typed that Excel would take for
a formula (``=``, ``+``, ``-``, ``@`` first) is prefixed with ``'`` so opening the file runs nothing.

Privacy: the profile fields a member marked private are exported as 「非公開」 (``privacy.staff_view``); a
member who left has no personal fields left to export. Ballots are listed by member number only, and never
for a hidden vote. Every export is written to the audit log (who, which kind, how many rows), in the same
transaction as the read.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit
from bot.community.ambassadors import view_of
from bot.community.communities import CommunityDirectory, CommunityRef
from bot.community.conversations import category_label
from bot.community.errors import DomainError
from bot.community.places import residence_label
from bot.community.privacy import staff_view
from bot.community.votes import VoteService, VoteView
from bot.i18n import Translator
from storage.database import Database
from storage.models import (
    Ambassador,
    Ballot,
    Event,
    EventCheckin,
    EventRsvp,
    LedgerEntry,
    PlatformIdentity,
    PointTotal,
    VoteWeight,
)

KINDS = ("ambassadors", "contributions", "attendance", "votes")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
VOTES_MAX = 100_000

Cell = str | int | float | None


@dataclass(frozen=True)
class ExportFile:
    kind: str
    filename: str
    data: bytes  # UTF-8 with BOM, CRLF rows
    rows: int  # data rows, the header not counted


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A CSV file Excel opens as UTF-8: BOM first, CRLF line ends (the csv module's default), formulas
    defused."""
    out = io.StringIO()
    writer = csv.writer(out)  # the "excel" dialect: CRLF, quotes where needed
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class ExportService:
    def __init__(
        self, db: Database, clock: Clock, directory: CommunityDirectory, tr: Translator, votes: VoteService
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.tr = tr
        self.votes = votes

    async def export(
        self, community_id: int, kind: str, actor: str, lang: str | None = None, platform: str | None = None
    ) -> ExportFile:
        """One kind of export for one community, audited. ``actor``: "discord:<id>", "cli", …"""
        if kind not in KINDS:
            raise DomainError("export.error.kind", kind=kind[:40], kinds=", ".join(KINDS))
        ref = self.directory.by_id(community_id)
        writer = _Writer(self.tr, lang or ref.default_language, ref)
        now = self.clock.now()
        votes = await self.votes.search(community_id, limit=VOTES_MAX) if kind == "votes" else []
        async with self.db.transaction() as s:
            members = {
                a.id: a
                for a in (await s.scalars(select(Ambassador).where(Ambassador.community_id == community_id)))
            }
            if kind == "ambassadors":
                header, rows = await writer.ambassadors(s, members)
            elif kind == "contributions":
                header, rows = await writer.contributions(s, members)
            elif kind == "attendance":
                header, rows = await writer.attendance(s, members)
            else:
                header, rows = await writer.votes(s, members, votes)
            audit.record(
                s, community_id=community_id, action="export", at=now, platform=platform,
                detail=f"kind={kind} rows={len(rows)}", actor=actor,
            )  # fmt: skip
        day = now.astimezone(writer.tz).strftime("%Y%m%d")
        return ExportFile(kind, f"{ref.key}-{kind}-{day}.csv", csv_bytes(header, rows), len(rows))


Table = tuple[list[str], list[list[Cell]]]


class _Writer:
    """The rows of each export, labelled in one language."""

    def __init__(self, tr: Translator, lang: str, ref: CommunityRef) -> None:
        self.tr, self.lang, self.ref = tr, lang, ref
        self.tz = ZoneInfo(ref.settings.timezone)
        self.private = tr.t(lang, "privacy.private")

    def t(self, key: str) -> str:
        return self.tr.t(self.lang, key)

    def header(self, *names: str) -> list[str]:
        return [self.t(f"export.column.{n}") for n in names]

    def when(self, moment: datetime | None) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    def label(self, prefix: str, value: str | None) -> str:
        """A catalog label for a stored value (``prefix`` ends in a dot), the value itself if it has none."""
        if not value:
            return ""
        key = prefix + value
        return self.t(key) if self.tr.has(key) else value

    def yes_no(self, value: bool) -> str:
        return self.t("export.value.yes" if value else "export.value.no")

    @staticmethod
    def name(member: Ambassador | None) -> str:
        return (member.display_name or "") if member is not None else ""

    # --- ambassadors ------------------------------------------------------------------------------------
    async def ambassadors(self, s: AsyncSession, members: dict[int, Ambassador]) -> Table:
        cid = self.ref.id
        points = {
            int(aid): int(p)
            for aid, p in (
                await s.execute(
                    select(PointTotal.ambassador_id, PointTotal.points).where(
                        PointTotal.community_id == cid, PointTotal.month == "*", PointTotal.category == "*"
                    )
                )
            ).all()
        }
        apps: defaultdict[int, list[str]] = defaultdict(list)
        for aid, platform in (
            await s.execute(
                select(PlatformIdentity.ambassador_id, PlatformIdentity.platform)
                .where(PlatformIdentity.community_id == cid, PlatformIdentity.active.is_(True))
                .order_by(PlatformIdentity.platform)
            )
        ).all():
            apps[int(aid)].append(self.label("profile.platform.", str(platform)))
        separator = self.t("profile.list_separator")
        header = self.header(
            "member_number", "display_name", "status", "stage", "stage_name", "points", "residence",
            "connection", "interests", "skills", "language", "timezone", "apps", "registered_at", "left_at",
        )  # fmt: skip
        rows: list[list[Cell]] = []
        for a in sorted(members.values(), key=lambda m: m.member_number):
            # privacy.staff_view: None where the member made the field private.
            shown = staff_view(view_of(a, ()))

            def value(field: str, text: str, shown: dict[str, str | None] = shown) -> str:
                return self.private if shown.get(field, "") is None else text

            rows.append(
                [
                    a.member_number,
                    self.name(a),
                    self.label("export.status.", a.status),
                    a.stage,
                    self.label("profile.stage.", str(a.stage)),
                    points.get(a.id, 0),
                    value("residence", _residence(a, self.lang)),
                    value("connection", self.label("profile.connection.", a.connection)),
                    value("interests", separator.join(a.interests or ())),
                    value("skills", separator.join(a.skills or ())),
                    self.label("profile.language.", a.language),
                    a.timezone,
                    " / ".join(apps.get(a.id, ())),
                    self.when(a.registered_at),
                    self.when(a.left_at),
                ]
            )
        return header, rows

    # --- contributions ----------------------------------------------------------------------------------
    async def contributions(self, s: AsyncSession, members: dict[int, Ambassador]) -> Table:
        """One row per contribution (a claim, an automatic entry, a thanks) with its review status. Staff
        decisions are no rows of their own: they give their claim its status, reason and decision number."""
        entries = (
            await s.scalars(
                select(LedgerEntry).where(LedgerEntry.community_id == self.ref.id).order_by(LedgerEntry.seq)
            )
        ).all()
        decisions = {e.refers_to: e for e in entries if e.kind in ("approve", "reject")}
        taken_back = {e.refers_to: e for e in entries if e.kind == "correct"}
        settings = self.ref.settings.contributions
        header = self.header(
            "seq", "recorded_at", "occurred_on", "member_number", "display_name", "entry_kind", "category",
            "points", "status", "description", "link", "decision_seq", "reason", "hash",
        )  # fmt: skip
        rows: list[list[Cell]] = []
        for e in entries:
            if e.kind in ("approve", "reject", "correct"):
                continue
            decision = taken_back.get(e.seq) or decisions.get(e.seq)
            status, points = "approved", e.points
            if decision is not None:
                status = {"approve": "approved", "reject": "rejected", "correct": "removed"}[decision.kind]
                points = decision.points if decision.kind == "approve" else 0
            elif e.kind == "claim" and e.points == 0 and e.claimed_points > 0:
                status = "pending"
            member = members.get(e.ambassador_id)
            rows.append(
                [
                    e.seq,
                    self.when(e.created_at),
                    e.occurred_on,
                    member.member_number if member else "",
                    self.name(member),
                    self.label("export.entry_kind.", e.kind),
                    category_label(self.tr, self.lang, settings, e.category),
                    points,
                    self.label("export.contribution_status.", status),
                    e.description,
                    e.link or "",
                    decision.seq if decision else "",
                    decision.description if decision is not None and decision.kind != "approve" else "",
                    e.hash,
                ]
            )
        return header, rows

    # --- attendance -------------------------------------------------------------------------------------
    async def attendance(self, s: AsyncSession, members: dict[int, Ambassador]) -> Table:
        """One row per member and event they answered or came to, events in date order."""
        cid = self.ref.id
        events = (
            await s.scalars(
                select(Event).where(Event.community_id == cid).order_by(Event.starts_at, Event.id)
            )
        ).all()
        answers = {
            (r.event_id, r.ambassador_id): r
            for r in (await s.scalars(select(EventRsvp).where(EventRsvp.community_id == cid))).all()
        }
        came = {
            (c.event_id, c.ambassador_id): c
            for c in (await s.scalars(select(EventCheckin).where(EventCheckin.community_id == cid))).all()
        }
        people: defaultdict[int, set[int]] = defaultdict(set)
        for event_id, aid in [*answers, *came]:
            people[event_id].add(aid)
        header = self.header(
            "event_id", "event", "starts_at", "event_status", "member_number", "display_name", "answer",
            "answered_at", "answered_on", "checked_in", "checked_in_at", "checkin_method",
        )  # fmt: skip
        rows: list[list[Cell]] = []
        for event in events:
            attendees = [members[aid] for aid in people.get(event.id, ()) if aid in members]
            for member in sorted(attendees, key=lambda m: m.member_number):
                answer = answers.get((event.id, member.id))
                checkin = came.get((event.id, member.id))
                status = answer.status if answer else "walk-in"
                rows.append(
                    [
                        event.id,
                        event.title,
                        self.when(event.starts_at),
                        self.label("export.event_status.", event.status),
                        member.member_number,
                        self.name(member),
                        self.label("event.status.", status),
                        self.when(answer.answered_at if answer else None),
                        self.label("profile.platform.", answer.platform) if answer else "",
                        self.yes_no(checkin is not None),
                        self.when(checkin.checked_in_at if checkin else None),
                        self.label("export.checkin_method.", checkin.method) if checkin else "",
                    ]
                )
        return header, rows

    # --- votes ------------------------------------------------------------------------------------------
    async def votes(
        self, s: AsyncSession, members: dict[int, Ambassador], views: Sequence[VoteView]
    ) -> Table:
        """Per vote, a row per option (counts, weighted totals, turnout), then a row per ballot by member
        number for votes that are not hidden. A hidden vote still open shows no counts, as everywhere."""
        shown = [v.id for v in views if not v.hidden]
        ballots: defaultdict[int, list[tuple[int, int, int]]] = defaultdict(list)
        if shown:
            for vote_id, aid, option, weight in (
                await s.execute(
                    select(Ballot.vote_id, Ballot.ambassador_id, Ballot.option, VoteWeight.weight_milli)
                    .join(
                        VoteWeight,
                        (VoteWeight.vote_id == Ballot.vote_id)
                        & (VoteWeight.ambassador_id == Ballot.ambassador_id),
                    )
                    .where(Ballot.community_id == self.ref.id, Ballot.vote_id.in_(shown))
                )
            ).all():
                member = members.get(int(aid))
                if member is not None:
                    ballots[int(vote_id)].append((member.member_number, int(option), int(weight)))
        header = self.header(
            "vote_id", "question", "vote_status", "opened_at", "closes_at", "weighted", "approval", "row",
            "option_no", "option", "count", "weight_total", "voters", "eligible", "turnout", "member_number",
        )  # fmt: skip
        rows: list[list[Cell]] = []
        for v in sorted(views, key=lambda x: x.id):
            head: list[Cell] = [
                v.id, v.question, self.label("export.vote_status.", v.status), self.when(v.opened_at),
                self.when(v.closes_at), self.yes_no(v.weighted), self.yes_no(v.approval),
            ]  # fmt: skip
            result = v.result
            percent = round(100.0 * v.voters / v.eligible, 1) if v.eligible else ""
            turnout: list[Cell] = [v.voters, v.eligible, percent]
            for index, label in enumerate(v.options):
                tally = result.options[index] if result is not None else None
                rows.append(
                    [
                        *head,
                        self.t("export.row.option"),
                        index + 1,
                        label,
                        tally.count if tally else "",
                        round(tally.weight_milli / 1000, 3) if tally else "",
                        *turnout,
                        "",
                    ]
                )
            for number, option, weight in sorted(ballots.get(v.id, ())):
                rows.append(
                    [
                        *head,
                        self.t("export.row.ballot"),
                        option + 1,
                        v.options[option] if option < len(v.options) else "",
                        1,
                        round(weight / 1000, 3),
                        "",
                        "",
                        "",
                        number,
                    ]
                )
        return header, rows


def _residence(member: Ambassador, lang: str) -> str:
    if not member.residence_kind or not member.residence_code:
        return ""
    return residence_label(member.residence_kind, member.residence_code, lang)
