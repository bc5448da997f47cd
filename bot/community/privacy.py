"""Privacy: profile fields a member keeps from staff, the member's own copy of their data, and consent to a
new version of the privacy notice. The one place these rules live; both faces call them.

- **Private fields** (``residence``, ``connection``, ``interests``, ``skills``): the member still sees them
  and they still serve the member (project matching, subcommittee suggestions), but staff views, staff
  search and exports show 非公開 / "private" instead of the value. ``staff_view`` is the helper for that.
- **My data**: everything the hub holds about the member, as one JSON document. At most one request a
  minute per member (counted from the ``privacy.exported`` audit entries, whichever app asked).
- **Re-consent**: when the community's ``privacy_notice_version`` is newer than the member's latest consent,
  ``standing`` says so and the faces ask for it before anything else; ``accept_notice`` records it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit, signing
from bot.community.ambassadors import AmbassadorView, ambassador_for, member_for, platforms_of, view_of
from bot.community.communities import CommunityDirectory
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.places import residence_label
from bot.i18n import Translator
from storage.database import Database, in_values
from storage.models import (
    Ambassador,
    AuditEntry,
    Ballot,
    ConsentRecord,
    Conversation,
    Event,
    EventCheckin,
    EventRsvp,
    HeldMessage,
    LedgerEntry,
    PlatformIdentity,
    PointTotal,
    Project,
    ProjectApplication,
    Reminder,
    Subcommittee,
    SubcommitteeMember,
    Vote,
    VoteWeight,
)

PRIVATE_FIELDS = ("residence", "connection", "interests", "skills")
EXPORT_INTERVAL = timedelta(minutes=1)
EXPORT_LINK_LIFETIME = timedelta(minutes=15)
EXPORT_FORMAT = "kankei-hub/mydata-1"
EXPORT_PURPOSE = "mydata"
LINK_ACTOR = "link"  # whoever opened a member's signed data link (the member, unless they passed it on)


# --- private fields ----------------------------------------------------------------------------------
def staff_view(view: AmbassadorView) -> dict[str, str | None]:
    """The four fields a member may hide, as staff views and exports may show them.

    Each value is the stored value as text: ``residence`` its code ("JP-32" for Shimane, "FR"),
    ``connection`` its key ("fan"), ``interests`` and ``skills`` joined with ", "; "" when not set.
    ``None`` means the member marked the field private: show 非公開 / "private" (``privacy.private`` in the
    catalog, or ``staff_labels`` for localised text), never the value."""
    values = {
        "residence": view.residence_code or "",
        "connection": view.connection or "",
        "interests": ", ".join(view.interests),
        "skills": ", ".join(view.skills),
    }
    return {k: None if k in view.private_fields else v for k, v in values.items()}


def staff_labels(tr: Translator, lang: str, view: AmbassadorView) -> dict[str, str]:
    """``staff_view`` in words for a staff reader: localised labels, 非公開 for a private field."""
    hidden, none = tr.t(lang, "privacy.private"), tr.t(lang, "profile.none")
    sep = tr.t(lang, "profile.list_separator")
    labels = {
        "residence": residence_label(view.residence_kind, view.residence_code, lang)
        if view.residence_code
        else none,
        "connection": tr.t(lang, f"profile.connection.{view.connection}") if view.connection else none,
        "interests": sep.join(view.interests) or none,
        "skills": sep.join(view.skills) or none,
    }
    return {k: hidden if k in view.private_fields else v for k, v in labels.items()}


def clean_private_fields(fields: Iterable[str]) -> tuple[str, ...]:
    chosen = set(fields)
    unknown = chosen - set(PRIVATE_FIELDS)
    if unknown:
        raise DomainError("privacy.error.unknown_field")
    return tuple(f for f in PRIVATE_FIELDS if f in chosen)


# --- the notice ----------------------------------------------------------------------------------------
def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """ "2026-10" > "2026-04", "v10" > "v9": digits compare as numbers, the rest as text."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", version.strip()) if p)


def notice_is_newer(current: str, accepted: str | None) -> bool:
    """Whether ``current`` is a newer notice than the one the member accepted (None: none on record)."""
    if accepted is None:
        return True
    return current != accepted and _version_key(current) > _version_key(accepted)


@dataclass(frozen=True)
class Standing:
    """Where a platform account stands before it may use the hub."""

    registered: bool
    suspended: bool
    language: str | None
    notice_version: str | None  # the notice to accept first; None when the member is up to date
    notice_url: str

    @property
    def needs_consent(self) -> bool:
        return self.notice_version is not None and not self.suspended


# --- my data links ---------------------------------------------------------------------------------------
def export_token(secret: str, community_key: str, ambassador_id: int, expires: datetime) -> str:
    """A link-safe token for one member's data until ``expires``, signed with the community's secret."""
    return signing.sign(secret, EXPORT_PURPOSE, community_key, ambassador_id, int(expires.timestamp()))


def read_export_token(secret: str, community_key: str, token: str, now: datetime) -> int | None:
    """The member (ambassador id) of a token this community signed that has not expired, else None."""
    found = signing.read(secret, EXPORT_PURPOSE, community_key, token, 2)
    if found is None or found[1] < now.timestamp():
        return None
    return found[0]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def _lock_member(s: AsyncSession, ambassador_id: int) -> None:
    """Serialise two requests of one member (SQLite: the write lock; PostgreSQL: the row lock)."""
    await s.execute(
        update(Ambassador).where(Ambassador.id == ambassador_id).values(updated_at=Ambassador.updated_at)
    )


async def _audited_since(s: AsyncSession, a: Ambassador, since: datetime, *, action: str) -> int:
    """How many audit entries of one action the member has since a moment."""
    count = await s.scalar(
        select(func.count()).where(
            AuditEntry.community_id == a.community_id,
            AuditEntry.ambassador_id == a.id,
            AuditEntry.action == action,
            AuditEntry.created_at > since,
        )
    )
    return int(count or 0)


class PrivacyService:
    def __init__(self, db: Database, clock: Clock, directory: CommunityDirectory) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory

    # --- private fields ---------------------------------------------------------------------------------
    async def private_fields(self, who: Identity) -> tuple[str, ...]:
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            return clean_private_fields(a.private_fields or ())

    async def set_private_fields(self, who: Identity, fields: Iterable[str]) -> tuple[str, ...]:
        """Replace the member's private fields (any of ``PRIVATE_FIELDS``); audited by field name only."""
        chosen = clean_private_fields(fields)
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            if tuple(a.private_fields or ()) != chosen:
                a.private_fields = list(chosen)
                a.updated_at = now
                audit.record(
                    s, community_id=who.community_id, action="privacy.fields_set", at=now, ambassador_id=a.id,
                    platform=who.platform, detail="private=" + ",".join(chosen), actor=audit.actor_of(who),
                )  # fmt: skip
            return chosen

    async def toggle_private(self, who: Identity, field: str) -> tuple[str, ...]:
        """Hide a field if shown, show it if hidden (LINE's one-tap buttons)."""
        current = await self.private_fields(who)
        if field not in PRIVATE_FIELDS:
            raise DomainError("privacy.error.unknown_field")
        wanted = [f for f in current if f != field] if field in current else [*current, field]
        return await self.set_private_fields(who, wanted)

    # --- the notice -------------------------------------------------------------------------------------
    def notice(self, community_id: int) -> tuple[str, str]:
        """The community's current privacy notice: (version, url)."""
        settings = self.directory.by_id(community_id).settings
        return settings.privacy_notice_version, settings.privacy_notice_url

    async def ready_members(
        self, community_id: int, platform: str, external_ids: Sequence[str]
    ) -> dict[str, tuple[str, str]]:
        """Of these accounts, the ones whose member may act right away (registered, active, the current
        notice accepted): their (language, time zone). The rest go through the gate one by one."""
        if not external_ids:
            return {}
        version, _ = self.notice(community_id)
        async with self.db.transaction() as s:
            dialect = s.get_bind().dialect.name
            accepted = select(ConsentRecord.ambassador_id).where(
                ConsentRecord.community_id == community_id, ConsentRecord.notice_version == version
            )
            rows = (
                await s.execute(
                    select(PlatformIdentity.external_id, Ambassador.language, Ambassador.timezone)
                    .join(Ambassador, Ambassador.id == PlatformIdentity.ambassador_id)
                    .where(
                        PlatformIdentity.community_id == community_id,
                        PlatformIdentity.platform == platform,
                        PlatformIdentity.active.is_(True),
                        in_values(PlatformIdentity.external_id, list(external_ids), dialect),
                        Ambassador.status == "active",
                        Ambassador.id.in_(accepted),
                    )
                )
            ).all()
        return {ext: (lang, tz) for ext, lang, tz in rows}

    async def standing(self, who: Identity) -> Standing:
        """Registered? suspended? a newer notice to accept first? One read, for the faces' gates."""
        version, url = self.notice(who.community_id)
        async with self.db.transaction() as s:
            a = await member_for(s, who)
            if a is None:
                return Standing(False, False, None, None, url)
            accepted = await self._accepted(s, a)
        newer = version if notice_is_newer(version, accepted) else None
        return Standing(True, a.status == "suspended", a.language, newer, url)

    @staticmethod
    async def _accepted(s: AsyncSession, a: Ambassador) -> str | None:
        return await s.scalar(
            select(ConsentRecord.notice_version)
            .where(ConsentRecord.community_id == a.community_id, ConsentRecord.ambassador_id == a.id)
            .order_by(ConsentRecord.consented_at.desc(), ConsentRecord.id.desc())
            .limit(1)
        )

    async def accept_notice(self, who: Identity, version: str) -> bool:
        """The member accepts the notice version they were shown. False if it was accepted already; a
        version that is no longer current (the notice changed again meanwhile) is refused."""
        current, _ = self.notice(who.community_id)
        if version != current:
            raise DomainError("privacy.error.notice_changed")
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            await _lock_member(s, a.id)
            if await self._accepted(s, a) == current:
                return False
            s.add(
                ConsentRecord(
                    community_id=who.community_id, ambassador_id=a.id, notice_version=current,
                    platform=who.platform, consented_at=now,
                )
            )  # fmt: skip
            audit.record(
                s, community_id=who.community_id, action="privacy.consented", at=now, ambassador_id=a.id,
                platform=who.platform, detail=f"version={current}", actor=audit.actor_of(who),
            )  # fmt: skip
            return True

    # --- my data ----------------------------------------------------------------------------------------
    async def export(self, who: Identity) -> dict[str, Any]:
        """Everything held about the member, as a JSON-ready document; at most once a minute."""
        async with self.db.transaction() as s:
            a = await self._claim_export(s, who)
            return await self._collect(s, a)

    async def request_export(self, who: Identity) -> int:
        """Count one request (at most once a minute) and return the member's id, for a signed link."""
        async with self.db.transaction() as s:
            return (await self._claim_export(s, who)).id

    async def export_of(self, community_id: int, ambassador_id: int) -> dict[str, Any] | None:
        """The document behind a signed link; None for a member who left (or is not of this community)."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await s.scalar(
                select(Ambassador).where(
                    Ambassador.community_id == community_id,
                    Ambassador.id == ambassador_id,
                    Ambassador.status != "left",
                )
            )
            if a is None:
                return None
            audit.record(
                s, community_id=community_id, action="privacy.downloaded", at=now, ambassador_id=a.id,
                platform="line", actor=LINK_ACTOR,
            )  # fmt: skip
            return await self._collect(s, a)

    async def _claim_export(self, s: AsyncSession, who: Identity) -> Ambassador:
        a = await ambassador_for(s, who)
        if a is None:
            raise DomainError("profile.error.not_registered")
        await _lock_member(s, a.id)
        now = self.clock.now()
        if await _audited_since(s, a, now - EXPORT_INTERVAL, action="privacy.exported"):
            raise DomainError("privacy.error.too_soon", seconds=int(EXPORT_INTERVAL.total_seconds()))
        audit.record(
            s, community_id=who.community_id, action="privacy.exported", at=now, ambassador_id=a.id,
            platform=who.platform, actor=audit.actor_of(who),
        )  # fmt: skip
        await s.flush()
        return a

    async def _collect(self, s: AsyncSession, a: Ambassador) -> dict[str, Any]:
        """The whole document. Other people appear only as member numbers or as "staff"/"system"."""
        cid, aid = a.community_id, a.id
        ref = self.directory.by_id(cid)
        identities = (
            await s.scalars(
                select(PlatformIdentity)
                .where(PlatformIdentity.community_id == cid, PlatformIdentity.ambassador_id == aid)
                .order_by(PlatformIdentity.platform)
            )
        ).all()
        own_actors = {f"{i.platform}:{i.external_id}" for i in identities}

        def by(actor: str | None) -> str:
            if actor in own_actors:
                return "you"
            if actor == LINK_ACTOR:
                return "your link"
            return "system" if actor in (None, audit.SYSTEM) else "staff"

        view = view_of(a, await platforms_of(s, a))
        consents = (
            await s.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.community_id == cid, ConsentRecord.ambassador_id == aid)
                .order_by(ConsentRecord.consented_at, ConsentRecord.id)
            )
        ).all()
        entries = (
            await s.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.community_id == cid, LedgerEntry.ambassador_id == aid)
                .order_by(LedgerEntry.seq)
            )
        ).all()
        given = (
            await s.scalars(
                select(LedgerEntry)
                .where(LedgerEntry.community_id == cid, LedgerEntry.giver_ambassador_id == aid)
                .order_by(LedgerEntry.seq)
            )
        ).all()
        others = {e.giver_ambassador_id for e in entries if e.giver_ambassador_id} | {
            e.ambassador_id for e in given
        }
        numbers: dict[int, int] = (
            {
                i: n
                for i, n in (
                    await s.execute(
                        select(Ambassador.id, Ambassador.member_number).where(
                            Ambassador.community_id == cid, Ambassador.id.in_(sorted(others))
                        )
                    )
                ).all()
            }
            if others
            else {}
        )
        points = await s.scalar(
            select(PointTotal.points).where(
                PointTotal.community_id == cid, PointTotal.ambassador_id == aid,
                PointTotal.month == "*", PointTotal.category == "*",
            )
        )  # fmt: skip
        rsvps = (
            await s.execute(
                select(EventRsvp, Event.title)
                .join(Event, Event.id == EventRsvp.event_id)
                .where(EventRsvp.community_id == cid, EventRsvp.ambassador_id == aid)
                .order_by(EventRsvp.answered_at)
            )
        ).all()
        checkins = (
            await s.execute(
                select(EventCheckin, Event.title)
                .join(Event, Event.id == EventCheckin.event_id)
                .where(EventCheckin.community_id == cid, EventCheckin.ambassador_id == aid)
                .order_by(EventCheckin.checked_in_at)
            )
        ).all()
        reminders = (
            await s.scalars(
                select(Reminder)
                .where(Reminder.community_id == cid, Reminder.ambassador_id == aid)
                .order_by(Reminder.due_at)
            )
        ).all()
        ballots = (
            await s.execute(
                select(Ballot, Vote.question, Vote.options)
                .join(Vote, Vote.id == Ballot.vote_id)
                .where(Ballot.community_id == cid, Ballot.ambassador_id == aid)
                .order_by(Ballot.cast_at, Ballot.vote_id, Ballot.option)
            )
        ).all()
        weights = (
            await s.scalars(
                select(VoteWeight)
                .where(VoteWeight.community_id == cid, VoteWeight.ambassador_id == aid)
                .order_by(VoteWeight.vote_id)
            )
        ).all()
        subcommittees = (
            await s.execute(
                select(
                    SubcommitteeMember.joined_at,
                    Subcommittee.id,
                    Subcommittee.name,
                    Subcommittee.lead_ambassador_id,
                )
                .join(Subcommittee, Subcommittee.id == SubcommitteeMember.subcommittee_id)
                .where(SubcommitteeMember.community_id == cid, SubcommitteeMember.ambassador_id == aid)
                .order_by(SubcommitteeMember.joined_at)
            )
        ).all()
        applications = (
            await s.execute(
                select(ProjectApplication, Project.title)
                .join(Project, Project.id == ProjectApplication.project_id)
                .where(ProjectApplication.community_id == cid, ProjectApplication.ambassador_id == aid)
                .order_by(ProjectApplication.applied_at)
            )
        ).all()
        held = (
            await s.scalars(
                select(HeldMessage)
                .where(HeldMessage.community_id == cid, HeldMessage.ambassador_id == aid)
                .order_by(HeldMessage.created_at)
            )
        ).all()
        conversations = (
            await s.scalars(
                select(Conversation).where(
                    Conversation.community_id == cid,
                    Conversation.platform.in_([i.platform for i in identities]),
                    Conversation.external_id.in_([i.external_id for i in identities]),
                )
            )
        ).all()
        audits = (
            await s.scalars(
                select(AuditEntry)
                .where(AuditEntry.community_id == cid, AuditEntry.ambassador_id == aid)
                .order_by(AuditEntry.created_at, AuditEntry.id)
            )
        ).all()
        residence = {"kind": a.residence_kind, "code": a.residence_code} if a.residence_code else None
        return {
            "format": EXPORT_FORMAT,
            "generated_at": self.clock.now().isoformat(),
            "community": {"key": ref.key, "name": ref.name},
            "profile": {
                "member_number": a.member_number,
                "display_name": a.display_name,
                "residence": residence,
                "connection": a.connection,
                "interests": list(a.interests),
                "skills": list(a.skills),
                "private_fields": list(view.private_fields),
                "language": a.language,
                "timezone": a.timezone,
                "stage": a.stage,
                "stage_set_by_staff": a.stage_manual,
                "status": a.status,
                "suspended_at": _iso(a.suspended_at),
                "event_news": a.event_news,
                "vote_news": a.vote_news,
                "project_news": a.project_news,
                "digest_opt_out": a.digest_opt_out,
                "registered_at": _iso(a.registered_at),
                "updated_at": _iso(a.updated_at),
                "points": int(points or 0),
            },
            "platform_accounts": [
                {"platform": i.platform, "account_id": i.external_id, "active": i.active,
                 "linked_at": _iso(i.linked_at)}
                for i in identities
            ],
            "consents": [
                {"notice_version": c.notice_version, "platform": c.platform,
                 "consented_at": _iso(c.consented_at)}
                for c in consents
            ],
            "ledger_entries": [
                {
                    "seq": e.seq, "kind": e.kind, "category": e.category, "points": e.points,
                    "claimed_points": e.claimed_points, "refers_to": e.refers_to,
                    "by": "member" if e.kind == "thanks" else by(e.actor),
                    "from_member_number": numbers.get(e.giver_ambassador_id or 0),
                    "description": e.description, "link": e.link, "occurred_on": e.occurred_on,
                    "created_at": _iso(e.created_at),
                }
                for e in entries
            ],
            "thanks_given": [
                {
                    "seq": e.seq, "to_member_number": numbers.get(e.ambassador_id), "points": e.points,
                    "description": e.description, "created_at": _iso(e.created_at),
                }
                for e in given
            ],
            "rsvps": [
                {"event_id": r.event_id, "event": title, "status": r.status, "platform": r.platform,
                 "answered_at": _iso(r.answered_at), "waitlisted_at": _iso(r.waitlisted_at)}
                for r, title in rsvps
            ],
            "checkins": [
                {"event_id": c.event_id, "event": title, "method": c.method, "ledger_seq": c.ledger_seq,
                 "checked_in_at": _iso(c.checked_in_at)}
                for c, title in checkins
            ],
            "reminders": [
                {"event_id": r.event_id, "due_at": _iso(r.due_at), "status": r.status} for r in reminders
            ],
            "ballots": [
                {"vote_id": b.vote_id, "question": question,
                 "option": options[b.option] if 0 <= b.option < len(options) else b.option,
                 "source": b.source, "cast_at": _iso(b.cast_at)}
                for b, question, options in ballots
            ],
            "vote_weights": [
                {"vote_id": w.vote_id, "points": w.points, "weight": w.weight_milli / 1000} for w in weights
            ],
            "subcommittees": [
                {"id": sid, "name": name, "lead": lead == aid, "joined_at": _iso(joined)}
                for joined, sid, name, lead in subcommittees
            ],
            "project_applications": [
                {"project_id": p.project_id, "project": title, "status": p.status, "message": p.message,
                 "platform": p.platform, "applied_at": _iso(p.applied_at), "decided_at": _iso(p.decided_at)}
                for p, title in applications
            ],
            "held_messages": [
                {"text": h.text, "created_at": _iso(h.created_at), "released_at": _iso(h.released_at)}
                for h in held
            ],
            "conversations": [
                {"platform": c.platform, "flow": c.flow, "step": c.step, "answers": c.data,
                 "updated_at": _iso(c.updated_at)}
                for c in conversations
            ],
            "audit_entries": [
                {"action": e.action, "platform": e.platform, "detail": e.detail, "reason": e.reason,
                 "by": by(e.actor), "at": _iso(e.created_at)}
                for e in audits
            ],
        }  # fmt: skip
