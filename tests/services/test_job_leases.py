"""Claims are leases: work a dead process held (a reminder being sent, a vote result being posted) is taken
over once the lease runs out, never before; half-finished votes are finished once; each process's jobs keep
to their scope (the communities a Discord shard holds)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.community.due import Scope
from bot.community.events import EventView
from bot.community.identity import Identity
from bot.community.votes import VoteView
from bot.config import settings_from_mapping
from bot.hub import Hub, open_hub
from storage.models import LedgerEntry, Reminder
from tests.conftest import settings_data
from tests.services.test_ambassadors import register, who
from tests.services.test_events import post
from tests.services.test_notifier import RecordingSink
from tests.services.test_vote_closer import Board
from tests.services.test_votes import open_vote


def community(hub: Hub, key: str) -> int:
    ref = hub.communities.by_key(key)
    assert ref is not None
    return ref.id


def at(clock: ManualClock, event: EventView, before: timedelta) -> None:
    clock.advance(event.starts_at - before - clock.now())


async def going(hub: Hub, uid: str, event: EventView, key: str = "ama") -> Identity:
    ident = who(hub, uid, key=key)
    await register(hub, ident, uid)
    await hub.rsvps.answer(ident, event.id, "going")
    return ident


async def voter(hub: Hub, uid: str, key: str = "ama") -> Identity:
    ident = who(hub, uid, key=key)
    await register(hub, ident, uid)
    return ident


async def ballot_entries(hub: Hub, vote: VoteView) -> int:
    async with hub.db.transaction() as s:
        n = await s.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(
                LedgerEntry.community_id == vote.community_id,
                LedgerEntry.category == "ballot",
                LedgerEntry.description == f"vote #{vote.id}",
            )
        )
    return int(n or 0)


async def status_of(hub: Hub, reminder_id: int) -> str:
    async with hub.db.transaction() as s:
        status = await s.scalar(select(Reminder.status).where(Reminder.id == reminder_id))
    assert status is not None
    return status


# --- reminders --------------------------------------------------------------------------------------------
async def test_the_lease_comes_from_the_config(db_url: str, clock: ManualClock) -> None:
    data = settings_data(db_url, jobs={"lease_seconds": 90})
    hub = await open_hub(settings_from_mapping(data, env={}), clock=clock)
    try:
        assert hub.reminders.lease == hub.votes.lease == timedelta(seconds=90)
    finally:
        await hub.close()


async def test_a_reminder_a_dead_process_claimed_is_taken_over_after_the_lease_not_before(
    hub: Hub, clock: ManualClock
) -> None:
    lease = hub.reminders.lease
    assert lease == timedelta(seconds=hub.settings.jobs.lease_seconds)
    event = await post(hub)
    await going(hub, "alice", event)
    at(clock, event, timedelta(hours=24))
    claimed_at = clock.now()
    [dead] = await hub.reminders.claim_due()  # this process dies before settling it
    assert await status_of(hub, dead.id) == "sending"
    assert await hub.reminders.claim_due() == []  # the claim is live
    # The wake-up is when the claim runs out (before the 1 h reminder, still pending).
    assert await hub.reminders.next_due() == claimed_at + lease
    clock.advance(lease - timedelta(seconds=1))
    assert await hub.reminders.claim_due() == []
    assert await hub.reminders.next_due() == claimed_at + lease
    clock.advance(timedelta(seconds=1))  # the wake-up time: the claim has run out
    [taken] = await hub.reminders.claim_due()
    assert (taken.id, taken.ambassador_id, taken.offset_minutes) == (dead.id, dead.ambassador_id, 1440)
    assert await hub.reminders.claim_due() == []  # the takeover is a new claim: held again
    assert await hub.reminders.next_due() == clock.now() + lease
    await hub.reminders.settle(taken.id, True)
    assert await status_of(hub, taken.id) == "sent"
    assert await hub.reminders.counts(event.community_id, event.id) == {"sent": 1, "pending": 1}
    assert await hub.reminders.next_due() == event.starts_at - timedelta(hours=1)  # no claim held any more
    clock.advance(lease * 2)
    assert await hub.reminders.claim_due() == []  # a settled reminder is never claimed again


async def test_the_sender_takes_over_a_dead_claim_and_sends_it_once(hub: Hub, clock: ManualClock) -> None:
    sink = RecordingSink("discord")
    hub.notifier.attach(sink)
    event = await post(hub)
    await going(hub, "alice", event)
    at(clock, event, timedelta(hours=24))
    [dead] = await hub.reminders.claim_due()
    assert (await hub.reminder_sender.run_due()).sent == 0 and sink.sent == []
    clock.advance(hub.reminders.lease)
    run = await hub.reminder_sender.run_due()
    assert (run.sent, run.failed) == (1, 0) and [to for to, _ in sink.sent] == ["alice"]
    assert await status_of(hub, dead.id) == "sent"
    assert (await hub.reminder_sender.run_due()).sent == 0 and len(sink.sent) == 1


# --- vote results -----------------------------------------------------------------------------------------
async def test_a_result_a_dead_process_claimed_is_taken_over_after_the_lease(
    hub: Hub, clock: ManualClock
) -> None:
    board = Board("discord")
    hub.notifier.attach(board)
    hub.notifier.attach_board(board)
    lease = hub.votes.lease
    a = await voter(hub, "a")
    vote = await open_vote(hub, closes="1日")
    await hub.votes.cast(a, vote.id, 0, "reaction")
    clock.advance(timedelta(days=1))
    [closed] = await hub.votes.close_due()
    claimed_at = clock.now()
    assert await hub.votes.claim_result_post(closed.community_id, closed.id)  # then the process dies
    assert not await hub.votes.claim_result_post(closed.community_id, closed.id)  # live: refused
    # Its ballot points are not recorded: unfinished at once, and the next run records them (not the post).
    assert [v.id for v in await hub.votes.unfinished()] == [vote.id]
    run = await hub.vote_closer.run_due()
    assert (run.closed, run.published) == (0, 0) and board.results == []
    assert await ballot_entries(hub, closed) == 1 and await hub.contributions.points(a) == 1
    assert await hub.votes.unfinished() == []  # only the result is left, and its claim is live
    assert await hub.votes.next_due() == claimed_at + lease  # the wake-up when the claim runs out

    clock.advance(lease - timedelta(seconds=1))
    assert await hub.votes.unfinished() == []
    assert not await hub.votes.claim_result_post(closed.community_id, closed.id)
    assert (await hub.vote_closer.run_due()).published == 0 and board.results == []

    clock.advance(timedelta(seconds=1))
    assert [v.id for v in await hub.votes.unfinished()] == [vote.id]
    run = await hub.vote_closer.run_due()
    assert (run.closed, run.published) == (0, 1) and [v.id for v in board.results] == [vote.id]
    assert await hub.votes.unfinished() == [] and await hub.votes.next_due() is None
    clock.advance(lease * 2)
    assert not await hub.votes.claim_result_post(closed.community_id, closed.id)  # posted: never again
    assert await hub.votes.unfinished() == []
    assert (await hub.vote_closer.run_due()).published == 0 and len(board.results) == 1
    assert await ballot_entries(hub, closed) == 1  # the points, still once


async def test_a_second_claim_after_the_lease_is_itself_a_lease(hub: Hub, clock: ManualClock) -> None:
    await voter(hub, "a")
    vote = await open_vote(hub, closes="1日")
    clock.advance(timedelta(days=1))
    [closed] = await hub.votes.close_due()
    assert await hub.votes.claim_result_post(closed.community_id, closed.id)
    clock.advance(hub.votes.lease)
    assert await hub.votes.claim_result_post(closed.community_id, closed.id)  # taken over
    assert not await hub.votes.claim_result_post(closed.community_id, closed.id)  # and held
    await hub.votes.result_posted(closed.community_id, closed.id)
    clock.advance(hub.votes.lease)
    assert not await hub.votes.claim_result_post(closed.community_id, vote.id)


async def test_a_posted_result_whose_points_are_missing_gets_them_once(hub: Hub, clock: ManualClock) -> None:
    board = Board("discord")
    hub.notifier.attach(board)
    hub.notifier.attach_board(board)
    people = [await voter(hub, f"m{i}") for i in range(3)]
    vote = await open_vote(hub, closes="1日")
    for p in people[:2]:
        await hub.votes.cast(p, vote.id, 1, "reaction")
    clock.advance(timedelta(days=1))
    [closed] = await hub.votes.close_due()
    assert await hub.vote_closer.post(closed)  # posted, then the process died before the points
    assert await ballot_entries(hub, closed) == 0
    assert [v.id for v in await hub.votes.unfinished()] == [vote.id]
    run = await hub.vote_closer.run_due()
    assert (run.closed, run.published) == (0, 0) and len(board.results) == 1  # not posted again
    assert await ballot_entries(hub, closed) == 2
    assert [await hub.contributions.points(p) for p in people] == [1, 1, 0]
    assert await hub.votes.unfinished() == []
    await hub.vote_closer.run_due()
    assert await ballot_entries(hub, closed) == 2


# --- scope ------------------------------------------------------------------------------------------------
async def test_reminders_are_claimed_only_in_scope(hub: Hub, clock: ManualClock) -> None:
    ama, taba = community(hub, "ama"), community(hub, "tabayama")
    ama_event = await post(hub, "ama")
    taba_event = await post(hub, "tabayama")
    assert ama_event.starts_at == taba_event.starts_at
    for i in range(2):
        await going(hub, f"a{i}", ama_event, "ama")
        await going(hub, f"t{i}", taba_event, "tabayama")
    due = ama_event.starts_at - timedelta(hours=24)
    assert await hub.reminders.next_due(frozenset({ama})) == due
    assert await hub.reminders.next_due(frozenset({999_999})) is None
    at(clock, ama_event, timedelta(hours=24))
    assert await hub.reminders.claim_due(scope=frozenset({999_999})) == []
    mine = await hub.reminders.claim_due(scope=frozenset({ama}))
    assert len(mine) == 2 and {r.community_id for r in mine} == {ama}
    assert {r.event_id for r in mine} == {ama_event.id}
    # The other community's are still pending, for its own process (and nothing else is left for ama's).
    assert await hub.reminders.claim_due(scope=frozenset({ama})) == []
    assert await hub.reminders.counts(taba, taba_event.id) == {"pending": 4}
    theirs = await hub.reminders.claim_due(scope=frozenset({taba}))
    assert len(theirs) == 2 and {r.community_id for r in theirs} == {taba}


async def test_the_sender_sends_only_in_scope(hub: Hub, clock: ManualClock) -> None:
    sink = RecordingSink("discord")
    hub.notifier.attach(sink)
    ama, taba = community(hub, "ama"), community(hub, "tabayama")
    ama_event, taba_event = await post(hub, "ama"), await post(hub, "tabayama")
    await going(hub, "a1", ama_event, "ama")
    await going(hub, "t1", taba_event, "tabayama")
    at(clock, ama_event, timedelta(hours=24))
    assert (await hub.reminder_sender.run_due(frozenset({taba}))).sent == 1
    assert [to for to, _ in sink.sent] == ["t1"]
    assert await hub.reminders.counts(ama, ama_event.id) == {"pending": 2}
    assert (await hub.reminder_sender.run_due(None)).sent == 1  # no scope: every community
    assert [to for to, _ in sink.sent] == ["t1", "a1"]


async def two_votes_due(hub: Hub, clock: ManualClock) -> tuple[VoteView, VoteView]:
    a, t = await voter(hub, "a", "ama"), await voter(hub, "t", "tabayama")
    ama_vote = await open_vote(hub, "ama", closes="1日")
    taba_vote = await open_vote(hub, "tabayama", closes="1日")
    await hub.votes.cast(a, ama_vote.id, 0, "reaction")
    await hub.votes.cast(t, taba_vote.id, 1, "reaction")
    clock.advance(timedelta(days=1))
    return ama_vote, taba_vote


async def test_votes_close_only_in_scope(hub: Hub, clock: ManualClock) -> None:
    ama_vote, taba_vote = await two_votes_due(hub, clock)
    ama: Scope = frozenset({ama_vote.community_id})
    assert await hub.votes.next_due(ama) is not None
    assert await hub.votes.next_due(frozenset({999_999})) is None
    assert await hub.votes.close_due(frozenset({999_999})) == []
    [closed] = await hub.votes.close_due(ama)
    assert closed.id == ama_vote.id
    assert (await hub.votes.get(taba_vote.community_id, taba_vote.id)).status == "open"
    assert [v.id for v in await hub.votes.unfinished(ama)] == [ama_vote.id]
    assert await hub.votes.unfinished(frozenset({taba_vote.community_id})) == []
    assert await hub.votes.next_due(ama) is None  # nothing of ama's is open or held
    assert await hub.votes.next_due(frozenset({taba_vote.community_id})) is not None


async def test_the_vote_closer_leaves_other_communities_votes_open(hub: Hub, clock: ManualClock) -> None:
    board = Board("discord")
    hub.notifier.attach(board)
    hub.notifier.attach_board(board)
    ama_vote, taba_vote = await two_votes_due(hub, clock)
    run = await hub.vote_closer.run_due(frozenset({ama_vote.community_id}))
    assert (run.closed, run.published) == (1, 1) and [v.id for v in board.results] == [ama_vote.id]
    assert (await hub.votes.get(ama_vote.community_id, ama_vote.id)).status == "closed"
    assert (await hub.votes.get(taba_vote.community_id, taba_vote.id)).status == "open"
    assert await ballot_entries(hub, taba_vote) == 0
    run = await hub.vote_closer.run_due(frozenset({taba_vote.community_id}))
    assert (run.closed, run.published) == (1, 1)
    assert [v.id for v in board.results] == [ama_vote.id, taba_vote.id]
    assert await ballot_entries(hub, ama_vote) == await ballot_entries(hub, taba_vote) == 1
