"""Telling one member something, on the platform that reaches them: Discord DM first (free), else LINE push.

The faces attach a sink when they start (the Discord bot, the LINE webhook server); services and cogs call
``tell`` with a catalog key, and the text goes out in the member's own language.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, Protocol, runtime_checkable

from sqlalchemy import select

from bot.community.identity import Platform
from bot.community.stages import StageChange
from bot.i18n import Msg, Translator
from bot.notify.budget import PushBudget
from storage.database import Database
from storage.models import Ambassador, PlatformIdentity

log = logging.getLogger(__name__)

Delivery = Literal["discord", "line"] | None


class Sink(Protocol):
    @property
    def platform(self) -> Platform: ...

    async def sync_roles(
        self, community_id: int, external_id: str, add: tuple[int, ...], remove: tuple[int, ...]
    ) -> bool:
        """Give and take platform roles (Discord stage roles); True where the platform has none."""
        ...

    async def send(
        self, community_id: int, external_id: str, text: str, retry_key: str | None = None
    ) -> bool:
        """Deliver ``text``; False if the platform refused (DMs closed, account blocked). ``retry_key``
        makes a repeat of the same message a no-op where the platform supports it (LINE)."""
        ...


class BudgetFallback(Protocol):
    """Where a message goes when the month's LINE push budget stopped it (held for the weekly digest)."""

    async def budget_spent(self, community_id: int, ambassador_id: int, text: str) -> None: ...


@runtime_checkable
class EventBoard(Protocol):
    """A face that shows events in public (the Discord announcement): refreshed when answers change."""

    async def refresh_event(self, community_id: int, event_id: int) -> None: ...


class Notifier:
    def __init__(self, db: Database, tr: Translator, budget: PushBudget) -> None:
        self.db = db
        self.tr = tr
        self.budget = budget
        self._sinks: dict[str, Sink] = {}
        self._boards: list[object] = []
        self.fallback: BudgetFallback | None = None  # set by the hub: messages the budget stopped are held

    def attach(self, sink: Sink) -> None:
        self._sinks[sink.platform] = sink

    def detach(self, platform: Platform) -> None:
        self._sinks.pop(platform, None)

    async def stage_changed(self, community_id: int, change: StageChange, *, tell: bool = True) -> Delivery:
        """After a promotion or a staff change: sync Discord stage roles, and tell the member.

        ``tell=False`` when the face says it in its own (free) reply, so no push is spent on it.
        """
        await self.discord_roles(
            community_id, change.ambassador_id, change.role_ids_to_add, change.role_ids_to_remove
        )
        if not tell:
            return None
        key = "stage.promoted_message" if change.new > change.old else "stage.changed_message"
        return await self.tell(
            community_id,
            change.ambassador_id,
            key,
            stage=Msg(f"profile.stage.{change.new}"),
            number=change.new,
        )

    async def discord_roles(
        self, community_id: int, ambassador_id: int, add: tuple[int, ...] = (), remove: tuple[int, ...] = ()
    ) -> bool | None:
        """Give and take a member's Discord roles (a stage, a subcommittee joined on LINE). None when there is
        nothing to do: no roles, no Discord account linked, or no Discord face running."""
        if not add and not remove:
            return None
        sink = self._sinks.get("discord")
        if sink is None:
            return None
        async with self.db.transaction() as s:
            discord_id = await s.scalar(
                select(PlatformIdentity.external_id).where(
                    PlatformIdentity.community_id == community_id,
                    PlatformIdentity.ambassador_id == ambassador_id,
                    PlatformIdentity.platform == "discord",
                )
            )
        if not discord_id:
            return None
        return await sink.sync_roles(community_id, discord_id, add, remove)

    def sink(self, platform: Platform) -> Sink | None:
        return self._sinks.get(platform)

    def attach_board(self, board: object) -> None:
        """A face's public board (event announcements, vote posts): told when what it shows changes.

        One board of each kind: a new one (a restarted bot on the same hub) replaces the earlier one, so
        nothing is posted or edited twice."""
        self._boards = [b for b in self._boards if type(b) is not type(board)]
        self._boards.append(board)

    def detach_board(self, board: object) -> None:
        if board in self._boards:
            self._boards.remove(board)

    def boards(self) -> list[object]:
        return list(self._boards)

    async def event_changed(self, community_id: int, event_id: int) -> None:
        """An event's answers or details changed: every face that shows it publicly refreshes it."""
        for board in self.boards():
            if isinstance(board, EventBoard):
                try:
                    await board.refresh_event(community_id, event_id)
                except Exception:  # a stale public post must never fail the member's own answer
                    log.exception("event post not refreshed", extra={"event_id": event_id})

    async def tell(
        self,
        community_id: int,
        ambassador_id: int,
        key: str,
        /,
        *,
        prefer: str | None = None,
        retry_key: str | None = None,
        **params: Any,
    ) -> Delivery:
        """Send one catalog message to one member, in their language and time zone. Returns the platform
        used, or None (logged; held for the weekly digest when the month's LINE budget stopped it, see
        ``fallback``). Discord (free) is tried first, unless ``prefer`` names the platform the
        member used for the thing at hand (they answered an event on LINE: the reminder goes to LINE)."""
        async with self.db.transaction() as s:
            row = (
                await s.execute(
                    select(Ambassador.language, Ambassador.status, Ambassador.timezone).where(
                        Ambassador.community_id == community_id, Ambassador.id == ambassador_id
                    )
                )
            ).first()
            identities = (
                await s.execute(
                    select(PlatformIdentity.platform, PlatformIdentity.external_id).where(
                        PlatformIdentity.community_id == community_id,
                        PlatformIdentity.ambassador_id == ambassador_id,
                        PlatformIdentity.active.is_(True),
                    )
                )
            ).all()
        if row is None or row.status != "active":
            return None
        text = self.tr.t(row.language, key, tz=row.timezone, **params)
        by_platform = {p: ext for p, ext in identities}
        order: tuple[Platform, ...] = ("line", "discord") if prefer == "line" else ("discord", "line")
        spent = False
        for platform in order:
            sink = self._sinks.get(platform)
            external = by_platform.get(platform)
            if sink is None or external is None:
                continue
            if platform == "line" and not await self.budget.claim(community_id):
                spent = True
                log.warning(
                    "LINE push budget spent; message not sent",
                    extra={"community_id": community_id, "key": key},
                )
                continue
            if await sink.send(community_id, external, text, retry_key):
                return platform
            if platform == "line":
                await self.budget.release(community_id)
        if spent and self.fallback is not None:  # kept for the member's next weekly digest, not dropped
            await self.fallback.budget_spent(community_id, ambassador_id, text)
            log.info("message held for the weekly digest", extra={"community_id": community_id, "key": key})
            return None
        log.info("member could not be reached", extra={"community_id": community_id, "key": key})
        return None
