"""Offering a new event to the LINE members who opted in to event news: a card with RSVP buttons.

Each recipient is claimed in the database (``event_offers``) before anything is sent, and pushes are
claimed against the month's budget first, so a retry, a second process or a double click never sends the
same card twice and the budget is never overspent. Members past the budget are counted, not dropped
silently: staff see how many were not reached.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import delete, select

from bot.clock import Clock
from bot.community.events import EventView
from bot.notify.budget import PushBudget
from bot.notify.notifier import Notifier
from storage.database import Database, upsert_insert
from storage.models import Ambassador, EventOffer, PlatformIdentity

log = logging.getLogger(__name__)

MULTICAST_MAX = 500  # LINE's limit of recipients per multicast request


@runtime_checkable
class CardSink(Protocol):
    async def send_event_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, event: EventView
    ) -> bool:
        """Send one event card to up to 500 people at once; False if the platform refused it."""
        ...


@dataclass(frozen=True)
class OfferReport:
    sent: int  # members who got the card (one push each)
    over_budget: int  # opted in, but this month's push budget is spent
    failed: int  # LINE refused or could not be reached (budget given back; a later offer may retry)

    @property
    def wanted(self) -> int:
        return self.sent + self.over_budget + self.failed


class EventOffers:
    def __init__(self, db: Database, clock: Clock, budget: PushBudget, notifier: Notifier) -> None:
        self.db = db
        self.clock = clock
        self.budget = budget
        self.notifier = notifier

    async def offer(self, event: EventView) -> OfferReport:
        sink = self.notifier.sink("line")
        if not isinstance(sink, CardSink) or event.cancelled:
            return OfferReport(0, 0, 0)
        cid = event.community_id
        async with self.db.transaction() as s:
            offered = select(EventOffer.ambassador_id).where(
                EventOffer.community_id == cid, EventOffer.event_id == event.id
            )
            wanted = (
                await s.execute(
                    select(
                        Ambassador.id, Ambassador.language, Ambassador.timezone, PlatformIdentity.external_id
                    )
                    .join(PlatformIdentity, PlatformIdentity.ambassador_id == Ambassador.id)
                    .where(
                        Ambassador.community_id == cid,
                        Ambassador.status == "active",
                        Ambassador.event_news.is_(True),
                        PlatformIdentity.community_id == cid,
                        PlatformIdentity.platform == "line",
                        PlatformIdentity.active.is_(True),
                        Ambassador.id.not_in(offered),
                    )
                    .order_by(Ambassador.member_number)
                )
            ).all()
        if not wanted:
            return OfferReport(0, 0, 0)
        granted = await self.budget.claim_up_to(cid, len(wanted))
        over_budget = len(wanted) - granted
        if over_budget:
            log.warning(
                "LINE push budget spent: event card not offered to everyone",
                extra={"community_id": cid, "event_id": event.id, "not_reached": over_budget},
            )
        mine = await self._claim(cid, event.id, [row.id for row in wanted[:granted]])
        if len(mine) < granted:  # another process offered some of them meanwhile
            await self.budget.release(cid, granted - len(mine))
        groups: defaultdict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for row in wanted[:granted]:
            if row.id in mine:
                groups[(row.language, row.timezone)].append((row.id, row.external_id))
        sent = failed = 0
        for (lang, tz), people in groups.items():
            for start in range(0, len(people), MULTICAST_MAX):
                batch = people[start : start + MULTICAST_MAX]
                if await sink.send_event_card(cid, [ext for _, ext in batch], lang, tz, event):
                    sent += len(batch)
                    continue
                failed += len(batch)
                await self.budget.release(cid, len(batch))
                await self._unclaim(cid, event.id, [aid for aid, _ in batch])
        return OfferReport(sent, over_budget, failed)

    async def _claim(self, community_id: int, event_id: int, ambassador_ids: list[int]) -> set[int]:
        if not ambassador_ids:
            return set()
        insert = upsert_insert(self.db.dialect)
        now = self.clock.now()
        async with self.db.transaction() as s:
            rows = await s.scalars(
                insert(EventOffer)
                .values(
                    [
                        {
                            "event_id": event_id,
                            "ambassador_id": a,
                            "community_id": community_id,
                            "sent_at": now,
                        }
                        for a in ambassador_ids
                    ]
                )
                .on_conflict_do_nothing(index_elements=["event_id", "ambassador_id"])
                .returning(EventOffer.ambassador_id)
            )
            return set(rows.all())

    async def _unclaim(self, community_id: int, event_id: int, ambassador_ids: list[int]) -> None:
        async with self.db.transaction() as s:
            await s.execute(
                delete(EventOffer).where(
                    EventOffer.community_id == community_id,
                    EventOffer.event_id == event_id,
                    EventOffer.ambassador_id.in_(ambassador_ids),
                )
            )
