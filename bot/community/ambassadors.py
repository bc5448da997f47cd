"""Ambassadors: register, read and edit a profile, leave. The one place these rules live."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit
from bot.community.errors import DomainError
from bot.community.identity import Identity, Platform
from bot.community.places import Residence
from bot.community.profile_rules import (
    Profile,
    clean_connection,
    clean_display_name,
    clean_language,
    clean_residence,
    clean_tags,
    clean_timezone,
)
from storage.database import Database
from storage.models import Ambassador, Community, ConsentRecord, Conversation, LinkCode, PlatformIdentity


@dataclass(frozen=True)
class AmbassadorView:
    """A snapshot of one ambassador, safe to hand to a face."""

    id: int
    community_id: int
    member_number: int
    display_name: str | None
    residence_kind: str | None
    residence_code: str | None
    connection: str | None
    interests: tuple[str, ...]
    skills: tuple[str, ...]
    language: str
    timezone: str
    stage: int
    status: str
    registered_at: datetime
    platforms: tuple[Platform, ...]
    # Profile fields the member keeps from staff views and exports (see bot/community/privacy.py).
    private_fields: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status == "active"


def view_of(a: Ambassador, platforms: tuple[Platform, ...]) -> AmbassadorView:
    return AmbassadorView(
        id=a.id,
        community_id=a.community_id,
        member_number=a.member_number,
        display_name=a.display_name,
        residence_kind=a.residence_kind,
        residence_code=a.residence_code,
        connection=a.connection,
        interests=tuple(a.interests),
        skills=tuple(a.skills),
        language=a.language,
        timezone=a.timezone,
        stage=a.stage,
        status=a.status,
        registered_at=a.registered_at,
        platforms=platforms,
        private_fields=tuple(a.private_fields or ()),
    )


@dataclass(frozen=True)
class ProfileChanges:
    """Raw answers for the fields a member wants to change; ``None`` leaves a field as it is."""

    display_name: str | None = None
    residence: str | None = None
    connection: str | None = None
    interests: str | None = None
    skills: str | None = None
    language: str | None = None
    timezone: str | None = None


EDITABLE_FIELDS = ("display_name", "residence", "connection", "interests", "skills", "language", "timezone")


async def member_for(session: AsyncSession, who: Identity) -> Ambassador | None:
    """The ambassador behind this platform account, active or suspended (a member who left has no account
    any more); never raises. For the gates that must tell the two apart (suspension, re-consent)."""
    return await session.scalar(
        select(Ambassador)
        .join(PlatformIdentity, PlatformIdentity.ambassador_id == Ambassador.id)
        .where(
            PlatformIdentity.community_id == who.community_id,
            PlatformIdentity.platform == who.platform,
            PlatformIdentity.external_id == who.external_id,
            Ambassador.status.in_(("active", "suspended")),
        )
    )


async def ambassador_for(session: AsyncSession, who: Identity) -> Ambassador | None:
    """The active ambassador behind this platform account, if any: the one gate every member action passes.

    A suspended member is stopped here, on both apps and for every feature: ``profile.error.suspended``."""
    member = await member_for(session, who)
    if member is not None and member.status == "suspended":
        raise DomainError("profile.error.suspended")
    return member


async def active_for(session: AsyncSession, who: Identity) -> Ambassador | None:
    """The active ambassador behind someone else's account (the one thanked, checked in or named lead by
    staff), else None: their suspension is not the actor's error."""
    member = await member_for(session, who)
    return member if member is not None and member.status == "active" else None


async def active_by_number(session: AsyncSession, community_id: int, member_number: int) -> Ambassador | None:
    """The active ambassador with this member number in this community, if any."""
    return await session.scalar(
        select(Ambassador).where(
            Ambassador.community_id == community_id,
            Ambassador.member_number == member_number,
            Ambassador.status == "active",
        )
    )


async def platforms_of(session: AsyncSession, ambassador: Ambassador) -> tuple[Platform, ...]:
    rows = await session.scalars(
        select(PlatformIdentity.platform)
        .where(
            PlatformIdentity.community_id == ambassador.community_id,
            PlatformIdentity.ambassador_id == ambassador.id,
        )
        .order_by(PlatformIdentity.platform)
    )
    return tuple(p for p in rows.all() if p in ("discord", "line"))  # type: ignore[misc]


class AmbassadorService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def find(self, who: Identity) -> AmbassadorView | None:
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            return view_of(a, await platforms_of(s, a)) if a else None

    async def peek(self, who: Identity) -> AmbassadorView | None:
        """Like ``find``, but a suspended member is returned too (never raises): for a reply's language."""
        async with self.db.transaction() as s:
            a = await member_for(s, who)
            return view_of(a, await platforms_of(s, a)) if a else None

    async def get(self, who: Identity) -> AmbassadorView:
        """Like ``find``, but a person who is not registered gets ``profile.error.not_registered``."""
        view = await self.find(who)
        if view is None:
            raise DomainError("profile.error.not_registered")
        return view

    async def register(
        self,
        who: Identity,
        profile: Profile,
        *,
        notice_version: str,
        language: str,
        timezone: str,
    ) -> AmbassadorView:
        """Create the ambassador with the next member number, its identity and its consent, all at once."""
        now = self.clock.now()
        try:
            async with self.db.transaction() as s:
                if await ambassador_for(s, who) is not None:
                    raise DomainError("register.error.already_registered")
                number = await s.scalar(
                    update(Community)
                    .where(Community.id == who.community_id)
                    .values(last_member_number=Community.last_member_number + 1)
                    .returning(Community.last_member_number)
                )
                if number is None:
                    raise DomainError("common.error.unknown_community")
                amb = Ambassador(
                    community_id=who.community_id,
                    member_number=number,
                    display_name=profile.display_name,
                    residence_kind=profile.residence.kind,
                    residence_code=profile.residence.code,
                    connection=profile.connection,
                    interests=list(profile.interests),
                    skills=list(profile.skills),
                    language=clean_language(language),
                    timezone=clean_timezone(timezone),
                    stage=1,
                    status="active",
                    registered_at=now,
                    updated_at=now,
                    left_at=None,
                )
                s.add(amb)
                await s.flush()
                s.add(
                    PlatformIdentity(
                        community_id=who.community_id,
                        ambassador_id=amb.id,
                        platform=who.platform,
                        external_id=who.external_id,
                        active=True,
                        linked_at=now,
                    )
                )
                s.add(
                    ConsentRecord(
                        community_id=who.community_id,
                        ambassador_id=amb.id,
                        notice_version=notice_version,
                        platform=who.platform,
                        consented_at=now,
                    )
                )
                await s.execute(
                    delete(Conversation).where(
                        Conversation.community_id == who.community_id,
                        Conversation.platform == who.platform,
                        Conversation.external_id == who.external_id,
                    )
                )
                audit.record(
                    s,
                    community_id=who.community_id,
                    action="ambassador.registered",
                    at=now,
                    ambassador_id=amb.id,
                    platform=who.platform,
                    detail=f"member_number={number}",
                    actor=audit.actor_of(who),
                )
                await s.flush()
                return view_of(amb, (who.platform,))
        except IntegrityError:
            # Two submissions raced (a double click): the unique identity let only one in, and this
            # transaction (member number included) was rolled back whole.
            raise DomainError("register.error.already_registered") from None

    async def update_profile(self, who: Identity, changes: ProfileChanges) -> AmbassadorView:
        """Validate every given field first; store them all or none."""
        cleaned: dict[str, object] = {}
        if changes.display_name is not None:
            cleaned["display_name"] = clean_display_name(changes.display_name)
        if changes.residence is not None:
            r: Residence = clean_residence(changes.residence)
            cleaned["residence_kind"], cleaned["residence_code"] = r.kind, r.code
        if changes.connection is not None:
            cleaned["connection"] = clean_connection(changes.connection)
        if changes.interests is not None:
            cleaned["interests"] = list(clean_tags(changes.interests, "interests"))
        if changes.skills is not None:
            cleaned["skills"] = list(clean_tags(changes.skills, "skills"))
        if changes.language is not None:
            cleaned["language"] = clean_language(changes.language)
        if changes.timezone is not None:
            cleaned["timezone"] = clean_timezone(changes.timezone)
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            for field, value in cleaned.items():
                setattr(a, field, value)
            a.updated_at = now
            if cleaned:
                audit.record(
                    s,
                    community_id=who.community_id,
                    action="ambassador.profile_edited",
                    at=now,
                    ambassador_id=a.id,
                    platform=who.platform,
                    detail="fields=" + ",".join(sorted(cleaned)),
                    actor=audit.actor_of(who),
                )
            await s.flush()
            return view_of(a, await platforms_of(s, a))

    async def leave(self, who: Identity) -> AmbassadorView:
        """Erase personal fields, unlink every platform account, mark as left. The number is not reused."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            a = await ambassador_for(s, who)
            if a is None:
                raise DomainError("profile.error.not_registered")
            identities = (
                await s.scalars(
                    select(PlatformIdentity).where(
                        PlatformIdentity.community_id == who.community_id,
                        PlatformIdentity.ambassador_id == a.id,
                    )
                )
            ).all()
            platforms = tuple(sorted({i.platform for i in identities}))
            for ident in identities:
                await s.execute(
                    delete(LinkCode).where(
                        LinkCode.community_id == who.community_id,
                        LinkCode.platform == ident.platform,
                        LinkCode.external_id == ident.external_id,
                    )
                )
                await s.execute(
                    delete(Conversation).where(
                        Conversation.community_id == who.community_id,
                        Conversation.platform == ident.platform,
                        Conversation.external_id == ident.external_id,
                    )
                )
                await s.delete(ident)
            a.display_name = None
            a.residence_kind = None
            a.residence_code = None
            a.connection = None
            a.interests = []
            a.skills = []
            a.private_fields = []
            a.status = "left"
            a.left_at = now
            a.updated_at = now
            audit.record(
                s,
                community_id=who.community_id,
                action="ambassador.left",
                at=now,
                ambassador_id=a.id,
                platform=who.platform,
                actor=audit.actor_of(who),
            )
            await s.flush()
            return replace(view_of(a, ()), platforms=platforms)  # type: ignore[arg-type]

    async def set_identity_active(self, who: Identity, active: bool) -> bool:
        """LINE follow/unfollow: flip the account's flag, delete nothing. True if the account is known."""
        async with self.db.transaction() as s:
            ident = await s.scalar(
                select(PlatformIdentity).where(
                    PlatformIdentity.community_id == who.community_id,
                    PlatformIdentity.platform == who.platform,
                    PlatformIdentity.external_id == who.external_id,
                )
            )
            if ident is None:
                return False
            if ident.active != active:
                ident.active = active
                audit.record(
                    s,
                    community_id=who.community_id,
                    action="identity.followed" if active else "identity.unfollowed",
                    at=self.clock.now(),
                    ambassador_id=ident.ambassador_id,
                    platform=who.platform,
                    actor=audit.actor_of(who),
                )
            return True

    async def external_id(self, community_id: int, ambassador_id: int, platform: Platform) -> str | None:
        """The member's account on one platform (a Discord user id, say), if linked; else None."""
        async with self.db.transaction() as s:
            return await s.scalar(
                select(PlatformIdentity.external_id).where(
                    PlatformIdentity.community_id == community_id,
                    PlatformIdentity.ambassador_id == ambassador_id,
                    PlatformIdentity.platform == platform,
                )
            )

    async def identity_active(self, who: Identity) -> bool | None:
        async with self.db.transaction() as s:
            return await s.scalar(
                select(PlatformIdentity.active).where(
                    PlatformIdentity.community_id == who.community_id,
                    PlatformIdentity.platform == who.platform,
                    PlatformIdentity.external_id == who.external_id,
                )
            )
