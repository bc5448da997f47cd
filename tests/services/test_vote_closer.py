"""Closing on time: the result posted once, ballot points recorded once, one reminder; the chart image."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.charts.vote_chart import vote_chart
from bot.clock import ManualClock
from bot.community.votes import OptionTally, VoteResult, VoteView
from bot.hub import Hub, open_hub
from bot.schedule.due_pump import DuePump
from bot.schedule.scheduler import Scheduler
from storage.models import LedgerEntry
from tests.services.test_events import staff
from tests.services.test_notifier import RecordingSink
from tests.services.test_votes import member, open_vote


@dataclass
class Board(RecordingSink):
    results: list[VoteView] = field(default_factory=list)

    async def post_vote_result(self, vote: VoteView) -> None:
        self.results.append(vote)


async def test_a_vote_closes_at_its_time_once_across_two_processes(hub: Hub, clock: ManualClock) -> None:
    first, second = Board("discord"), Board("discord")
    hub.notifier.attach(first)
    hub.notifier.attach_board(first)
    people = [await member(hub, f"m{i}") for i in range(5)]
    vote = await open_vote(hub, closes="2日")
    for p in people[:3]:
        await hub.votes.cast(p, vote.id, 0, "reaction")
    other = await open_hub(hub.settings, clock=clock)
    other.notifier.attach(second)
    other.notifier.attach_board(second)
    try:
        clock.advance(timedelta(days=1, minutes=1))  # 23 h before the close: the reminder
        runs = await asyncio.gather(hub.vote_closer.run_due(), other.vote_closer.run_due())
        assert sum(r.reminded for r in runs) == 2 and sum(r.closed for r in runs) == 0
        reminded = sorted(to for to, _ in first.sent + second.sent)
        assert reminded == ["m3", "m4"] and "締め切られます" in (first.sent + second.sent)[0][1]
        clock.advance(timedelta(days=1))
        runs = await asyncio.gather(hub.vote_closer.run_due(), other.vote_closer.run_due())
    finally:
        await other.close()
    assert sum(r.closed for r in runs) == 1 and sum(r.published for r in runs) == 1
    [posted] = first.results + second.results
    assert posted.id == vote.id and posted.result is not None and posted.result.options[0].count == 3
    assert await hub.contributions.points(people[0]) == 1  # the ballot point, once
    again = await hub.vote_closer.run_due()
    assert (again.closed, again.published, again.reminded) == (0, 0, 0)


async def test_a_result_left_unposted_by_a_crash_is_posted_by_the_next_run(
    hub: Hub, clock: ManualClock
) -> None:
    board = Board("discord")
    hub.notifier.attach(board)
    hub.notifier.attach_board(board)
    a = await member(hub, "a")
    vote = await open_vote(hub, closes="1日")
    await hub.votes.cast(a, vote.id, 1, "reaction")
    clock.advance(timedelta(days=1))
    [closed] = await hub.votes.close_due()  # a process closed it, then stopped before publishing
    assert closed.status == "closed" and board.results == []
    run = await hub.vote_closer.run_due()
    assert (run.closed, run.published) == (0, 1) and [v.id for v in board.results] == [vote.id]


async def test_staff_closing_early_publishes_through_the_same_path(hub: Hub) -> None:
    board = Board("discord")
    hub.notifier.attach(board)
    hub.notifier.attach_board(board)
    a = await member(hub, "a")
    vote = await open_vote(hub)
    await hub.votes.cast(a, vote.id, 2, "postback")
    closed = await hub.votes.close(vote.community_id, vote.id, staff(hub))
    assert await hub.vote_closer.publish(closed)
    assert not await hub.vote_closer.publish(closed)  # a second press posts nothing more
    assert len(board.results) == 1 and await hub.contributions.points(a) == 1


async def test_the_pump_wakes_at_the_closing_time(hub: Hub, clock: ManualClock) -> None:
    hub.notifier.attach(Board("discord"))
    await member(hub, "a")
    scheduler = Scheduler()
    pump = DuePump(scheduler, "votes", hub.votes, hub.votes.next_due, hub.vote_closer.run_due)
    await pump.start()
    try:
        assert pump.next_wake is None
        vote = await open_vote(hub, closes="3日")
        assert pump.next_wake == vote.closes_at - timedelta(hours=24)  # the reminder comes first
        clock.advance(timedelta(days=2))
        run = await pump.run()
        assert run.reminded == 1 and pump.next_wake == vote.closes_at
    finally:
        pump.stop()
        scheduler.shutdown()


def test_the_chart_is_a_real_png_with_the_bars_drawn() -> None:
    result = VoteResult(
        (OptionTally(0, "港", 12, 20_500), OptionTally(1, "図書館", 3, 4_000), OptionTally(2, "祭り", 0, 0)),
        voters=15,
        eligible=40,
        quorum_needed=10,
        weighted=True,
    )
    data = vote_chart(result)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (800, 24 * 2 + 44 * 3 + 30)
    colours = {colour for _, colour in image.getcolors(maxcolors=100_000) or []}
    assert (232, 119, 34) in colours  # the leading option's bar
    assert (31, 122, 140) in colours  # the others
    # The winner's bar is the longest: count its orange pixels on its row.
    row = [image.getpixel((x, 24 + 20)) for x in range(800)]
    assert sum(1 for p in row if p == (232, 119, 34)) > 400


async def _ballot_entries(hub: Hub, vote_id: int) -> list[int]:
    async with hub.db.transaction() as s:
        rows = await s.scalars(
            select(LedgerEntry.ambassador_id)
            .where(LedgerEntry.category == "ballot", LedgerEntry.description == f"vote #{vote_id}")
            .order_by(LedgerEntry.seq)
        )
        return list(rows.all())


async def _closed_vote_with_ballots(hub: Hub, clock: ManualClock, voters: int) -> tuple[VoteView, list[int]]:
    people = [await member(hub, f"m{i}") for i in range(voters)]
    vote = await open_vote(hub, closes="1日")
    for p in people:
        await hub.votes.cast(p, vote.id, 0, "reaction")
    clock.advance(timedelta(days=1))
    [closed] = await hub.votes.close_due()
    assert await hub.votes.claim_result_post(closed.community_id, closed.id)
    await hub.votes.result_posted(closed.community_id, closed.id)  # only the ballot points are left
    ids = [(await hub.ambassadors.get(p)).id for p in people]
    return closed, ids


async def test_ballot_points_stopped_between_chunks_are_continued_not_repeated(
    hub: Hub, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    vote, ids = await _closed_vote_with_ballots(hub, clock, 5)
    real = hub.contributions.append_automatic_many
    calls = 0

    async def dies_on_the_second_chunk(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the process stopped here")
        return await real(*args, **kwargs)

    monkeypatch.setattr(hub.contributions, "append_automatic_many", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        await hub.votes.record_ballot_points(vote.community_id, vote.id, chunk=2)
    monkeypatch.setattr(hub.contributions, "append_automatic_many", real)
    assert await _ballot_entries(hub, vote.id) == ids[:2]  # the first chunk is whole, the second not begun
    assert [v.id for v in await hub.votes.unfinished()] == [vote.id]
    await hub.votes.record_ballot_points(vote.community_id, vote.id, chunk=2)
    assert await _ballot_entries(hub, vote.id) == ids
    assert await hub.votes.unfinished() == []
    assert await hub.votes.record_ballot_points(vote.community_id, vote.id, chunk=2) == []
    assert await _ballot_entries(hub, vote.id) == ids
    assert (await hub.ledger.verify(vote.community_id)).ok


async def test_two_processes_writing_ballot_points_in_chunks_write_each_once(
    hub: Hub, clock: ManualClock
) -> None:
    vote, ids = await _closed_vote_with_ballots(hub, clock, 7)
    other = await open_hub(hub.settings, clock=clock)
    try:
        await asyncio.gather(
            hub.votes.record_ballot_points(vote.community_id, vote.id, chunk=2),
            other.votes.record_ballot_points(vote.community_id, vote.id, chunk=2),
        )
    finally:
        await other.close()
    assert await _ballot_entries(hub, vote.id) == ids
    assert (await hub.ledger.verify(vote.community_id)).ok
