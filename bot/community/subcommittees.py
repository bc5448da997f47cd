"""Subcommittees (分科会): interest groups members join from Discord or LINE, each led by a member staff name.

The Discord channel and role are made by the face; this keeps the rules: unique names per community, a
limit on how many, who may join (not an archived one), who leads (and so may post events and open votes
for it), and which subcommittees match a member's interests.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit
from bot.community.ambassadors import active_by_number, active_for, ambassador_for
from bot.community.communities import CommunityDirectory
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.profile_rules import clean_tags
from bot.community.text import clean_text, query_text
from storage.database import Database
from storage.models import Ambassador, PlatformIdentity, Subcommittee, SubcommitteeMember

NAME_MAX = 40
DESCRIPTION_MAX = 500


@dataclass(frozen=True)
class SubcommitteeView:
    id: int
    community_id: int
    name: str
    description: str
    tags: tuple[str, ...]
    status: str
    lead_ambassador_id: int | None
    members: int
    discord_channel_id: int | None
    discord_role_id: int | None

    @property
    def open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class NewSubcommittee:
    """A checked name, description and tags, before the Discord channel and role are made."""

    community_id: int
    name: str
    name_key: str
    description: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class DigestDue:
    subcommittee: SubcommitteeView
    since: datetime  # the activity after this goes in the digest


@dataclass(frozen=True)
class Membership:
    subcommittee: SubcommitteeView
    changed: bool  # False: already a member (or already not)


def name_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


async def _view(s: AsyncSession, row: Subcommittee) -> SubcommitteeView:
    members = await s.scalar(
        select(func.count())
        .select_from(SubcommitteeMember)
        .join(Ambassador, Ambassador.id == SubcommitteeMember.ambassador_id)
        .where(SubcommitteeMember.subcommittee_id == row.id, Ambassador.status == "active")
    )
    return SubcommitteeView(
        row.id, row.community_id, row.name, row.description, tuple(row.tags), row.status,
        row.lead_ambassador_id, int(members or 0), row.discord_channel_id, row.discord_role_id,
    )  # fmt: skip


async def subcommittee_of(s: AsyncSession, community_id: int, subcommittee_id: int) -> Subcommittee:
    """A subcommittee of this community (one of another community is "not found")."""
    row = await s.scalar(
        select(Subcommittee).where(
            Subcommittee.community_id == community_id, Subcommittee.id == subcommittee_id
        )
    )
    if row is None:
        raise DomainError("subcommittee.error.not_found")
    return row


async def open_subcommittee(s: AsyncSession, community_id: int, subcommittee_id: int) -> Subcommittee:
    """An open subcommittee of this community."""
    row = await subcommittee_of(s, community_id, subcommittee_id)
    if row.status != "open":
        raise DomainError("subcommittee.error.archived", name=row.name)
    return row


async def member_of(s: AsyncSession, subcommittee_id: int, ambassador_id: int) -> bool:
    found = await s.scalar(
        select(SubcommitteeMember.ambassador_id).where(
            SubcommitteeMember.subcommittee_id == subcommittee_id,
            SubcommitteeMember.ambassador_id == ambassador_id,
        )
    )
    return found is not None


async def check_lead(
    s: AsyncSession, who: Identity, subcommittee_id: int | None, is_staff: bool, *, must_be_open: bool = True
) -> None:
    """Staff may act for any subcommittee (or none); a lead only for their own (open, to post new things)."""
    if is_staff:
        if subcommittee_id is not None and must_be_open:
            await open_subcommittee(s, who.community_id, subcommittee_id)
        return
    if subcommittee_id is None:
        raise DomainError("staff.error.not_staff")
    row = await subcommittee_of(s, who.community_id, subcommittee_id)
    if must_be_open and row.status != "open":
        raise DomainError("subcommittee.error.archived", name=row.name)
    member = await ambassador_for(s, who)
    if member is None or row.lead_ambassador_id != member.id:
        raise DomainError("subcommittee.error.not_lead", name=row.name)


class SubcommitteeService:
    def __init__(self, db: Database, clock: Clock, directory: CommunityDirectory) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory

    # --- staff --------------------------------------------------------------------------------------
    async def check_new(
        self, community_id: int, name: str, description: str = "", tags: str = ""
    ) -> NewSubcommittee:
        """Check a new subcommittee before its Discord channel and role are made: nothing is stored yet."""
        clean_name = clean_text(
            name, "subcommittee.error.name_empty", "subcommittee.error.name_too_long", NAME_MAX
        )
        clean_description = (
            clean_text(
                description,
                "subcommittee.error.description_too_long",
                "subcommittee.error.description_too_long",
                DESCRIPTION_MAX,
            )
            if description.strip()
            else ""
        )
        clean = NewSubcommittee(
            community_id, clean_name, name_key(clean_name), clean_description, clean_tags(tags, "interests")
        )
        rules = self.directory.by_id(community_id).settings.subcommittees
        async with self.db.transaction() as s:
            taken = await s.scalar(
                select(Subcommittee.id).where(
                    Subcommittee.community_id == community_id, Subcommittee.name_key == clean.name_key
                )
            )
            if taken is not None:
                raise DomainError("subcommittee.error.name_taken", name=clean_name)
            count = await s.scalar(
                select(func.count())
                .select_from(Subcommittee)
                .where(Subcommittee.community_id == community_id)
            )
            if int(count or 0) >= rules.max_per_community:
                raise DomainError("subcommittee.error.too_many", max=rules.max_per_community)
        return clean

    async def create(
        self,
        new: NewSubcommittee,
        staff: Identity,
        discord_channel_id: int | None = None,
        discord_role_id: int | None = None,
    ) -> SubcommitteeView:
        """Store it (with its Discord channel and role, if made). A name taken meanwhile is refused whole."""
        now = self.clock.now()
        try:
            async with self.db.transaction() as s:
                row = Subcommittee(
                    community_id=new.community_id, name=new.name, name_key=new.name_key,
                    description=new.description, tags=list(new.tags), status="open",
                    discord_channel_id=discord_channel_id, discord_role_id=discord_role_id,
                    created_by=f"{staff.platform}:{staff.external_id}", created_at=now,
                )  # fmt: skip
                s.add(row)
                await s.flush()
                audit.record(
                    s, community_id=new.community_id, action="subcommittee.created", at=now,
                    platform=staff.platform, detail=f"subcommittee={row.id}", actor=audit.actor_of(staff),
                )  # fmt: skip
                return await _view(s, row)
        except IntegrityError:
            raise DomainError("subcommittee.error.name_taken", name=new.name) from None

    async def set_lead(
        self, community_id: int, subcommittee_id: int, member: Identity | int, staff: Identity
    ) -> SubcommitteeView:
        """Name a lead (a member of the subcommittee, who joins it if not yet)."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            row = await open_subcommittee(s, community_id, subcommittee_id)
            found = (
                await active_by_number(s, community_id, member)
                if isinstance(member, int)
                else await active_for(s, member)
            )
            if found is None:
                raise DomainError("subcommittee.error.lead_not_member")
            row.lead_ambassador_id = found.id
            if not await member_of(s, row.id, found.id):
                s.add(SubcommitteeMember(subcommittee_id=row.id, ambassador_id=found.id,
                                         community_id=community_id, joined_at=now))  # fmt: skip
            audit.record(
                s, community_id=community_id, action="subcommittee.lead_set", at=now, ambassador_id=found.id,
                platform=staff.platform, detail=f"subcommittee={row.id}", actor=audit.actor_of(staff),
            )  # fmt: skip
            await s.flush()
            return await _view(s, row)

    async def archive(self, community_id: int, subcommittee_id: int, staff: Identity) -> SubcommitteeView:
        """Archived: no one joins, no events or votes for it; members and history are kept for a restore."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            row = await open_subcommittee(s, community_id, subcommittee_id)
            row.status = "archived"
            row.archived_at = now
            audit.record(
                s, community_id=community_id, action="subcommittee.archived", at=now, platform=staff.platform,
                detail=f"subcommittee={row.id}", actor=audit.actor_of(staff),
            )  # fmt: skip
            return await _view(s, row)

    async def restore(
        self, community_id: int, subcommittee_id: int, staff: Identity, discord_role_id: int | None = None
    ) -> SubcommitteeView:
        now = self.clock.now()
        async with self.db.transaction() as s:
            row = await subcommittee_of(s, community_id, subcommittee_id)
            if row.status == "open":
                raise DomainError("subcommittee.error.not_archived", name=row.name)
            row.status = "open"
            row.archived_at = None
            if discord_role_id is not None:
                row.discord_role_id = discord_role_id
            audit.record(
                s, community_id=community_id, action="subcommittee.restored", at=now, platform=staff.platform,
                detail=f"subcommittee={row.id}", actor=audit.actor_of(staff),
            )  # fmt: skip
            return await _view(s, row)

    async def set_discord(
        self, community_id: int, subcommittee_id: int, channel_id: int | None, role_id: int | None
    ) -> None:
        async with self.db.transaction() as s:
            row = await subcommittee_of(s, community_id, subcommittee_id)
            row.discord_channel_id, row.discord_role_id = channel_id, role_id

    # --- members ------------------------------------------------------------------------------------
    async def join(self, who: Identity, subcommittee_id: int) -> Membership:
        now = self.clock.now()
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            row = await open_subcommittee(s, who.community_id, subcommittee_id)
            if await member_of(s, row.id, member.id):
                return Membership(await _view(s, row), False)
            s.add(SubcommitteeMember(subcommittee_id=row.id, ambassador_id=member.id,
                                     community_id=who.community_id, joined_at=now))  # fmt: skip
            await s.flush()
            return Membership(await _view(s, row), True)

    async def leave(self, who: Identity, subcommittee_id: int) -> Membership:
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            row = await subcommittee_of(s, who.community_id, subcommittee_id)
            gone = await s.execute(
                delete(SubcommitteeMember).where(
                    SubcommitteeMember.subcommittee_id == row.id,
                    SubcommitteeMember.ambassador_id == member.id,
                )
            )
            if row.lead_ambassador_id == member.id:
                row.lead_ambassador_id = None  # a lead who leaves stops leading
            return Membership(await _view(s, row), gone.rowcount == 1)  # type: ignore[attr-defined]

    # --- reading ------------------------------------------------------------------------------------
    async def get(self, community_id: int, subcommittee_id: int) -> SubcommitteeView:
        async with self.db.transaction() as s:
            row = await subcommittee_of(s, community_id, subcommittee_id)
            return await _view(s, row)

    async def by_name(self, community_id: int, name: str) -> SubcommitteeView:
        async with self.db.transaction() as s:
            row = await s.scalar(
                select(Subcommittee).where(
                    Subcommittee.community_id == community_id,
                    Subcommittee.name_key == name_key(query_text(name)),
                )
            )
            if row is None:
                raise DomainError("subcommittee.error.not_found")
            return await _view(s, row)

    async def all(self, community_id: int, *, include_archived: bool = False) -> list[SubcommitteeView]:
        query = select(Subcommittee).where(Subcommittee.community_id == community_id)
        if not include_archived:
            query = query.where(Subcommittee.status == "open")
        async with self.db.transaction() as s:
            rows = (await s.scalars(query.order_by(Subcommittee.name_key))).all()
            return [await _view(s, r) for r in rows]

    async def mine(self, who: Identity) -> list[SubcommitteeView]:
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            rows = (
                await s.scalars(
                    select(Subcommittee)
                    .join(SubcommitteeMember, SubcommitteeMember.subcommittee_id == Subcommittee.id)
                    .where(
                        Subcommittee.community_id == who.community_id,
                        SubcommitteeMember.ambassador_id == member.id,
                    )
                    .order_by(Subcommittee.name_key)
                )
            ).all()
            return [await _view(s, r) for r in rows]

    async def discord_members(self, community_id: int, subcommittee_id: int) -> list[str]:
        """The Discord accounts of its active members (to give or take the role)."""
        async with self.db.transaction() as s:
            rows = await s.scalars(
                select(PlatformIdentity.external_id)
                .join(SubcommitteeMember, SubcommitteeMember.ambassador_id == PlatformIdentity.ambassador_id)
                .join(Ambassador, Ambassador.id == PlatformIdentity.ambassador_id)
                .where(
                    SubcommitteeMember.subcommittee_id == subcommittee_id,
                    SubcommitteeMember.community_id == community_id,
                    PlatformIdentity.platform == "discord",
                    Ambassador.status == "active",
                )
            )
            return list(rows.all())

    async def suggest(self, who: Identity, limit: int = 3) -> list[SubcommitteeView]:
        """Open subcommittees the member has not joined whose tags meet their interests (or skills), best
        first: for the end of a registration or a profile edit."""
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                return []
            mine = {name_key(t) for t in (*member.interests, *member.skills)}
            if not mine:
                return []
            joined = select(SubcommitteeMember.subcommittee_id).where(
                SubcommitteeMember.ambassador_id == member.id
            )
            rows = (
                await s.scalars(
                    select(Subcommittee).where(
                        Subcommittee.community_id == who.community_id,
                        Subcommittee.status == "open",
                        Subcommittee.id.not_in(joined),
                    )
                )
            ).all()
            scored = [(len(mine & {name_key(t) for t in r.tags}), r) for r in rows]
            best = sorted((x for x in scored if x[0] > 0), key=lambda x: (-x[0], x[1].name_key))[:limit]
            return [await _view(s, r) for _, r in best]

    async def claim_digests(self, community_id: int, every: timedelta) -> list[DigestDue]:
        """The open subcommittees with a Discord channel whose digest is due, each claimed for this caller
        alone (a compare-and-set on ``digest_sent_at``), with the time their last digest covered up to."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(Subcommittee.id, Subcommittee.digest_sent_at, Subcommittee.created_at).where(
                        Subcommittee.community_id == community_id,
                        Subcommittee.status == "open",
                        Subcommittee.discord_channel_id.is_not(None),
                    )
                )
            ).all()
        due: list[DigestDue] = []
        for sub_id, sent_at, created_at in rows:
            if sent_at is not None and now - sent_at < every:
                continue
            async with self.db.transaction() as s:
                same = (
                    Subcommittee.digest_sent_at.is_(None)
                    if sent_at is None
                    else Subcommittee.digest_sent_at == sent_at
                )
                claimed = await s.execute(
                    update(Subcommittee).where(Subcommittee.id == sub_id, same).values(digest_sent_at=now)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another process took it
                row = await s.get(Subcommittee, sub_id)
                assert row is not None
                due.append(DigestDue(await _view(s, row), sent_at or created_at))
        return due

    async def line_only_members(self, community_id: int, subcommittee_id: int) -> list[int]:
        """Active members reachable on LINE with no Discord account: they cannot read the channel."""
        on_discord = select(PlatformIdentity.ambassador_id).where(
            PlatformIdentity.community_id == community_id, PlatformIdentity.platform == "discord"
        )
        async with self.db.transaction() as s:
            rows = await s.scalars(
                select(Ambassador.id)
                .join(SubcommitteeMember, SubcommitteeMember.ambassador_id == Ambassador.id)
                .join(PlatformIdentity, PlatformIdentity.ambassador_id == Ambassador.id)
                .where(
                    SubcommitteeMember.subcommittee_id == subcommittee_id,
                    SubcommitteeMember.community_id == community_id,
                    Ambassador.status == "active",
                    PlatformIdentity.platform == "line",
                    PlatformIdentity.active.is_(True),
                    Ambassador.id.not_in(on_discord),
                )
                .order_by(Ambassador.member_number)
            )
            return list(rows.all())
