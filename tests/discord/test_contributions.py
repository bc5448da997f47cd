"""Contributions on Discord, acted out in SimCord: logging, review, thanks, history, ranking and stages."""

from __future__ import annotations

from typing import Any

import discord

from bot.config import settings_from_mapping
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_registration import register, who


async def setup_staff(world: World, **contributions: Any) -> tuple[Any, Any, Any]:
    """Staff role, announcement channel and stage roles configured; returns (staff, channel, stage-3 role)."""
    staff_role = world.guild.create_role("運営スタッフ")
    announce = world.guild.create_text_channel("貢献のお知らせ")
    stage3 = world.guild.create_role("力を貸す")
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(ambassador_role_id=world.role.id, staff_role_id=staff_role.id)
    community["contributions"] = {
        "announce_channel_id": announce.id,
        "stages": [{"stage": 2, "min_points": 1}, {"stage": 3, "min_points": 10, "role_id": stage3.id}],
        **contributions,
    }
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    return staff, announce, stage3


async def test_contribute_review_announce_and_promote(world: World) -> None:
    staff, announce, stage3 = await setup_staff(world)
    alice = world.member("alice")
    await register(world, alice)
    logged = await alice.slash(
        world.channel,
        "contribute",
        category="knowledge",
        what="島の高校で出前授業",
        when="2026-11-20",
        link="https://example.jp/r",
    )
    assert logged.ephemeral and "Logged (#1)" in logged.response.content
    assert "once the staff have reviewed it" in logged.response.content

    panel = await staff.slash(world.channel, "review")
    assert panel.ephemeral and "#1" in panel.response.embeds[0].title
    decided = await staff.click(panel.response.message, custom_id="review:approve")
    assert decided.acknowledged
    assert (await world.hub.contributions.points(who(world, alice))) == 10
    dms = [m.content for m in alice.user.dm_channel.history()]
    assert any("was approved. +10 points" in d for d in dms)
    assert any('stage of involvement is now "Lending a hand"' in d for d in dms)
    assert stage3.id in [r.id for r in alice.member.roles]  # the stage role followed the promotion
    assert (
        "Alice" in announce.last_message.embeds[0].title or "Hanako" in announce.last_message.embeds[0].title
    )
    again = await staff.slash(world.channel, "review")
    assert "No contributions are waiting" in again.response.content


async def test_reject_with_a_reason_and_refusals(world: World) -> None:
    staff, _, _ = await setup_staff(world)
    alice = world.member("alice")
    await register(world, alice)
    await register(
        world,
        staff,
        {
            "profile:display_name": "Staff",
            "profile:residence": "島根",
            "profile:interests": "",
            "profile:skills": "",
        },
    )
    await alice.slash(world.channel, "contribute", category="visit", what="再訪", when="yesterday")
    panel = await staff.slash(world.channel, "review")
    modal = await staff.click(panel.response.message, custom_id="review:reject")
    await staff.submit_modal(modal, {"review:reason": "日付を教えてください"})
    assert any(
        "was not approved. Reason: 日付を教えてください" in m.content for m in alice.user.dm_channel.history()
    )
    # Staff cannot approve their own claim.
    await staff.slash(world.channel, "contribute", category="visit", what="出張", when="today")
    own = await staff.slash(world.channel, "review")
    refused = await staff.click(own.response.message, custom_id="review:approve")
    assert "cannot approve your own contribution" in refused.response.content
    # A member who is not staff is refused on the server side.
    nobody = await alice.slash(world.channel, "review")
    assert "for the programme's staff" in nobody.response.content


async def test_bad_contributions_are_explained_and_nothing_is_stored(world: World) -> None:
    alice = world.member("alice")
    await register(world, alice)
    for options, expected in (
        ({"category": "fishing", "what": "x"}, 'no contribution type "fishing"'),
        ({"category": "visit", "what": "x", "when": "2026-12-31"}, "is in the future"),
        ({"category": "visit", "what": "x", "when": "2026-02-30"}, "There is no such date"),
        ({"category": "visit", "what": "あ" * 600}, "within 500 characters"),
    ):
        result = await alice.slash(world.channel, "contribute", **options)
        assert result.ephemeral and expected in result.response.content, result.response.content
    assert await world.hub.contributions.history(who(world, alice)) == []


async def test_thanks_by_command_and_by_reaction(world: World) -> None:
    await setup_staff(world, thanks={"daily_limit": 2})
    alice, bob = world.member("alice"), world.member("bob")
    await register(world, alice)
    await register(
        world,
        bob,
        {
            "profile:display_name": "Bob",
            "profile:residence": "Tokyo",
            "profile:interests": "",
            "profile:skills": "",
        },
    )
    sent = await alice.slash(world.channel, "thanks", member=bob, reason="資料ありがとう")
    assert "You thanked Bob (+1 points)" in sent.response.content
    assert any("Hanako thanked you" in m.content for m in bob.user.dm_channel.history())
    me = await alice.slash(world.channel, "thanks", member=alice, reason="me")
    assert "cannot thank yourself" in me.response.content
    other_bot = world.guild.add_member(world.env.create_user("helperbot", bot=True))
    to_bot = await alice.slash(world.channel, "thanks", member=other_bot, reason="hi")
    assert "Bots cannot be thanked" in to_bot.response.content
    stranger = world.member("stranger")
    not_member = await alice.slash(world.channel, "thanks", member=stranger, reason="hi")
    assert "not a registered ambassador" in not_member.response.content
    message = await bob.send(world.channel, "島の写真をアップしました")
    await alice.react(message, "🙏")
    await alice.react(message, "🙏")  # the same message counts once
    assert await world.hub.contributions.points(who(world, bob)) == 2
    third = await alice.slash(world.channel, "thanks", member=bob, reason="もう一度")
    assert "at most 2 thanks a day" in third.response.content


async def test_history_leaderboard_and_stage(world: World) -> None:
    await setup_staff(world)
    alice = world.member("alice")
    await register(world, alice)
    await alice.slash(world.channel, "contribute", category="promotion", what="SNSで紹介")
    history = await alice.slash(world.channel, "contributions")
    embed = history.response.embeds[0]
    assert "0 points in all · 1 waiting for review" in embed.description
    assert "waiting for review" in embed.fields[0].name
    view = await world.hub.ambassadors.get(who(world, alice))
    await world.hub.contributions.record_automatic(
        view.community_id, view.id, "knowledge", "project", points=12
    )
    board = await alice.slash(world.channel, "leaderboard")
    assert "1. No.1 Hanako — 12pt" in board.response.embeds[0].description
    stage = await alice.slash(world.channel, "stage show")
    assert 'Stage of involvement: 3 "Lending a hand" (12 points in all)' in stage.response.content
    assert "You are at the top stage" in stage.response.content  # stage 3 is the highest configured here


async def test_staff_set_a_stage_by_hand(world: World) -> None:
    staff, _, stage3 = await setup_staff(world)
    alice = world.member("alice")
    await register(world, alice)
    refused = await alice.slash(world.channel, "stage set", member=alice, stage=3, reason="x")
    assert "for the programme's staff" in refused.response.content
    done = await staff.slash(world.channel, "stage set", member=alice, stage=3, reason="地域の役員")
    assert "Set No.1 Hanako to stage 3" in done.response.content
    assert stage3.id in [r.id for r in alice.member.roles]
    back = await staff.slash(world.channel, "stage auto", member=alice, reason="ルールに戻す")
    assert "to stage 1" in back.response.content
    assert stage3.id not in [r.id for r in alice.member.roles]
    assert isinstance(alice.member, discord.Member)
