"""Votes: opening checks, one ballot per member across platforms, weights fixed at opening, closing once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.community.vote_rules import NUMBER_EMOJI, option_of_emoji, parse_quorum, weight_milli
from bot.community.votes import VoteDraft, VoteView
from bot.config import VoteSettings
from bot.hub import Hub, open_hub
from storage.models import Ballot, LedgerEntry, Vote
from tests.services.test_ambassadors import register, who
from tests.services.test_events import expect, staff

OPTIONS = "港の桟橋を直す|図書館を広げる|祭りに使う"


async def member(hub: Hub, uid: str, points: int = 0, platform: str = "discord") -> Identity:
    ident = who(hub, uid, platform)
    await register(hub, ident, uid)
    if points:
        view = await hub.ambassadors.get(ident)
        await hub.contributions.record_automatic(
            ident.community_id, view.id, "knowledge", "seed", points=points
        )
    return ident


async def open_vote(hub: Hub, key: str = "ama", **fields: Any) -> VoteView:
    ref = hub.communities.by_key(key)
    assert ref is not None
    draft = VoteDraft(**{"question": "島の予算をどこに使う？", "options": OPTIONS, "closes": "3日", **fields})
    return await hub.votes.open(ref.id, staff(hub, key), draft)


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"options": "ひとつだけ"}, "vote.error.too_few_options"),
        ({"options": "|".join(f"案{i}" for i in range(11))}, "vote.error.too_many_options"),
        ({"options": "海|山|海"}, "vote.error.duplicate_option"),
        ({"options": "Sea|sea"}, "vote.error.duplicate_option"),
        ({"closes": "2026-11-01 10:00"}, "vote.error.closing_past"),
        ({"closes": "1分"}, "vote.error.too_short"),
        ({"closes": "100日"}, "vote.error.too_long"),
        ({"closes": "いつか"}, "event.error.time_format"),
        ({"quorum": "120%"}, "vote.error.quorum_over_100"),
        ({"quorum": "たくさん"}, "vote.error.quorum_format"),
        ({"quorum": "50"}, "vote.error.quorum_above_eligible"),
        ({"question": " "}, "vote.error.question_empty"),
        ({"min_stage": 5}, "vote.error.stage_range"),
        ({"min_stage": 3}, "vote.error.nobody_eligible"),
    ],
)
async def test_bad_votes_are_refused_and_nothing_stored(hub: Hub, fields: dict[str, Any], key: str) -> None:
    await member(hub, "a")
    await expect(key, open_vote(hub, **fields))
    async with hub.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Vote)) == 0


async def test_open_fixes_who_may_vote_and_their_weights(hub: Hub, clock: ManualClock) -> None:
    a = await member(hub, "a", points=100)  # stage 4 needs a local activity; 100 points is stage 3
    b = await member(hub, "b", points=1)
    c = await member(hub, "c")
    vote = await open_vote(hub, weighted=True, min_stage=2, quorum="50%", closes="2026-11-25 18:00")
    assert (vote.eligible, vote.quorum_needed, vote.weighted, vote.status) == (2, 1, True, "open")
    assert vote.closes_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert vote.options == ("港の桟橋を直す", "図書館を広げる", "祭りに使う")
    await expect("vote.error.below_stage", hub.votes.cast(c, vote.id, 0, "reaction"))
    explained = await hub.votes.weight(a, vote.id)
    assert (explained.points, explained.vote_weight_milli, explained.eligible) == (100, 3000, True)
    # Points logged during the vote do not change the weight it counts with.
    view = await hub.ambassadors.get(a)
    await hub.contributions.record_automatic(a.community_id, view.id, "knowledge", "more", points=200)
    later = await hub.votes.weight(a, vote.id)
    assert later.weight_milli == 4464 and later.vote_weight_milli == 3000
    cast = await hub.votes.cast(a, vote.id, 1, "reaction")
    await hub.votes.cast(b, vote.id, 0, "postback")
    assert cast.weight_milli == 3000
    clock.advance(timedelta(days=3, hours=8))
    [closed] = await hub.votes.close_due()
    assert closed.result is not None
    tally = {o.index: (o.count, o.weight_milli) for o in closed.result.options}
    assert tally == {0: (1, 1200), 1: (1, 3000), 2: (0, 0)}
    assert closed.result.winners == (1,) and closed.result.quorum_met
    assert closed.result.turnout_percent == 100.0
    newcomer = await member(hub, "d", points=50)
    await expect("vote.error.closed", hub.votes.cast(newcomer, vote.id, 0, "reaction"))


async def test_single_choice_moves_approval_adds_and_toggles(hub: Hub) -> None:
    a = await member(hub, "a")
    single = await open_vote(hub)
    first = await hub.votes.cast(a, single.id, 0, "reaction")
    moved = await hub.votes.cast(a, single.id, 2, "reaction")
    assert (first.options, moved.options, moved.moved_from) == ((0,), (2,), (0,))
    again = await hub.votes.cast(a, single.id, 2, "reaction")
    assert not again.changed
    withdrawn = await hub.votes.withdraw(a, single.id, 0)  # removing a reaction that no longer counts
    assert withdrawn.options == (2,) and not withdrawn.changed
    assert (await hub.votes.withdraw(a, single.id, 2)).options == ()
    approval = await open_vote(hub, approval=True)
    await hub.votes.cast(a, approval.id, 0, "reaction")
    both = await hub.votes.cast(a, approval.id, 2, "reaction")
    assert both.options == (0, 2)
    toggled = await hub.votes.cast(a, approval.id, 0, "postback", toggle=True)
    assert toggled.options == (2,)
    assert (await hub.votes.cast(a, approval.id, 2, "reaction")).options == (2,)  # a reaction adds only
    await expect("vote.error.bad_option", hub.votes.cast(a, approval.id, 3, "postback"))
    await expect("vote.error.bad_option", hub.votes.cast(a, approval.id, -1, "postback"))


async def test_a_member_on_discord_and_line_at_once_has_one_ballot(hub: Hub) -> None:
    d = await member(hub, "carol")
    line = who(hub, "U-carol", "line")
    issued = await hub.links.issue(d)
    await hub.links.redeem(line, issued.code)
    vote = await open_vote(hub)
    results = await asyncio.gather(
        hub.votes.cast(d, vote.id, 0, "reaction"), hub.votes.cast(line, vote.id, 1, "postback")
    )
    async with hub.db.transaction() as s:
        rows = (await s.execute(select(Ballot.ambassador_id, Ballot.option))).all()
    assert len(rows) == 1 and rows[0].option in (0, 1)
    last = next(r for r in results if r.previous)
    assert last.options == (rows[0].option,)


async def test_strangers_other_communities_and_late_members_cannot_vote(hub: Hub) -> None:
    await member(hub, "a")
    vote = await open_vote(hub)
    await expect("vote.error.not_member", hub.votes.cast(who(hub, "nobody"), vote.id, 0, "reaction"))
    late = await member(hub, "late")
    await expect("vote.error.joined_after", hub.votes.cast(late, vote.id, 0, "reaction"))
    taba_member = who(hub, "t", "line", key="tabayama")
    await register(hub, taba_member)
    await expect("vote.error.not_found", hub.votes.cast(taba_member, vote.id, 0, "postback"))  # a forged id
    await expect("vote.error.not_found", hub.votes.get(taba_member.community_id, vote.id))


async def test_close_early_cancel_and_ballots_after(hub: Hub) -> None:
    a = await member(hub, "a")
    vote = await open_vote(hub)
    await hub.votes.cast(a, vote.id, 1, "reaction")
    closed = await hub.votes.close(vote.community_id, vote.id, staff(hub))
    assert closed.status == "closed" and closed.result is not None and closed.result.winners == (1,)
    await expect("vote.error.closed", hub.votes.cast(a, vote.id, 0, "reaction"))
    await expect("vote.error.closed", hub.votes.close(vote.community_id, vote.id, staff(hub)))
    other = await open_vote(hub)
    cancelled = await hub.votes.cancel(other.community_id, other.id, staff(hub))
    assert cancelled.status == "cancelled" and cancelled.result is None
    await expect("vote.error.cancelled", hub.votes.cast(a, other.id, 0, "postback"))
    assert await hub.votes.close_due() == []


async def test_hidden_votes_show_no_counts_until_they_close(hub: Hub) -> None:
    a = await member(hub, "a")
    vote = await open_vote(hub, hidden=True)
    cast = await hub.votes.cast(a, vote.id, 0, "button")
    assert cast.vote.result is None and cast.vote.voters == 1
    assert (await hub.votes.get(vote.community_id, vote.id)).result is None
    closed = await hub.votes.close(vote.community_id, vote.id, staff(hub))
    assert closed.result is not None and closed.result.options[0].count == 1


async def test_closing_is_done_once_by_two_processes_and_the_result_posted_once(
    hub: Hub, clock: ManualClock
) -> None:
    people = [await member(hub, f"m{i}") for i in range(12)]
    vote = await open_vote(hub, closes="1日", quorum="10")
    for i, p in enumerate(people):
        await hub.votes.cast(p, vote.id, i % 3, "reaction")
    other = await open_hub(hub.settings, clock=clock)
    try:
        clock.advance(timedelta(days=1))
        a, b = await asyncio.gather(hub.votes.close_due(), other.votes.close_due())
        assert len(a) + len(b) == 1
        posts = await asyncio.gather(
            hub.votes.claim_result_post(vote.community_id, vote.id),
            other.votes.claim_result_post(vote.community_id, vote.id),
        )
        assert sorted(posts) == [False, True]
        points = await asyncio.gather(
            hub.votes.record_ballot_points(vote.community_id, vote.id),
            other.votes.record_ballot_points(vote.community_id, vote.id),
        )
        assert sorted(len(p) for p in points) == [0, 12]  # each first point is a promotion to stage 2
    finally:
        await other.close()
    [closed] = a or b
    assert closed.result is not None and [o.count for o in closed.result.options] == [4, 4, 4]
    assert closed.result.winners == (0, 1, 2) and closed.result.quorum_met
    async with hub.db.transaction() as s:
        entries = await s.scalar(select(func.count()).where(LedgerEntry.category == "ballot"))
    assert entries == 12
    assert await hub.contributions.points(people[0]) == 1
    assert (await hub.ledger.verify(vote.community_id)).ok


async def test_quorum_not_met_is_reported(hub: Hub, clock: ManualClock) -> None:
    people = [await member(hub, f"m{i}") for i in range(4)]
    vote = await open_vote(hub, quorum="75%")
    await hub.votes.cast(people[0], vote.id, 0, "reaction")
    closed = await hub.votes.close(vote.community_id, vote.id, staff(hub))
    assert closed.result is not None
    assert (closed.result.voters, closed.result.quorum_needed, closed.result.quorum_met) == (1, 3, False)


async def test_one_reminder_to_those_who_have_not_voted(hub: Hub, clock: ManualClock) -> None:
    a, b, c = [await member(hub, x) for x in "abc"]
    vote = await open_vote(hub, closes="3日")
    await hub.votes.cast(a, vote.id, 0, "reaction")
    assert await hub.votes.claim_reminder() == []  # not yet 24 h before the close
    clock.advance(timedelta(days=2))
    [(view, waiting)] = await hub.votes.claim_reminder()
    ids = [(await hub.ambassadors.get(p)).id for p in (b, c)]
    assert view.id == vote.id and waiting == ids
    assert await hub.votes.claim_reminder() == []  # once


async def test_restart_reconciles_reactions_added_and_removed_while_down(hub: Hub) -> None:
    a, b, c = [await member(hub, x) for x in "abc"]
    line_only = await member(hub, "U-d", platform="line")
    vote = await open_vote(hub)
    await hub.votes.cast(a, vote.id, 0, "reaction")  # a's reaction was removed while the bot was down
    await hub.votes.cast(b, vote.id, 1, "reaction")  # b moved from 2 to 3 while down
    await hub.votes.cast(line_only, vote.id, 2, "postback")  # LINE ballots are not Discord's business
    reactions = {1: {"b", "stranger"}, 2: {"b", "c"}, 9: {"c"}}
    result = await hub.votes.reconcile(vote.community_id, vote.id, reactions)
    assert (result.added, result.removed) == (1, 1)  # c's reaction added, a's removed
    choices = {
        x: await hub.votes.ballot_of(p, vote.id) for x, p in (("a", a), ("b", b), ("c", c), ("d", line_only))
    }
    assert choices["a"] == () and choices["c"] == (2,) and choices["d"] == (2,)
    assert choices["b"] == (1,)  # two reactions on a single-choice vote: the one it held is kept
    again = await hub.votes.reconcile(vote.community_id, vote.id, reactions)
    assert (again.added, again.removed) == (0, 0)


async def test_the_refusal_note_is_given_once_per_vote(hub: Hub) -> None:
    await member(hub, "a")
    vote = await open_vote(hub)
    assert await hub.votes.note_refusal(vote.community_id, vote.id, "discord", "x")
    assert not await hub.votes.note_refusal(vote.community_id, vote.id, "discord", "x")
    assert await hub.votes.note_refusal(vote.community_id, vote.id, "discord", "y")


def test_quorum_forms() -> None:
    assert parse_quorum(None).needed(40) == 0
    assert parse_quorum("30%").needed(40) == 12
    assert parse_quorum("３０％").needed(41) == 13  # full-width, rounded up
    assert parse_quorum("25").needed(40) == 25
    assert parse_quorum("100%").needed(7) == 7


def test_number_reactions_map_to_options() -> None:
    assert option_of_emoji("1️⃣", 3) == 0 and option_of_emoji("3️⃣", 3) == 2
    assert option_of_emoji("4️⃣", 3) is None and option_of_emoji("👍", 3) is None
    assert option_of_emoji(NUMBER_EMOJI[9], 10) == 9


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=10**7))
def test_weights_grow_with_points_and_never_pass_the_cap(p: int, q: int) -> None:
    rules = VoteSettings()
    lo, hi = sorted((p, q))
    assert 1000 <= weight_milli(lo, rules) <= weight_milli(hi, rules) <= 5000


@pytest.mark.parametrize(
    ("curve", "points", "expected"),
    [("sqrt", 0, 1000), ("sqrt", 25, 2000), ("sqrt", 400, 5000), ("sqrt", 10_000, 5000),
     ("log", 0, 1000), ("linear", 10, 3000)],
)  # fmt: skip
def test_the_curves(curve: str, points: int, expected: int) -> None:
    assert weight_milli(points, VoteSettings(weight_curve=curve)) == expected
