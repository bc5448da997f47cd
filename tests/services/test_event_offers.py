"""Event cards offered on LINE to members who opted in: within the push budget, never twice; .ics files."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from icalendar import Calendar

from bot.community.calendar import calendar_file, calendar_token, read_calendar_token
from bot.community.events import EventDraft, EventView
from bot.community.identity import Platform
from bot.community.votes import VoteView
from bot.hub import Hub
from tests.services.test_ambassadors import register, who
from tests.services.test_events import post, staff
from tests.services.test_notifier import with_budget
from tests.services.test_votes import open_vote


@dataclass
class CardRecorder:
    platform: Platform = "line"
    works: bool = True
    cards: list[tuple[tuple[str, ...], str, str, int]] = field(default_factory=list)

    async def send(
        self, community_id: int, external_id: str, text: str, retry_key: str | None = None
    ) -> bool:
        return self.works

    async def sync_roles(
        self, community_id: int, external_id: str, add: tuple[int, ...], remove: tuple[int, ...]
    ) -> bool:
        return True

    async def send_event_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, event: EventView
    ) -> bool:
        self.cards.append((tuple(external_ids), lang, tz, event.id))
        return self.works


async def members(hub: Hub, n: int, opted_in: int) -> list[str]:
    ids = []
    for i in range(n):
        ident = who(hub, f"U{i}", "line")
        await register(hub, ident)
        if i < opted_in:
            await hub.events.set_event_news(ident, True)
        ids.append(ident.external_id)
    return ids


async def test_only_opted_in_members_get_the_card_once(hub: Hub) -> None:
    sink = CardRecorder()
    hub.notifier.attach(sink)
    ids = await members(hub, 4, opted_in=3)
    await hub.ambassadors.leave(who(hub, "U2", "line"))  # opted in, then left: not offered
    event = await post(hub)
    report = await hub.offers.offer_event(event)
    assert (report.sent, report.over_budget, report.failed) == (2, 0, 0)
    assert sink.cards == [((ids[0], ids[1]), "ja", "Asia/Tokyo", event.id)]
    again = await hub.offers.offer_event(event)
    assert again.wanted == 0 and len(sink.cards) == 1
    assert await hub.notifier.budget.used(event.community_id) == 2


async def test_the_budget_limits_the_offer_and_says_how_many_were_not_reached(hub: Hub) -> None:
    sink = CardRecorder()
    hub.notifier.attach(sink)
    await with_budget(hub, 3)
    await members(hub, 5, opted_in=5)
    event = await post(hub)
    report = await hub.offers.offer_event(event)
    assert (report.sent, report.over_budget) == (3, 2)
    assert await hub.notifier.budget.used(event.community_id) == 3
    later = await hub.offers.offer_event(event)  # the budget is spent: nobody more, nobody twice
    assert (later.sent, later.over_budget) == (0, 2)


async def test_a_refused_batch_gives_the_budget_back_and_can_be_offered_again(hub: Hub) -> None:
    sink = CardRecorder(works=False)
    hub.notifier.attach(sink)
    await members(hub, 2, opted_in=2)
    event = await post(hub)
    report = await hub.offers.offer_event(event)
    assert (report.sent, report.failed) == (0, 2)
    assert await hub.notifier.budget.used(event.community_id) == 0
    sink.works = True
    assert (await hub.offers.offer_event(event)).sent == 2


async def test_two_offers_at_once_send_each_card_once(hub: Hub) -> None:
    sink = CardRecorder()
    hub.notifier.attach(sink)
    ids = await members(hub, 6, opted_in=6)
    event = await post(hub)
    reports = await asyncio.gather(hub.offers.offer_event(event), hub.offers.offer_event(event))
    assert sum(r.sent for r in reports) == 6
    assert sorted(x for batch, *_ in sink.cards for x in batch) == sorted(ids)
    assert await hub.notifier.budget.used(event.community_id) == 6


async def test_no_line_face_no_cards_and_a_cancelled_event_is_not_offered(hub: Hub) -> None:
    await members(hub, 1, opted_in=1)
    event = await post(hub)
    assert (await hub.offers.offer_event(event)).wanted == 0  # the LINE face is not running
    sink = CardRecorder()
    hub.notifier.attach(sink)
    cancelled = await hub.events.cancel(event.community_id, event.id, staff(hub), "中止")
    assert (await hub.offers.offer_event(cancelled.event)).wanted == 0 and sink.cards == []


async def test_calendar_files_carry_each_event_once_with_its_revision(hub: Hub) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    one = await post(
        hub,
        place="菱浦港",
        description="島の食と音楽、踊り。\n家族で参加できます。",
        online_url="https://example.jp/live",
    )
    two = await post(hub, title="Rocket Party in Tokyo", start="2026-12-20 19:00")
    await hub.rsvps.answer(alice, one.id, "going")
    await hub.rsvps.answer(alice, two.id, "maybe")
    edited = await hub.events.edit(
        one.community_id, one.id, staff(hub), EventDraft(title="島の国際交流祭（屋内）")
    )
    await hub.events.cancel(two.community_id, two.id, staff(hub), "延期")
    mine = [m.event for m in await hub.events.mine(alice)]
    data = calendar_file("ama", "海士町オフィシャルアンバサダー", mine, datetime(2026, 11, 22, tzinfo=UTC))
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded as RFC 5545 asks
    cal = Calendar.from_ical(data)
    events = cal.walk("VEVENT")
    # Titles are NFKC-normalised like all text: full-width brackets become ASCII ones.
    assert [str(e["summary"]) for e in events] == ["島の国際交流祭(屋内)", "Rocket Party in Tokyo"]
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CANCELLED"]
    assert [e.decoded("sequence") for e in events] == [edited.event.revision, 2]
    first = events[0]
    assert str(first["uid"]) == f"event-{one.id}@ama.kankei-hub"
    assert first.decoded("dtstart") == one.starts_at and first.decoded("dtend") == one.ends_at
    assert str(first["location"]) == "菱浦港, https://example.jp/live"
    assert "家族で参加できます。" in str(first["description"])


def test_calendar_tokens_are_signed_per_community() -> None:
    token = calendar_token("secret", "ama", 12, 34)
    assert read_calendar_token("secret", "ama", token) == (12, 34)
    assert read_calendar_token("secret", "ama", calendar_token("secret", "ama", 12)) == (12, None)
    assert read_calendar_token("secret", "tabayama", token) is None
    assert read_calendar_token("other", "ama", token) is None
    forged = token.replace("12.", "13.", 1)
    assert read_calendar_token("secret", "ama", forged) is None
    assert read_calendar_token("secret", "ama", "not-a-token") is None


@dataclass
class VoteCards(CardRecorder):
    votes: list[tuple[tuple[str, ...], int]] = field(default_factory=list)

    async def send_vote_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, vote: VoteView
    ) -> bool:
        self.votes.append((tuple(external_ids), vote.id))
        return self.works


async def test_a_vote_card_goes_to_eligible_members_who_opted_in_once(hub: Hub) -> None:
    sink = VoteCards()
    hub.notifier.attach(sink)
    ids = await members(hub, 3, opted_in=0)
    for uid in ids[:2]:
        await hub.votes.set_vote_news(who(hub, uid, "line"), True)
    vote = await open_vote(hub)
    late = who(hub, "U-late", "line")  # registered after the vote opened: not eligible
    await register(hub, late)
    await hub.votes.set_vote_news(late, True)
    report = await hub.offers.offer_vote(vote)
    assert (report.sent, report.over_budget) == (2, 0)
    assert sink.votes == [((ids[0], ids[1]), vote.id)] and sink.cards == []
    assert (await hub.offers.offer_vote(vote)).wanted == 0  # never twice
    closed = await hub.votes.close(vote.community_id, vote.id, staff(hub))
    assert (await hub.offers.offer_vote(closed)).wanted == 0
