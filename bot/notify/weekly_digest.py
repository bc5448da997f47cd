"""The weekly digest: one message per member with what is waiting for them.

Once a week (``[communities.digest]``: weekday and hour in the community's zone) each member who has not
opted out gets ONE message with: upcoming events they have not answered (open ones and their
subcommittees'), open votes they may still cast, new open projects matching their skills or interests,
and the messages held back because the month's LINE push budget was spent. Nothing to say: no message.

It goes as a Discord DM (free) to members who linked Discord, else as one LINE push (claimed against the
budget first; with none left, the member's held messages stay held for a later digest). Each member is
claimed once per week across processes (``deliveries``: kind "digest", item ``year * 100 + ISO week``).
The scheduler calls ``run`` every hour; it acts only once a community's slot has come.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from bot.clock import Clock
from bot.community import audit
from bot.community.ambassadors import ambassador_for
from bot.community.communities import CommunityDirectory, CommunityRef
from bot.community.due import Scope
from bot.community.errors import DomainError
from bot.community.identity import Identity, Platform
from bot.community.subcommittees import name_key
from bot.i18n import Translator, When
from bot.notify.budget import PushBudget
from bot.notify.deliveries import DeliveryClaims
from bot.notify.digest_week import DigestWeek, digest_week, next_digest_at
from bot.notify.held import Held, HeldMessages
from bot.notify.notifier import Notifier
from storage.database import Database
from storage.models import (
    Ambassador,
    Ballot,
    Event,
    EventRsvp,
    PlatformIdentity,
    Project,
    ProjectApplication,
    SubcommitteeMember,
    Vote,
    VoteWeight,
)

log = logging.getLogger(__name__)

KIND = "digest"
EVENT_HORIZON = timedelta(days=21)  # events starting within three weeks
ITEMS_MAX = 5  # per section
TEXT_MAX = 1900  # one Discord message (2,000) with room to spare; LINE allows 5,000
HELD_MAX = 800  # one held message in the digest (a longer one is cut)


@dataclass(frozen=True)
class DigestItem:
    key: str  # the catalog line
    params: dict[str, object]


@dataclass
class DigestContent:
    events: list[DigestItem] = field(default_factory=list)
    votes: list[DigestItem] = field(default_factory=list)
    projects: list[DigestItem] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    more: dict[str, int] = field(default_factory=dict)  # section → items left out

    @property
    def empty(self) -> bool:
        return not (self.events or self.votes or self.projects or self.held)


@dataclass(frozen=True)
class DigestRun:
    communities: int  # whose digest was due
    sent: int  # members who got one
    nothing: int  # members with nothing to say (no message)
    held: int  # LINE members the month's budget could not reach (their held messages wait)
    failed: int  # the platform refused (a LINE failure is tried again at the next run)


@dataclass(frozen=True)
class _Member:
    id: int
    language: str
    timezone: str
    interests: tuple[str, ...]
    skills: tuple[str, ...]
    discord_id: str | None
    line_id: str | None


@dataclass
class _Context:
    """What the community has for its members this week, loaded once per run."""

    events: list[Event]
    answered: set[tuple[int, int]]  # (event, member)
    subcommittees: defaultdict[int, set[int]]  # member → subcommittees
    votes: list[Vote]
    eligible: set[tuple[int, int]]  # (vote, member)
    voted: set[tuple[int, int]]
    projects: list[Project]
    applied: set[tuple[int, int]]  # (project, member)
    held: dict[int, list[Held]]


class WeeklyDigest:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        directory: CommunityDirectory,
        tr: Translator,
        budget: PushBudget,
        held: HeldMessages,
        notifier: Notifier,
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.tr = tr
        self.budget = budget
        self.held = held
        self.notifier = notifier
        self.claims = DeliveryClaims(db, clock, KIND)

    # --- members' choice ------------------------------------------------------------------------------
    async def set_digest(self, who: Identity, on: bool) -> bool:
        """Opt in (``on``) or out of the weekly digest. Returns whether it is now on."""
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            if member.digest_opt_out == on:
                member.digest_opt_out = not on
                audit.record(
                    s, community_id=who.community_id, action="ambassador.digest", at=self.clock.now(),
                    ambassador_id=member.id, platform=who.platform, detail=f"on={on}",
                    actor=f"{who.platform}:{who.external_id}",
                )  # fmt: skip
            return on

    async def digest_on(self, who: Identity) -> bool:
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            return not member.digest_opt_out

    def next_at(self, community_id: int) -> datetime | None:
        """When the community's next digest is due (None: the digest is off)."""
        return next_digest_at(self.directory.by_id(community_id).settings, self.clock.now())

    # --- the run --------------------------------------------------------------------------------------
    async def run(self, scope: Scope = None) -> DigestRun:
        """Send every digest that is due and not yet sent (called every hour by the scheduler)."""
        due = sent = nothing = held = failed = 0
        now = self.clock.now()
        for ref in self.directory.all():
            if scope is not None and ref.id not in scope:
                continue  # another process's (a Discord shard's) community
            if not ref.settings.digest.enabled:
                continue
            week = digest_week(ref.settings, now)
            if now < week.slot:
                continue
            due += 1
            r = await self.run_community(ref, week)
            sent, nothing, held, failed = sent + r.sent, nothing + r.nothing, held + r.held, failed + r.failed
        return DigestRun(due, sent, nothing, held, failed)

    async def run_community(self, ref: CommunityRef, week: DigestWeek) -> DigestRun:
        members = await self._waiting(ref.id, week)
        if not members:
            return DigestRun(1, 0, 0, 0, 0)
        context = await self._context(ref.id, week)
        limit = self.budget.limit(ref.id)
        exhausted = limit is not None and await self.budget.used(ref.id) >= limit
        sent = held = failed = 0
        quiet: list[int] = []
        for member in members:
            platform = self._platform(member)
            if platform is None:
                continue  # this process has no face for them: one that has will send it
            content = self._content(context, member)
            if content.empty:
                quiet.append(member.id)
                continue
            if platform == "line" and exhausted:
                held += 1
                continue
            if not await self.claims.claim(ref.id, week.item, [member.id]):
                continue  # another process has this member
            if platform == "line" and not await self.budget.claim(ref.id):
                exhausted = True
                held += 1
                await self.claims.unclaim(ref.id, week.item, [member.id])
                continue
            text, shown = self.render(ref, member.language, member.timezone, content, platform)
            external = member.discord_id if platform == "discord" else member.line_id
            sink = self.notifier.sink(platform)
            assert sink is not None and external is not None
            if await sink.send(ref.id, external, text):
                await self.held.release(ref.id, [h.id for h in shown])
                sent += 1
                continue
            failed += 1
            if platform == "line":  # LINE refused: give the push back and try again at the next run
                await self.budget.release(ref.id)
                await self.claims.unclaim(ref.id, week.item, [member.id])
            else:
                log.info("weekly digest DM not delivered", extra={"community_id": ref.id})
        nothing = len(await self.claims.claim(ref.id, week.item, quiet))  # done for the week
        if held:
            log.warning(
                "LINE push budget spent: weekly digests held",
                extra={"community_id": ref.id, "held": held},
            )
        return DigestRun(1, sent, nothing, held, failed)

    def _platform(self, member: _Member) -> Platform | None:
        """Discord (free) when they linked it, else LINE; None when this process cannot reach them."""
        if member.discord_id is not None:
            return "discord" if self.notifier.sink("discord") is not None else None
        if member.line_id is not None and self.notifier.sink("line") is not None:
            return "line"
        return None

    async def _waiting(self, community_id: int, week: DigestWeek) -> list[_Member]:
        """Active members who want the digest, registered before the slot, not yet claimed this week."""
        done = self.claims.claimed_query(community_id, week.item)
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(
                        Ambassador.id,
                        Ambassador.language,
                        Ambassador.timezone,
                        Ambassador.interests,
                        Ambassador.skills,
                    )
                    .where(
                        Ambassador.community_id == community_id,
                        Ambassador.status == "active",
                        Ambassador.digest_opt_out.is_(False),
                        Ambassador.registered_at < week.slot,
                        Ambassador.id.not_in(done),
                    )
                    .order_by(Ambassador.member_number)
                )
            ).all()
            accounts = (
                await s.execute(
                    select(
                        PlatformIdentity.ambassador_id,
                        PlatformIdentity.platform,
                        PlatformIdentity.external_id,
                    ).where(PlatformIdentity.community_id == community_id, PlatformIdentity.active.is_(True))
                )
            ).all()
        ids = {(a, p): ext for a, p, ext in accounts}
        return [
            _Member(
                aid,
                lang,
                tz,
                tuple(interests),
                tuple(skills),
                ids.get((aid, "discord")),
                ids.get((aid, "line")),
            )
            for aid, lang, tz, interests, skills in rows
        ]

    async def _context(self, community_id: int, week: DigestWeek) -> _Context:
        now = self.clock.now()
        async with self.db.transaction() as s:

            async def pairs(query: Select[int, int]) -> set[tuple[int, int]]:
                return {(int(a), int(b)) for a, b in (await s.execute(query)).all()}

            events = list(
                (
                    await s.scalars(
                        select(Event)
                        .where(
                            Event.community_id == community_id,
                            Event.status == "scheduled",
                            Event.starts_at > now,
                            Event.starts_at <= now + EVENT_HORIZON,
                        )
                        .order_by(Event.starts_at, Event.id)
                    )
                ).all()
            )
            answered = await pairs(
                select(EventRsvp.event_id, EventRsvp.ambassador_id).where(
                    EventRsvp.community_id == community_id, EventRsvp.event_id.in_([e.id for e in events])
                )
            )
            subs: defaultdict[int, set[int]] = defaultdict(set)
            for aid, sub in await pairs(
                select(SubcommitteeMember.ambassador_id, SubcommitteeMember.subcommittee_id).where(
                    SubcommitteeMember.community_id == community_id
                )
            ):
                subs[aid].add(sub)
            votes = list(
                (
                    await s.scalars(
                        select(Vote)
                        .where(Vote.community_id == community_id, Vote.status == "open", Vote.closes_at > now)
                        .order_by(Vote.closes_at, Vote.id)
                    )
                ).all()
            )
            vote_ids = [v.id for v in votes]
            eligible = await pairs(
                select(VoteWeight.vote_id, VoteWeight.ambassador_id).where(
                    VoteWeight.community_id == community_id, VoteWeight.vote_id.in_(vote_ids)
                )
            )
            voted = await pairs(
                select(Ballot.vote_id, Ballot.ambassador_id)
                .where(Ballot.community_id == community_id, Ballot.vote_id.in_(vote_ids))
                .distinct()
            )
            projects = list(
                (
                    await s.scalars(
                        select(Project)
                        .where(
                            Project.community_id == community_id,
                            Project.status == "open",
                            Project.deadline > now,
                            Project.created_at >= week.slot - timedelta(days=7),
                        )
                        .order_by(Project.deadline, Project.id)
                    )
                ).all()
            )
            applied = await pairs(
                select(ProjectApplication.project_id, ProjectApplication.ambassador_id).where(
                    ProjectApplication.community_id == community_id,
                    ProjectApplication.project_id.in_([p.id for p in projects]),
                )
            )
        held = await self.held.pending(community_id)
        return _Context(events, answered, subs, votes, eligible, voted, projects, applied, held)

    def _content(self, c: _Context, m: _Member) -> DigestContent:
        out = DigestContent(held=list(c.held.get(m.id, [])))
        mine = c.subcommittees.get(m.id, set())
        events = [
            DigestItem("digest.event", {"title": e.title, "when": When(e.starts_at, e.ends_at)})
            for e in c.events
            if (e.subcommittee_id is None or e.subcommittee_id in mine) and (e.id, m.id) not in c.answered
        ]
        votes = [
            DigestItem("digest.vote", {"id": v.id, "question": v.question, "closes": When(v.closes_at)})
            for v in c.votes
            if (v.id, m.id) in c.eligible and (v.id, m.id) not in c.voted
        ]
        theirs = {name_key(t) for t in (*m.skills, *m.interests)}
        projects = [
            DigestItem("digest.project", {"id": p.id, "title": p.title, "deadline": When(p.deadline)})
            for p in c.projects
            if theirs & {name_key(t) for t in p.skills} and (p.id, m.id) not in c.applied
        ]
        for section, items in (("events", events), ("votes", votes), ("projects", projects)):
            getattr(out, section).extend(items[:ITEMS_MAX])
            if len(items) > ITEMS_MAX:
                out.more[section] = len(items) - ITEMS_MAX
        return out

    def render(
        self, ref: CommunityRef, lang: str, tz: str, content: DigestContent, platform: Platform
    ) -> tuple[str, list[Held]]:
        """The digest in the member's language and zone, and the held messages it carries (as many as fit;
        the rest wait for the next digest)."""

        def t(key: str, **params: object) -> str:
            return self.tr.t(lang, key, tz=tz, **params)

        parts = [t("digest.title", community=ref.name)]
        for section in ("events", "votes", "projects"):
            items: list[DigestItem] = getattr(content, section)
            if not items:
                continue
            lines = [t(f"digest.section.{section}")] + [t(i.key, **i.params) for i in items]
            if content.more.get(section):
                lines.append(t("digest.more", count=content.more[section]))
            parts.append("\n".join(lines))
        footer = t(f"{platform}.digest.footer")
        shown: list[Held] = []
        if content.held:
            size = sum(len(p) + 2 for p in parts) + len(footer) + 200
            lines = [t("digest.section.held")]
            for item in content.held:
                text = item.text if len(item.text) <= HELD_MAX else item.text[: HELD_MAX - 1] + "…"
                line = "・" + text
                if size + len(line) + 1 > TEXT_MAX:
                    break
                lines.append(line)
                size += len(line) + 1
                shown.append(item)
            if len(shown) < len(content.held):
                lines.append(t("digest.held_later", count=len(content.held) - len(shown)))
            parts.append("\n".join(lines))
        parts.append(footer)
        return "\n\n".join(parts), shown
