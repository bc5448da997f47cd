"""Offering something new (an event, a vote) to the LINE members who opted in: one card with buttons.

Each recipient is claimed in the database (``deliveries``: kind, item, member) before anything is sent,
and pushes are claimed against the month's budget first, so a retry, a second process or a double click
never sends the same card twice and the budget is never overspent. Members past the budget are counted,
not dropped silently: staff see how many were not reached.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import Select, select

from bot.clock import Clock
from bot.community.events import EventView
from bot.community.votes import VoteView
from bot.line.limits import MULTICAST_MAX
from bot.notify.budget import PushBudget
from bot.notify.deliveries import DeliveryClaims
from bot.notify.notifier import Notifier
from storage.database import Database
from storage.models import Ambassador, PlatformIdentity, SubcommitteeMember, VoteWeight

log = logging.getLogger(__name__)


@runtime_checkable
class EventCardSink(Protocol):
    async def send_event_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, event: EventView
    ) -> bool:
        """Send one event card to up to 500 people at once; False if the platform refused it."""
        ...


@runtime_checkable
class VoteCardSink(Protocol):
    async def send_vote_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, vote: VoteView
    ) -> bool:
        """Send one vote card (its options as buttons) to up to 500 people at once."""
        ...


@dataclass(frozen=True)
class OfferReport:
    sent: int  # members who got the card (one push each)
    over_budget: int  # opted in, but this month's push budget is spent
    failed: int  # LINE refused or could not be reached (budget given back; a later offer may retry)

    @property
    def wanted(self) -> int:
        return self.sent + self.over_budget + self.failed


NOTHING = OfferReport(0, 0, 0)
Send = Callable[[Sequence[str], str, str], Awaitable[bool]]


class Offers:
    def __init__(self, db: Database, clock: Clock, budget: PushBudget, notifier: Notifier) -> None:
        self.db = db
        self.clock = clock
        self.budget = budget
        self.notifier = notifier

    async def offer_event(self, event: EventView) -> OfferReport:
        """The new event's card to every member who opted in to event news."""
        sink = self.notifier.sink("line")
        if not isinstance(sink, EventCardSink) or event.cancelled:
            return NOTHING

        async def send(ids: Sequence[str], lang: str, tz: str) -> bool:
            return await sink.send_event_card(event.community_id, ids, lang, tz, event)

        audience = _line_members(event.community_id).where(Ambassador.event_news.is_(True))
        if event.subcommittee_id is not None:  # a subcommittee's event: its members only
            audience = audience.where(
                Ambassador.id.in_(
                    select(SubcommitteeMember.ambassador_id).where(
                        SubcommitteeMember.subcommittee_id == event.subcommittee_id
                    )
                )
            )
        return await self._offer(event.community_id, "event", event.id, audience, send)

    async def offer_vote(self, vote: VoteView) -> OfferReport:
        """The new vote's card to every member who may vote on it and opted in to votes on LINE."""
        sink = self.notifier.sink("line")
        if not isinstance(sink, VoteCardSink) or not vote.is_open:
            return NOTHING

        async def send(ids: Sequence[str], lang: str, tz: str) -> bool:
            return await sink.send_vote_card(vote.community_id, ids, lang, tz, vote)

        eligible = select(VoteWeight.ambassador_id).where(
            VoteWeight.vote_id == vote.id, VoteWeight.community_id == vote.community_id
        )
        audience = _line_members(vote.community_id).where(
            Ambassador.vote_news.is_(True), Ambassador.id.in_(eligible)
        )
        return await self._offer(vote.community_id, "vote", vote.id, audience, send)

    async def _offer(
        self, cid: int, kind: str, item_id: int, audience: Select[int, str, str, str], send: Send
    ) -> OfferReport:
        claims = DeliveryClaims(self.db, self.clock, kind)
        delivered = claims.claimed_query(cid, item_id)
        async with self.db.transaction() as s:
            wanted = (await s.execute(audience.where(Ambassador.id.not_in(delivered)))).all()
        if not wanted:
            return NOTHING
        granted = await self.budget.claim_up_to(cid, len(wanted))
        over_budget = len(wanted) - granted
        if over_budget:
            log.warning(
                "LINE push budget spent: card not offered to everyone",
                extra={"community_id": cid, "kind": kind, "item_id": item_id, "not_reached": over_budget},
            )
        mine = await claims.claim(cid, item_id, [row[0] for row in wanted[:granted]])
        if len(mine) < granted:  # another process offered some of them meanwhile
            await self.budget.release(cid, granted - len(mine))
        groups: defaultdict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for aid, external_id, lang, tz in wanted[:granted]:
            if aid in mine:
                groups[(lang, tz)].append((aid, external_id))
        sent = failed = 0
        for (lang, tz), people in groups.items():
            for start in range(0, len(people), MULTICAST_MAX):
                batch = people[start : start + MULTICAST_MAX]
                if await send([ext for _, ext in batch], lang, tz):
                    sent += len(batch)
                    continue
                failed += len(batch)
                await self.budget.release(cid, len(batch))
                await claims.unclaim(cid, item_id, [aid for aid, _ in batch])
        return OfferReport(sent, over_budget, failed)


def _line_members(cid: int) -> Select[int, str, str, str]:
    """Active members with an active LINE account: (ambassador id, LINE user id, language, zone)."""
    return (
        select(Ambassador.id, PlatformIdentity.external_id, Ambassador.language, Ambassador.timezone)
        .join(PlatformIdentity, PlatformIdentity.ambassador_id == Ambassador.id)
        .where(
            Ambassador.community_id == cid,
            Ambassador.status == "active",
            PlatformIdentity.community_id == cid,
            PlatformIdentity.platform == "line",
            PlatformIdentity.active.is_(True),
        )
        .order_by(Ambassador.member_number)
    )
