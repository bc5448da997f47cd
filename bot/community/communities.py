"""The communities this deployment serves: rows kept in step with the config file."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.clock import Clock
from bot.config import CommunitySettings, Settings
from storage.database import Database
from storage.models import Community


@dataclass(frozen=True)
class CommunityRef:
    id: int
    key: str
    settings: CommunitySettings

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def default_language(self) -> str:
        return self.settings.default_language


class CommunityDirectory:
    """Finds the community behind a Discord server or a LINE channel (its webhook path)."""

    def __init__(self, refs: list[CommunityRef]) -> None:
        self._by_key = {r.key: r for r in refs}
        self._by_id = {r.id: r for r in refs}
        self._by_guild = {r.settings.discord.guild_id: r for r in refs if r.settings.discord}

    @classmethod
    async def sync(cls, db: Database, settings: Settings, clock: Clock) -> CommunityDirectory:
        """Create missing community rows and update names; existing ids and member counters stay."""
        refs: list[CommunityRef] = []
        async with db.transaction() as s:
            existing = {c.key: c for c in (await s.scalars(select(Community))).all()}
            for cs in settings.communities:
                row = existing.get(cs.key)
                if row is None:
                    row = Community(
                        key=cs.key,
                        name=cs.name,
                        default_language=cs.default_language,
                        last_member_number=0,
                        created_at=clock.now(),
                    )
                    s.add(row)
                    await s.flush()
                else:
                    row.name = cs.name
                    row.default_language = cs.default_language
                refs.append(CommunityRef(row.id, cs.key, cs))
        return cls(refs)

    def adopt(self, other: CommunityDirectory) -> None:
        """Take over another directory's contents in place, so every service holding this one sees them."""
        self._by_key, self._by_id, self._by_guild = other._by_key, other._by_id, other._by_guild

    def all(self) -> list[CommunityRef]:
        return list(self._by_key.values())

    def by_key(self, key: str) -> CommunityRef | None:
        return self._by_key.get(key)

    def by_id(self, community_id: int) -> CommunityRef:
        return self._by_id[community_id]

    def by_guild(self, guild_id: int | None) -> CommunityRef | None:
        return self._by_guild.get(guild_id) if guild_id is not None else None
