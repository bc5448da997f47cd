"""Votes on Discord, acted out in SimCord: staff open, close and cancel votes; members vote with number
reactions (or buttons on a hidden vote); results are posted with a chart once; the bot catches up with
reactions changed while it was down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.community.vote_rules import NUMBER_EMOJI
from bot.community.votes import VoteDraft, VoteView
from bot.config import settings_from_mapping
from bot.discord_bot import create_discord_bot
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import buttons, cid, dms, fields, member, setup_events
from tests.discord.test_registration import who
from tests.services.test_ambassadors import register as register_on_line
from tests.services.test_ambassadors import who as line_who

QUESTION = {
    "question": "島の予算の使い道",
    "options": "港の桟橋を直す|図書館を広げる|祭りに使う",
    "closes": "3日",
}
ONE, TWO, THREE = NUMBER_EMOJI[:3]
NOT_STAFF = "for the programme's staff"
PNG = b"\x89PNG\r\n\x1a\n"
CLOSES = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # three days after the test clock's start


async def create(world: World, staff: Any, **options: Any) -> tuple[str, VoteView | None]:
    """Staff open a vote (an option given as None is left out); returns the reply and the newest vote."""
    chosen = {k: v for k, v in {**QUESTION, **options}.items() if v is not None}
    result = await staff.slash(world.channel, "vote create", **chosen)
    reply = world.last_ephemeral(result)
    assert reply.ephemeral
    votes = await world.hub.votes.search(cid(world))
    return reply.content, max(votes, key=lambda v: v.id) if votes else None


async def opened(world: World, staff: Any, **options: Any) -> VoteView:
    _, vote = await create(world, staff, **options)
    assert vote is not None
    return await world.hub.votes.get(cid(world), vote.id)


def post_of(announce: Any, vote: VoteView) -> discord.Message:
    """The vote's post as it is now."""
    found: list[discord.Message] = [m for m in announce.history() if m.id == vote.discord_message_id]
    assert len(found) == 1
    return found[0]


def reactions(message: discord.Message) -> dict[str, int]:
    return {str(r.emoji): r.count for r in message.reactions}


async def ballot(world: World, actor: Any, vote: VoteView) -> tuple[int, ...]:
    return await world.hub.votes.ballot_of(who(world, actor), vote.id)


async def counts(world: World, vote: VoteView) -> tuple[int, ...]:
    live = await world.hub.votes.get(cid(world), vote.id)
    assert live.result is not None
    return tuple(o.count for o in live.result.options)


async def give_points(world: World, actor: Any, points: int) -> None:
    view = await world.hub.ambassadors.get(who(world, actor))
    await world.hub.contributions.record_automatic(cid(world), view.id, "knowledge", "seed", points=points)


async def close_on_time(world: World, clock: ManualClock) -> None:
    clock.advance(CLOSES + timedelta(minutes=1) - clock.now())
    await world.hub.vote_closer.run_due()


async def test_create_posts_the_vote_with_its_number_reactions(world: World) -> None:
    staff, announce = await setup_events(world)
    await member(world, "Alice")
    await member(world, "Bob")
    reply, vote = await create(world, staff, quorum="30%")
    assert vote is not None
    assert f'Opened vote #{vote.id} "島の予算の使い道".' in reply
    assert "Closes: Wed 25 Nov 2026, 10:00 (Japan time)" in reply
    assert "Mode: one member, one vote, choose one" in reply
    assert "Who may vote: the 2 members at stage 1 or above" in reply
    assert "Quorum: 1 voters (30% of those who may vote)" in reply
    assert f"Posted in <#{announce.id}>." in reply and "LINE: sent to 0 members" in reply
    post = post_of(announce, vote)
    assert (vote.discord_channel_id, vote.closes_at) == (announce.id, CLOSES)
    embed = post.embeds[0]
    assert embed.title == "🗳️ 島の予算の使い道"
    assert embed.description == f"{ONE} 港の桟橋を直す\n{TWO} 図書館を広げる\n{THREE} 祭りに使う"
    unix = int(CLOSES.timestamp())
    assert fields(post) == {
        "方法": "1人1票・1つ選ぶ",
        "投票できる人": "関わりの段階1「関心を持つ」以上のアンバサダー（2人）",
        "定足数": "1人（投票できる人の30%）",
        "締め切り": f"<t:{unix}:F> (<t:{unix}:R>)",
    }
    assert "番号のリアクションで1つ選んでください" in (embed.footer.text or "")
    assert reactions(post) == {ONE: 1, TWO: 1, THREE: 1}  # the bot's own, left on: never refused
    assert buttons(post) == []
    assert (await world.hub.votes.get(cid(world), vote.id)).voters == 0  # the bot's reactions never count


async def test_bad_input_is_explained_and_nothing_is_created(world: World) -> None:
    staff, announce = await setup_events(world)
    await member(world, "Alice")
    for options, expected in (
        ({"options": "ひとつだけ"}, "Please give at least 2 options"),
        ({"options": "|".join(f"案{i}" for i in range(11))}, "At most 10 options, please."),
        ({"options": "海|山|海"}, 'The option "海" appears twice.'),
        ({"closes": "2026-11-01 10:00"}, "The closing time is in the past."),
        ({"quorum": "120%"}, "A quorum share can be at most 100%."),
    ):
        reply, vote = await create(world, staff, **options)
        assert expected in reply, (options, reply)
        assert vote is None
    assert announce.history() == []


async def test_staff_commands_are_refused_to_members(world: World) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    vote = await opened(world, staff)
    for name, options in (
        ("vote create", QUESTION),
        ("vote close", {"vote": str(vote.id)}),
        ("vote cancel", {"vote": str(vote.id)}),
    ):
        result = await alice.slash(world.channel, name, **options)
        assert result.ephemeral and NOT_STAFF in world.last_ephemeral(result).content, name
    assert [(v.id, v.status) for v in await world.hub.votes.search(cid(world))] == [(vote.id, "open")]
    assert len(announce.history()) == 1


async def test_reactions_cast_move_and_withdraw_a_single_choice(world: World) -> None:
    staff, announce = await setup_events(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    vote = await opened(world, staff)
    post = post_of(announce, vote)
    await alice.react(post, ONE)
    assert await ballot(world, alice, vote) == (0,)
    assert await counts(world, vote) == (1, 0, 0)
    await alice.react(post, TWO)  # single choice: the ballot moves, and the bot takes 1️⃣ off
    assert await ballot(world, alice, vote) == (1,)
    assert reactions(post_of(announce, vote)) == {ONE: 1, TWO: 2, THREE: 1}
    assert await counts(world, vote) == (0, 1, 0)
    await bob.react(post, TWO)
    assert await counts(world, vote) == (0, 2, 0)
    await alice.unreact(post, TWO)
    assert await ballot(world, alice, vote) == ()
    assert await counts(world, vote) == (0, 1, 0)
    assert dms(alice) == []  # nothing to explain


async def test_approval_keeps_several_choices(world: World) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    reply, vote = await create(world, staff, approval=True)
    assert vote is not None and "choose any" in reply
    post = post_of(announce, vote)
    await alice.react(post, ONE)
    await alice.react(post, THREE)
    assert await ballot(world, alice, vote) == (0, 2)
    assert reactions(post_of(announce, vote)) == {ONE: 2, TWO: 1, THREE: 2}
    await alice.unreact(post, ONE)
    assert await ballot(world, alice, vote) == (2,)


async def test_an_emoji_that_is_no_option_is_taken_off_and_explained_once(world: World) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    vote = await opened(world, staff, options="海|山")
    post = post_of(announce, vote)
    await alice.react(post, "🎉")
    await alice.react(post, THREE)  # a number, but this vote has only two options
    assert reactions(post_of(announce, vote)) == {ONE: 1, TWO: 1}
    assert await ballot(world, alice, vote) == ()
    [told] = dms(alice)
    assert f'Please vote on vote #{vote.id} "島の予算の使い道" with the number reactions 1️⃣ to 2️⃣.' in told
    assert "🎉 does not count" in told
    await alice.react(post, ONE)  # and she can still vote
    assert await ballot(world, alice, vote) == (0,)


async def test_a_stranger_is_not_counted_and_told_once_per_vote(world: World) -> None:
    staff, announce = await setup_events(world)
    await member(world, "Alice")
    first, second = await opened(world, staff), await opened(world, staff, question="祭りの日程")
    stranger = world.member("stranger")
    await stranger.react(post_of(announce, first), ONE)
    await stranger.react(post_of(announce, first), TWO)
    assert reactions(post_of(announce, first)) == {ONE: 1, TWO: 1, THREE: 1}  # both taken off
    assert await counts(world, first) == (0, 0, 0)
    [told] = dms(stranger)  # in the community's language: a stranger has chosen none
    assert f"投票 #{first.id}「島の予算の使い道」へのリアクションは票として数えられませんでした。" in told
    assert "投票にはアンバサダー登録が必要です。" in told
    await stranger.react(post_of(announce, second), ONE)  # another vote: told again, once
    assert len(dms(stranger)) == 2 and f"投票 #{second.id}「祭りの日程」" in dms(stranger)[-1]


async def test_a_member_below_the_stage_is_refused(world: World) -> None:
    staff, announce = await setup_events(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    await give_points(world, bob, 1)  # stage 2
    reply, vote = await create(world, staff, min_stage=2)
    assert vote is not None and "Who may vote: the 1 members at stage 2 or above" in reply
    post = post_of(announce, vote)
    await alice.react(post, ONE)
    await bob.react(post, ONE)
    assert await counts(world, vote) == (1, 0, 0) and await ballot(world, bob, vote) == (0,)
    [told] = dms(alice)
    assert "was not counted.\nThis vote is for members at stage 2 or above." in told
    assert reactions(post_of(announce, vote))[ONE] == 2  # the bot's and Bob's


async def test_reactions_of_other_bots_never_count(world: World) -> None:
    staff, announce = await setup_events(world)
    await member(world, "Alice")
    vote = await opened(world, staff)
    robot = world.guild.add_member(world.env.create_user("robot", bot=True))
    await robot.react(post_of(announce, vote), ONE)
    assert await counts(world, vote) == (0, 0, 0)
    assert reactions(post_of(announce, vote))[ONE] == 2 and dms(robot) == []


async def test_a_reaction_after_the_close_is_not_counted(world: World, clock: ManualClock) -> None:
    staff, announce = await setup_events(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    vote = await opened(world, staff)
    await alice.react(post_of(announce, vote), ONE)
    await close_on_time(world, clock)
    await bob.react(post_of(announce, vote), TWO)
    await alice.unreact(post_of(announce, vote), ONE)  # the result is final: this changes nothing
    closed = await world.hub.votes.get(cid(world), vote.id)
    assert closed.result is not None and [o.count for o in closed.result.options] == [1, 0, 0]
    assert await ballot(world, alice, vote) == (0,) and await ballot(world, bob, vote) == ()
    [told] = dms(bob)
    assert "was not counted.\nThis vote has closed." in told
    assert reactions(post_of(announce, vote))[TWO] == 1


async def test_a_hidden_vote_is_cast_with_buttons_and_shows_no_counts(
    world: World, clock: ManualClock
) -> None:
    staff, announce = await setup_events(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    reply, vote = await create(world, staff, hidden=True, approval=True)
    assert vote is not None and "This is a hidden vote" in reply
    post = post_of(announce, vote)
    assert post.reactions == []
    assert [(b.label, b.custom_id) for b in buttons(post)] == [
        (f"{ONE} 港の桟橋を直す", f"vote:{vote.id}:0"),
        (f"{TWO} 図書館を広げる", f"vote:{vote.id}:1"),
        (f"{THREE} 祭りに使う", f"vote:{vote.id}:2"),
        ("選択を取り消す", f"vote:{vote.id}:clear"),
    ]
    before = post.embeds[0].to_dict()
    chose = await alice.click(post, custom_id=f"vote:{vote.id}:1")
    assert chose.ephemeral
    assert (
        f'Vote #{vote.id} "島の予算の使い道": your choice is {TWO} 図書館を広げる.' in chose.response.content
    )
    assert "Nobody else can see what you chose." in chose.response.content
    both = await alice.click(post, custom_id=f"vote:{vote.id}:2")
    assert f"your choice is {TWO} 図書館を広げる, {THREE} 祭りに使う." in both.response.content
    again = await alice.click(post, custom_id=f"vote:{vote.id}:2")  # approval: a second click takes it back
    assert f"your choice is {TWO} 図書館を広げる." in again.response.content
    await bob.click(post, custom_id=f"vote:{vote.id}:0")
    assert await ballot(world, alice, vote) == (1,) and await ballot(world, bob, vote) == (0,)
    assert post_of(announce, vote).embeds[0].to_dict() == before  # nothing public changes
    peek = await bob.slash(world.channel, "vote results", vote=str(vote.id))
    assert "is a hidden vote: the result is shown after it closes" in peek.response.content
    assert peek.response.embeds == []
    await bob.react(post, ONE)  # a number reaction would show his choice: taken off, not counted
    assert post_of(announce, vote).reactions == [] and await ballot(world, bob, vote) == (0,)
    assert "please vote with the buttons under the post" in dms(bob)[0]
    cleared = await bob.click(post, custom_id=f"vote:{vote.id}:clear")
    assert "you have no choice now" in cleared.response.content and await ballot(world, bob, vote) == ()
    await close_on_time(world, clock)
    closed_post = post_of(announce, vote)
    assert all(b.disabled for b in buttons(closed_post))
    assert closed_post.embeds[0].title == "【締切】島の予算の使い道"
    result = announce.last_message
    assert result is not None and fields(result)[f"{TWO} 図書館を広げる 🏆"] == "1票"


async def test_a_member_who_voted_on_line_has_one_ballot_after_reacting(world: World) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    line = Identity(cid(world), "line", "U-alice")
    issued = await world.hub.links.issue(who(world, alice))
    await world.hub.links.redeem(line, issued.code)
    vote = await opened(world, staff)
    await world.hub.votes.cast(line, vote.id, 0, "postback")
    await alice.react(post_of(announce, vote), TWO)
    assert await ballot(world, alice, vote) == (1,)
    assert await counts(world, vote) == (0, 1, 0)
    assert (await world.hub.votes.get(cid(world), vote.id)).voters == 1


async def test_a_weighted_result_is_posted_once_with_its_chart(world: World, clock: ManualClock) -> None:
    staff, announce = await setup_events(world)
    alice, bob, carol = await member(world, "Alice"), await member(world, "Bob"), await member(world, "Carol")
    await give_points(world, alice, 100)  # weight 1 + 0.2 × √100 = 3.0
    await give_points(world, bob, 1)  # 1.2; Carol 1.0
    vote = await opened(world, staff, weighted=True, quorum="2")
    post = post_of(announce, vote)
    await alice.react(post, TWO)
    await bob.react(post, ONE)
    await carol.react(post, ONE)
    await close_on_time(world, clock)
    assert (await world.hub.vote_closer.run_due()).published == 0  # a second run posts nothing
    messages = announce.history()
    assert len(messages) == 2
    result = messages[-1]
    assert result.reference is not None and result.reference.message_id == vote.discord_message_id
    embed = result.embeds[0]
    assert embed.title == f"🗳️ 投票 #{vote.id} の結果：島の予算の使い道"
    assert embed.description == f"最も多く選ばれたのは {TWO} 図書館を広げる です。"
    assert fields(result) == {
        f"{ONE} 港の桟橋を直す": "2票・重みの合計 2.2",
        f"{TWO} 図書館を広げる 🏆": "1票・重みの合計 3.0",
        f"{THREE} 祭りに使う": "0票・重みの合計 0.0",
        "投票率": "3 / 3人（100%）",
        "定足数": "2人・達成",
    }
    [chart] = result.attachments
    assert chart.filename == f"vote-{vote.id}.png" and embed.image.url == f"attachment://vote-{vote.id}.png"
    assert (await chart.read()).startswith(PNG)
    assert post_of(announce, vote).embeds[0].title == "【締切】島の予算の使い道"
    assert await world.hub.contributions.points(who(world, carol)) == 1  # the ballot point, once


async def test_a_tie_and_an_empty_vote_are_said_so(world: World, clock: ManualClock) -> None:
    staff, announce = await setup_events(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    tied = await opened(world, staff)
    empty = await opened(world, staff, question="祭りの日程", quorum="50%")
    await alice.react(post_of(announce, tied), ONE)
    await bob.react(post_of(announce, tied), THREE)
    await close_on_time(world, clock)
    results = {m.reference.message_id: m.embeds[0] for m in announce.history() if m.reference is not None}
    assert (
        results[tied.discord_message_id].description
        == f"同数で並びました：{ONE} 港の桟橋を直す、{THREE} 祭りに使う"
    )
    assert results[empty.discord_message_id].description == "投票はありませんでした。"
    assert {f.name: f.value for f in results[empty.discord_message_id].fields}["定足数"] == "1人・未達"


async def test_staff_close_early_after_confirming(world: World) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    vote = await opened(world, staff)
    await alice.react(post_of(announce, vote), THREE)
    panel = await staff.slash(world.channel, "vote close", vote=str(vote.id))
    assert panel.ephemeral
    assert (
        f'Close vote #{vote.id} "島の予算の使い道" now?\n1 of 1 members have voted.' in panel.response.content
    )
    assert (await world.hub.votes.get(cid(world), vote.id)).status == "open"  # not yet
    done = await staff.click(panel.response.message, custom_id="vote-action:confirm")
    assert done.acknowledged
    assert f'Closed vote #{vote.id} "島の予算の使い道" and published the result.' in panel.response.content
    closed = await world.hub.votes.get(cid(world), vote.id)
    assert closed.status == "closed" and closed.result is not None and closed.result.winners == (2,)
    result = announce.last_message
    assert (
        result is not None
        and result.embeds[0].description == f"最も多く選ばれたのは {THREE} 祭りに使う です。"
    )
    assert await world.hub.contributions.points(who(world, alice)) == 1
    twice = await staff.slash(world.channel, "vote close", vote=str(vote.id))
    assert "This vote has closed." in world.last_ephemeral(twice).content


async def test_staff_cancel_after_confirming_and_keep(world: World) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    vote = await opened(world, staff)
    kept = await staff.slash(world.channel, "vote cancel", vote=str(vote.id))
    stay = await staff.click(kept.response.message, custom_id="vote-action:keep")
    assert stay.acknowledged and "The vote was not cancelled." in kept.response.content
    assert (await world.hub.votes.get(cid(world), vote.id)).status == "open"
    panel = await staff.slash(world.channel, "vote cancel", vote=str(vote.id))
    assert f'Cancel vote #{vote.id} "島の予算の使い道"?' in panel.response.content
    await staff.click(panel.response.message, custom_id="vote-action:confirm")
    assert f'Cancelled vote #{vote.id} "島の予算の使い道".' in panel.response.content
    assert (await world.hub.votes.get(cid(world), vote.id)).status == "cancelled"
    post = post_of(announce, vote)
    assert post.embeds[0].title == "【取消】島の予算の使い道"
    assert "この投票は取り消されました" in (post.embeds[0].footer.text or "")
    assert len(announce.history()) == 1  # no result
    await alice.react(post, ONE)
    assert "This vote was cancelled." in dms(alice)[0]
    shown = await alice.slash(world.channel, "vote results", vote=str(vote.id))
    assert "was cancelled, so it was not counted" in shown.response.content


async def test_results_live_while_open_and_with_the_chart_once_closed(world: World) -> None:
    staff, announce = await setup_events(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    vote = await opened(world, staff)
    await alice.react(post_of(announce, vote), TWO)
    live = await bob.slash(world.channel, "vote results", vote=str(vote.id))
    embed = live.response.embeds[0]
    assert live.ephemeral and embed.title == f"🗳️ Vote #{vote.id} so far: 島の予算の使い道"
    shown = {f.name: f.value for f in embed.fields}
    assert shown[f"{TWO} 図書館を広げる"] == "1 votes" and shown["Turnout"] == "1 / 2 (50%)"
    assert live.response.attachments == []
    await staff.click(
        (await staff.slash(world.channel, "vote close", vote=str(vote.id))).response.message,
        custom_id="vote-action:confirm",
    )
    final = await bob.slash(world.channel, "vote results", vote=f"#{vote.id}")
    assert final.ephemeral
    embed = final.response.embeds[0]
    assert embed.title == f"🗳️ Result of vote #{vote.id}: 島の予算の使い道"
    assert embed.description == f"Most chosen: {TWO} 図書館を広げる."
    [chart] = final.response.attachments
    assert chart.filename == f"vote-{vote.id}.png" and (await chart.read()).startswith(PNG)
    missing = await bob.slash(world.channel, "vote results", vote="999")
    assert "Vote #999 was not found." in world.last_ephemeral(missing).content


async def test_weight_is_explained_and_fixed_when_the_vote_opens(world: World) -> None:
    staff, _ = await setup_events(world)
    alice = await member(world, "Alice")
    await give_points(world, alice, 100)
    weighted = await opened(world, staff, weighted=True)
    equal = await opened(world, staff, question="祭りの日程")
    await give_points(world, alice, 200)  # after the votes opened
    today = await alice.slash(world.channel, "vote weight")
    text = today.response.content
    assert today.ephemeral and "Your contribution points: 300" in text
    assert "Weight = min(cap 5, 1 + 0.2 × √300) = 4.46" in text
    assert "fixed from your points when the vote opens" in text
    fixed = await alice.slash(world.channel, "vote weight", vote=str(weighted.id))
    assert (
        f"In vote #{weighted.id} you count with the weight 3.00, fixed from your 100 points"
        in fixed.response.content
    )
    same = await alice.slash(world.channel, "vote weight", vote=str(equal.id))
    assert f"Vote #{equal.id} is one member, one vote" in same.response.content
    late = await member(world, "Dan")
    outside = await late.slash(world.channel, "vote weight", vote=str(weighted.id))
    assert f"You are not among those who may vote in vote #{weighted.id}" in outside.response.content
    await give_points(world, late, 500)
    capped = await late.slash(world.channel, "vote weight")
    assert "= 5.00" in capped.response.content and "reached the cap (5)" in capped.response.content
    stranger = await world.member("stranger").slash(world.channel, "vote weight")
    assert "register" in world.last_ephemeral(stranger).content.lower()


async def test_my_votes_lists_open_votes_with_my_choices(world: World) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    first = await opened(world, staff)
    second = await opened(world, staff, question="祭りの日程", hidden=True, closes="5日")
    await alice.react(post_of(announce, first), TWO)
    listed = await alice.slash(world.channel, "votes")
    assert listed.ephemeral
    shown = {f.name: f.value or "" for f in listed.response.embeds[0].fields}
    assert list(shown) == [f"#{first.id} 島の予算の使い道", f"#{second.id} 祭りの日程"]
    assert f"Your choice: {TWO} 図書館を広げる" in shown[f"#{first.id} 島の予算の使い道"]
    assert f"/{announce.id}/{first.discord_message_id})" in shown[f"#{first.id} 島の予算の使い道"]
    assert "You have not voted yet" in shown[f"#{second.id} 祭りの日程"]
    assert "vote with the buttons (hidden)" in shown[f"#{second.id} 祭りの日程"]
    nobody = await world.member("stranger").slash(world.channel, "votes")
    assert "register" in world.last_ephemeral(nobody).content.lower()


async def test_autocomplete_offers_this_communitys_votes(world: World) -> None:
    staff, _ = await setup_events(world)
    await member(world, "Alice")
    vote = await opened(world, staff)
    taba = world.hub.communities.by_key("tabayama")
    assert taba is not None
    await register_on_line(world.hub, line_who(world.hub, "U-t", "line", key="tabayama"), "Taro")
    draft = VoteDraft(question="島の予算（丹波山）", options="a|b", closes="3日")
    await world.hub.votes.open(taba.id, Identity(taba.id, "discord", "1"), draft)
    choices = await staff.autocomplete(world.channel, "vote close", "vote", "予算")
    assert choices == [{"name": f"#{vote.id} 島の予算の使い道 (2026/11/25 10:00)", "value": str(vote.id)}]
    typed = await staff.slash(world.channel, "vote results", vote="予算")  # text that is no vote number
    assert "was not found" in world.last_ephemeral(typed).content


async def test_without_an_announcement_channel_staff_are_told(world: World) -> None:
    staff_role = world.guild.create_role("運営スタッフ")
    data = settings_data(world.hub.settings.database.url)
    data["communities"][0]["discord"]["staff_role_id"] = staff_role.id
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    await member(world, "Alice")
    reply, vote = await create(world, staff)
    assert vote is not None and vote.discord_message_id is None
    assert "No announcement channel is configured" in reply
    assert "LINE: sent to 0 members" in reply


async def test_staff_hear_how_many_line_members_the_budget_left_out(world: World) -> None:
    staff, _ = await setup_events(world, line_budget=1)
    for uid in ("U1", "U2"):
        ident = line_who(world.hub, uid, "line")
        await register_on_line(world.hub, ident, f"LINE {uid}")
        await world.hub.votes.set_vote_news(ident, True)
    sink = VoteCardSink()
    world.hub.notifier.attach(sink)  # type: ignore[arg-type]
    reply, vote = await create(world, staff)
    assert vote is not None
    assert "LINE: sent to 1 members who asked for vote news." in reply
    assert "This month's LINE message limit is reached: 1 members were not sent it." in reply
    assert sink.votes == [("U1",)]


@dataclass
class VoteCardSink:
    """LINE's side of a vote offer, recorded (the LINE face itself is tested over HTTP in tests/line)."""

    platform: str = "line"
    votes: list[tuple[str, ...]] = field(default_factory=list)

    async def send_vote_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, vote: VoteView
    ) -> bool:
        self.votes.append(tuple(external_ids))
        return True

    async def send(
        self, community_id: int, external_id: str, text: str, retry_key: str | None = None
    ) -> bool:
        return True

    async def sync_roles(
        self, community_id: int, external_id: str, add: tuple[int, ...], remove: tuple[int, ...]
    ) -> bool:
        return True


async def test_reactions_changed_while_the_bot_was_down_are_reconciled(world: World) -> None:
    staff, announce = await setup_events(world)
    alice, bob, carol = await member(world, "Alice"), await member(world, "Bob"), await member(world, "Carol")
    vote = await opened(world, staff)
    post = post_of(announce, vote)
    await alice.react(post, ONE)
    await carol.react(post, THREE)
    # The bot goes down. ``env.restart_bot`` detaches and re-attaches in one step, leaving no moment with
    # the bot away, so the test stops it with ``env.shutdown()`` (SimCord unsubscribes it from the gateway)
    # and starts a new bot with ``env.start()``. Members react meanwhile through SimCord as usual: Discord
    # (the backend) stores the reactions, and no event reaches any bot — as when a real bot is offline.
    env = world.env
    await env.shutdown()
    await alice.unreact(post, ONE)
    await bob.react(post, TWO)
    assert await ballot(world, alice, vote) == (0,) and await ballot(world, bob, vote) == ()  # unseen
    env.bot = create_discord_bot(world.hub.settings, world.hub)
    await env.start()  # a new bot: on_ready reads the reactions on the open votes' posts
    assert await ballot(world, alice, vote) == ()
    assert await ballot(world, bob, vote) == (1,)
    assert await ballot(world, carol, vote) == (2,)
    assert await counts(world, vote) == (0, 1, 1)
    await alice.react(post, THREE)  # and the new bot listens
    assert await ballot(world, alice, vote) == (2,)


async def test_buttons_and_results_work_after_a_restart(world: World, clock: ManualClock) -> None:
    staff, announce = await setup_events(world)
    alice = await member(world, "Alice")
    vote = await opened(world, staff, hidden=True)
    await world.env.restart_bot(create_discord_bot(world.hub.settings, world.hub))
    chose = await alice.click(post_of(announce, vote), custom_id=f"vote:{vote.id}:0")
    assert "your choice is" in chose.response.content and await ballot(world, alice, vote) == (0,)
    await close_on_time(world, clock)
    assert len([m for m in announce.history() if m.reference is not None]) == 1  # one board posts it


async def test_without_manage_messages_reactions_stay_but_only_ballots_count(world: World) -> None:
    staff, _ = await setup_events(world)
    me = world.env.bot.user
    assert me is not None
    locked = world.guild.create_text_channel(
        "投票", overwrites={me: discord.PermissionOverwrite(manage_messages=False)}
    )
    ref = world.hub.communities.by_key("ama")
    assert ref is not None and ref.settings.discord is not None
    data = settings_data(world.hub.settings.database.url)
    data["communities"][0]["discord"].update(
        staff_role_id=ref.settings.discord.staff_role_id, announcement_channel_id=locked.id
    )
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    alice = await member(world, "Alice")
    vote = await opened(world, staff)
    post = post_of(locked, vote)
    await alice.react(post, ONE)
    await alice.react(post, TWO)  # the bot may not take 1️⃣ off: the ballot moves all the same
    stranger = world.member("stranger")
    await stranger.react(post, THREE)
    assert reactions(post_of(locked, vote)) == {ONE: 2, TWO: 2, THREE: 2}
    assert await ballot(world, alice, vote) == (1,) and await counts(world, vote) == (0, 1, 0)
    assert len(dms(stranger)) == 1 and dms(alice) == []
