"""Moderation: staff find and look at members, suspend and reinstate them, take back a contribution, and read
the audit log. The one place these rules live.

Every call is audited: who (the staff account, ``discord:<id>``), what (the action and a detail), when, and
why (staff give a reason for anything that changes a member). Whether the caller is staff is checked by the
face (Discord: the staff role or Manage Server, cogs/_staff.py), and a refusal is audited through
``refused``. A suspended member is stopped for every feature by ``ambassadors.ambassador_for``.

Audit details never hold personal fields: a search is logged with its number of results, not its text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from bot.clock import Clock
from bot.community import audit, ledger
from bot.community.ambassadors import AmbassadorView, member_for, platforms_of, view_of
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.privacy import staff_view
from bot.community.stages import totals_of
from bot.community.text import clean_text, query_text
from storage.database import Database
from storage.models import Ambassador, AuditEntry, Community, LedgerEntry, PendingReview

REASON_MAX = 300
QUERY_MAX = 100
SEARCH_LIMIT = 20
AUDIT_PAGE = 12
BALLOT = "ballot"  # ballot points never counted as an approved entry (see ContributionService)
_NUMBER = re.compile(r"^(?:no\.?|#|＃)?\s*(\d{1,9})\s*(?:番)?$", re.IGNORECASE)

Member = Identity | int  # a platform account (a Discord member picked by staff) or a member number


@dataclass(frozen=True)
class Found:
    """One search result: enough to pick the member, nothing private."""

    member_number: int
    display_name: str | None
    status: str
    stage: int
    matched: str  # number | name | interests | skills


@dataclass(frozen=True)
class StaffProfile:
    view: AmbassadorView
    shown: dict[str, str | None]  # privacy.staff_view: None where the member made the field private
    points: int
    stage_manual: bool
    suspended_at: datetime | None
    left_at: datetime | None


@dataclass(frozen=True)
class Removal:
    seq: int  # the correcting entry
    removed_seq: int  # the entry taken back (a claim, even when staff named its approval)
    points: int  # what it had added, now taken off
    category: str
    reason: str
    ambassador: AmbassadorView


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor: str | None
    action: str
    member_number: int | None
    platform: str | None
    detail: str | None
    reason: str | None


@dataclass(frozen=True)
class AuditPage:
    lines: tuple[AuditLine, ...]
    page: int
    has_more: bool


def _is(*, action: str) -> ColumnElement[bool]:
    return AuditEntry.action == action


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def clean_reason(raw: str | None) -> str:
    return clean_text(
        raw or "", "moderation.error.reason_required", "moderation.error.reason_too_long", REASON_MAX
    )


def member_number_in(text: str) -> int | None:
    """「12」「No.12」「#12」「12番」 → 12; anything else None."""
    found = _NUMBER.match(unicodedata.normalize("NFKC", text).strip())
    return int(found.group(1)) if found else None


class ModerationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # --- finding members -----------------------------------------------------------------------------
    async def _target(self, s: AsyncSession, community_id: int, member: Member) -> Ambassador:
        """The member staff named, whatever their status (a number may name one who left)."""
        if isinstance(member, int):
            found = await s.scalar(
                select(Ambassador).where(
                    Ambassador.community_id == community_id, Ambassador.member_number == member
                )
            )
            if found is None:
                raise DomainError("moderation.error.unknown_member", number=member)
            return found
        if member.community_id != community_id:
            raise DomainError("moderation.error.not_a_member")
        found = await member_for(s, member)
        if found is None:
            raise DomainError("moderation.error.not_a_member")
        return found

    async def search(self, community_id: int, text: str, staff: Identity) -> list[Found]:
        """Members (active or suspended) by member number, name, or an interest or skill tag. A field the
        member made private is not searched, so a result never reveals it."""
        query = clean_text(text, "moderation.error.query_empty", "moderation.error.query_too_long", QUERY_MAX)
        wanted, number = fold(query), member_number_in(query)
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(
                        Ambassador.member_number, Ambassador.display_name, Ambassador.status,
                        Ambassador.stage, Ambassador.interests, Ambassador.skills, Ambassador.private_fields,
                    )
                    .where(
                        Ambassador.community_id == community_id,
                        Ambassador.status.in_(("active", "suspended")),
                    )
                    .order_by(Ambassador.member_number)
                )
            ).all()  # fmt: skip
            found: list[Found] = []
            for n, name, status, stage, interests, skills, private in rows:
                matched = None
                if number is not None and n == number:
                    matched = "number"
                elif name and wanted in fold(name):
                    matched = "name"
                else:
                    for field, tags in (("interests", interests), ("skills", skills)):
                        if field not in (private or ()) and any(wanted in fold(t) for t in tags or ()):
                            matched = field
                            break
                if matched is not None:
                    found.append(Found(n, name, status, stage, matched))
            order = {"number": 0, "name": 1, "interests": 2, "skills": 2}
            found.sort(key=lambda f: (order[f.matched], f.member_number))
            audit.record(
                s, community_id=community_id, action="staff.searched", at=self.clock.now(),
                platform=staff.platform, detail=f"results={len(found)}", actor=audit.actor_of(staff),
            )  # fmt: skip
            return found[:SEARCH_LIMIT]

    async def show(self, community_id: int, member: Member, staff: Identity) -> StaffProfile:
        """A member's whole profile as staff may see it (private fields hidden); the look is audited."""
        async with self.db.transaction() as s:
            a = await self._target(s, community_id, member)
            points, _ = await totals_of(s, community_id, a.id)
            view = view_of(a, await platforms_of(s, a))
            audit.record(
                s, community_id=community_id, action="staff.viewed_profile", at=self.clock.now(),
                ambassador_id=a.id, platform=staff.platform, detail=f"member_number={a.member_number}",
                actor=audit.actor_of(staff),
            )  # fmt: skip
            return StaffProfile(view, staff_view(view), points, a.stage_manual, a.suspended_at, a.left_at)

    # --- suspension ----------------------------------------------------------------------------------
    async def suspend(
        self, community_id: int, member: Member, staff: Identity, reason: str
    ) -> AmbassadorView:
        """Suspend an active member: every command on both apps answers that the membership is suspended,
        and they are left out of new votes, event cards and matches, until reinstated."""
        why = clean_reason(reason)
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await self._target(s, community_id, member)
            if a.status == "suspended":
                raise DomainError("moderation.error.already_suspended", number=a.member_number)
            if a.status != "active":
                raise DomainError("moderation.error.left", number=a.member_number)
            me = await member_for(s, staff)
            if me is not None and me.id == a.id:
                raise DomainError("moderation.error.self")
            a.status, a.suspended_at, a.updated_at = "suspended", now, now
            audit.record(
                s, community_id=community_id, action="ambassador.suspended", at=now, ambassador_id=a.id,
                platform=staff.platform, detail=f"member_number={a.member_number}",
                actor=audit.actor_of(staff), reason=why,
            )  # fmt: skip
            await s.flush()
            return view_of(a, await platforms_of(s, a))

    async def reinstate(
        self, community_id: int, member: Member, staff: Identity, reason: str
    ) -> AmbassadorView:
        why = clean_reason(reason)
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await self._target(s, community_id, member)
            if a.status != "suspended":
                raise DomainError("moderation.error.not_suspended", number=a.member_number)
            a.status, a.suspended_at, a.updated_at = "active", None, now
            audit.record(
                s, community_id=community_id, action="ambassador.reinstated", at=now, ambassador_id=a.id,
                platform=staff.platform, detail=f"member_number={a.member_number}",
                actor=audit.actor_of(staff), reason=why,
            )  # fmt: skip
            await s.flush()
            return view_of(a, await platforms_of(s, a))

    # --- taking back a contribution ------------------------------------------------------------------
    async def remove_contribution(self, community_id: int, seq: int, staff: Identity, reason: str) -> Removal:
        """Take back what one ledger entry added, once: a ``correct`` entry with the opposite points that
        refers to it (the ledger is append-only). Naming an approval takes back its claim; a claim still
        waiting for review leaves the queue. The totals follow; the stage is not lowered automatically."""
        why = clean_reason(reason)
        now = self.clock.now()
        async with self.db.transaction() as s:
            # The ledger lock first: two removals of one entry are serialised, and the second sees the first.
            await s.execute(
                update(Community).where(Community.id == community_id).values(ledger_seq=Community.ledger_seq)
            )
            entry = await self._entry(s, community_id, seq)
            if entry is None:
                raise DomainError("moderation.error.entry_not_found", seq=seq)
            if entry.kind == "approve" and entry.refers_to is not None:
                claim = await self._entry(s, community_id, entry.refers_to)
                entry = claim if claim is not None else entry
            if entry.kind in ("reject", "correct"):
                raise DomainError("moderation.error.not_removable", seq=seq)
            done = await s.scalar(
                select(LedgerEntry.seq).where(
                    LedgerEntry.community_id == community_id,
                    LedgerEntry.kind == "correct",
                    LedgerEntry.refers_to == entry.seq,
                )
            )
            if done is not None:
                raise DomainError("moderation.error.already_removed", seq=entry.seq)
            points, entries = await self._added(s, entry)
            fixed = await ledger.append(
                s, community_id=community_id, ambassador_id=entry.ambassador_id, kind="correct",
                category=entry.category, points=-points, refers_to=entry.seq, actor=audit.actor_of(staff),
                description=why, occurred_on=entry.occurred_on, created_at=now, counts_as_entry=False,
                entries_delta=-entries,
            )  # fmt: skip
            audit.record(
                s, community_id=community_id, action="contribution.removed", at=now,
                ambassador_id=entry.ambassador_id, platform=staff.platform,
                detail=f"seq={entry.seq} points=-{points} correction={fixed.seq}",
                actor=audit.actor_of(staff), reason=why,
            )  # fmt: skip
            member = await s.get(Ambassador, entry.ambassador_id)
            assert member is not None
            return Removal(
                fixed.seq,
                entry.seq,
                points,
                entry.category,
                why,
                view_of(member, await platforms_of(s, member)),
            )

    @staticmethod
    async def _entry(s: AsyncSession, community_id: int, seq: int) -> LedgerEntry | None:
        return await s.scalar(
            select(LedgerEntry).where(LedgerEntry.community_id == community_id, LedgerEntry.seq == seq)
        )

    async def _added(self, s: AsyncSession, entry: LedgerEntry) -> tuple[int, int]:
        """(points, approved entries) the entry added to the member's totals, its review included."""
        if entry.kind == "thanks":
            return entry.points, 0
        if entry.kind == "auto":
            return entry.points, 0 if entry.category == BALLOT else 1
        # A claim: counted at once, approved later, rejected, or still waiting.
        if entry.points > 0:
            return entry.points, 1
        decision = await s.scalar(
            select(LedgerEntry).where(
                LedgerEntry.community_id == entry.community_id,
                LedgerEntry.refers_to == entry.seq,
                LedgerEntry.kind.in_(("approve", "reject")),
            )
        )
        if decision is not None and decision.kind == "approve":
            return decision.points, 1
        if decision is not None:  # rejected: it added nothing to take back
            raise DomainError("moderation.error.not_removable", seq=entry.seq)
        await s.execute(
            delete(PendingReview).where(
                PendingReview.community_id == entry.community_id, PendingReview.claim_seq == entry.seq
            )
        )
        return 0, 0

    # --- the audit log -------------------------------------------------------------------------------
    async def audit_log(
        self,
        community_id: int,
        staff: Identity,
        member: Member | None = None,
        action: str | None = None,
        page: int = 1,
        per_page: int = AUDIT_PAGE,
    ) -> AuditPage:
        """The latest entries, newest first, a page at a time: about one member and/or one kind of action
        ("ambassador" takes every ``ambassador.*``). Reading the log is audited too (after the read), and
        those entries are listed only when asked for (``action="staff"``)."""
        page = max(1, page)
        wanted = query_text(action or "").lower() or None
        async with self.db.transaction() as s:
            query = (
                select(AuditEntry, Ambassador.member_number)
                .outerjoin(Ambassador, Ambassador.id == AuditEntry.ambassador_id)
                .where(AuditEntry.community_id == community_id)
            )
            target = None
            if member is not None:
                target = await self._target(s, community_id, member)
                query = query.where(AuditEntry.ambassador_id == target.id)
            if wanted:
                query = query.where(
                    (AuditEntry.action == wanted)
                    | AuditEntry.action.startswith(wanted + ".", autoescape=True)
                )
            else:  # reading the log is logged, but not listed unasked: the pages would move as staff read
                query = query.where(~_is(action="staff.viewed_audit"))
            rows = (
                await s.execute(
                    query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                    .offset((page - 1) * per_page)
                    .limit(per_page + 1)
                )
            ).all()
            lines = tuple(
                AuditLine(e.id, e.created_at, e.actor, e.action, n, e.platform, e.detail, e.reason)
                for e, n in rows[:per_page]
            )
            filters = [f"page={page}"]
            if target is not None:
                filters.append(f"member_number={target.member_number}")
            if wanted:
                filters.append(f"action={wanted[:40]}")
            audit.record(
                s, community_id=community_id, action="staff.viewed_audit", at=self.clock.now(),
                ambassador_id=target.id if target else None, platform=staff.platform,
                detail=" ".join(filters), actor=audit.actor_of(staff),
            )  # fmt: skip
            return AuditPage(lines, page, len(rows) > per_page)

    async def refused(self, community_id: int, who: Identity, command: str) -> None:
        """Someone who is not staff tried a staff command: written down with who and which command."""
        async with self.db.transaction() as s:
            member = await member_for(s, who)
            audit.record(
                s, community_id=community_id, action="staff.refused", at=self.clock.now(),
                ambassador_id=member.id if member else None, platform=who.platform, detail=command[:100],
                actor=audit.actor_of(who),
            )  # fmt: skip
