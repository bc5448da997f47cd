"""Announcements, the push budget and the weekly digest on Discord, acted out in SimCord."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.community.profile_rules import validate_profile
from bot.config import settings_from_mapping
from storage.models import AuditEntry, Broadcast
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import NOT_STAFF, cid, dms, member
from tests.discord.test_registration import who
from tests.services.test_ambassadors import register as register_directly
from tests.services.test_ambassadors import who as line_who
from tests.services.test_broadcasts import LineRecorder

TEXT = "島の清掃は雨天決行です。"
JA = f"📣 海士町オフィシャルアンバサダーからのお知らせ\n\n{TEXT}"
EN = f"📣 News from 海士町オフィシャルアンバサダー\n\n{TEXT}"


async def console(world: World, budget: int | None = 200) -> tuple[Any, Any, Any, LineRecorder]:
    """Staff role, announcement and staff channels configured; a LINE face stand-in attached.
    Returns (staff, announcement channel, staff channel, LINE)."""
    staff_role = world.guild.create_role("運営スタッフ")
    announce = world.guild.create_text_channel("お知らせ")
    office = world.guild.create_text_channel("運営")
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(
        ambassador_role_id=world.role.id,
        staff_role_id=staff_role.id,
        announcement_channel_id=announce.id,
        staff_channel_id=office.id,
    )
    community["line"]["monthly_push_budget"] = budget
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    line = LineRecorder("line")
    world.hub.notifier.attach(line)
    return staff, announce, office, line


async def on_line(world: World, uid: str) -> int:
    ident = line_who(world.hub, uid, "line")
    await register_directly(world.hub, ident)
    return (await world.hub.ambassadors.get(ident)).id


async def broadcasts(world: World) -> int:
    async with world.hub.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Broadcast)) or 0)


async def test_announce_previews_the_reach_and_posts_only_when_confirmed(world: World) -> None:
    staff, announce, _, line = await console(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    await on_line(world, "U1")
    shown = await staff.slash(world.channel, "announce", text=TEXT)
    assert shown.ephemeral
    preview = shown.response.content
    assert preview.splitlines() == [
        "To: everyone",
        f"Discord: posted in the announcement channel <#{announce.id}> (members on Discord: 2)",
        "LINE: 1 members who have not linked Discord (1 pushes)",
        "This month's LINE pushes: 200 of 200 left",
        "Members on both Discord and LINE get it on Discord only "
        "(never twice, and no push is spent on them).",
    ]
    assert shown.response.embeds[0].description == JA
    assert announce.last_message is None and line.multicasts == []  # nothing sent yet
    done = await staff.click(shown.response.message, custom_id="announce:confirm")
    assert done.acknowledged
    assert shown.response.content.splitlines() == [
        "Announcement #1 was sent.",
        "Posted in the announcement channel.",
        "LINE: sent to 1 members.",
    ]
    assert announce.last_message is not None and announce.last_message.content == JA
    assert line.multicasts == [(("U1",), JA)]
    assert dms(alice) == [] and dms(bob) == []  # the channel reaches them
    async with world.hub.db.transaction() as s:
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "broadcast.sent"))).one()
    assert entry.actor == f"discord:{staff.id}"
    assert len(announce.history()) == 1


async def test_a_segment_is_sent_as_dms_in_each_members_language(world: World) -> None:
    staff, announce, _, line = await console(world)
    alice = await member(world, "Alice")  # interests: food, education (from the registration form)
    carol = world.member("carol")
    await world.hub.ambassadors.register(
        who(world, carol),
        validate_profile("Carol", "Tokyo", "fan", "surfing", ""),
        notice_version="2026-04",
        language="ja",
        timezone="Asia/Tokyo",
    )
    await on_line(world, "U1")  # interests 食、教育: not "food"
    shown = await staff.slash(world.channel, "announce", text=TEXT, interest="food", min_stage=1)
    assert shown.response.content.splitlines()[:3] == [
        "To: interest: food",
        "Discord: a DM to 1 members",
        "LINE: 0 members who have not linked Discord (0 pushes)",
    ]
    await staff.click(shown.response.message, custom_id="announce:confirm")
    assert "Discord: a DM went to 1 members." in shown.response.content
    assert dms(alice) == [EN] and dms(carol) == [] and line.multicasts == []
    assert announce.last_message is None
    shown = await staff.slash(world.channel, "announce", text=TEXT, residence="東京", language="ja")
    assert shown.response.content.splitlines()[0] == "To: living in: Tokyo, language: 日本語"
    await staff.click(shown.response.message, custom_id="announce:confirm")
    assert dms(carol) == [JA]


async def test_only_staff_may_announce_or_see_the_budget(world: World) -> None:
    await console(world)
    alice = await member(world, "Alice")
    for name, options in (("announce", {"text": TEXT}), ("budget", {})):
        result = await alice.slash(world.channel, name, **options)
        assert result.ephemeral and NOT_STAFF in world.last_ephemeral(result).content, name
    assert await broadcasts(world) == 0


async def test_a_segment_that_matches_nobody_is_refused(world: World) -> None:
    staff, announce, _, line = await console(world)
    await member(world, "Alice")
    result = await staff.slash(world.channel, "announce", text=TEXT, interest="宇宙")
    reply = world.last_ephemeral(result).content
    assert "Nobody who matches these filters can be reached" in reply and "Nothing was sent." in reply
    assert await broadcasts(world) == 0 and announce.last_message is None and line.multicasts == []
    bad = await staff.slash(world.channel, "announce", text=TEXT, residence="Atlantis")
    assert "not recognised as a prefecture or a country" in world.last_ephemeral(bad).content


async def test_an_announcement_past_the_budget_is_refused_with_the_numbers(world: World) -> None:
    staff, announce, _, line = await console(world, budget=1)
    await member(world, "Alice")
    await on_line(world, "U1")
    await on_line(world, "U2")
    result = await staff.slash(world.channel, "announce", text=TEXT)
    assert world.last_ephemeral(result).content == (
        "Reaching the 2 members who are only on LINE needs 2 pushes, but only 1 of this month's 1 are left. "
        "Narrow the segment or wait for next month. Nothing was sent."
    )
    assert await broadcasts(world) == 0 and announce.last_message is None and line.multicasts == []
    assert await world.hub.notifier.budget.used(cid(world)) == 0


async def test_cancel_sends_nothing_and_a_refused_line_batch_can_be_retried(world: World) -> None:
    staff, announce, _, line = await console(world)
    await on_line(world, "U1")
    shown = await staff.slash(world.channel, "announce", text=TEXT)
    await staff.click(shown.response.message, custom_id="announce:cancel")
    assert shown.response.content == "The announcement was cancelled. Nothing was sent."
    assert announce.last_message is None and line.multicasts == []
    line.refuse_calls = {1}
    shown = await staff.slash(world.channel, "announce", text=TEXT)
    await staff.click(shown.response.message, custom_id="announce:confirm")
    assert shown.response.content.splitlines()[2:] == [
        "LINE: 1 members could not be reached (their pushes were given back).",
        "Press Retry to send it again to those it did not reach. Nobody who got it gets it twice.",
    ]
    assert await world.hub.notifier.budget.used(cid(world)) == 0
    await staff.click(shown.response.message, custom_id="announce:retry")
    assert "LINE: sent to 1 members." in shown.response.content and "Retry" not in shown.response.content
    assert [batch for batch, _ in line.multicasts] == [("U1",), ("U1",)]  # refused once, then delivered
    assert len(announce.history()) == 1  # the channel post was made once


async def test_budget_shows_pushes_held_messages_and_the_next_digest(world: World) -> None:
    staff, _, office, _ = await console(world, budget=1)
    first = await on_line(world, "U1")
    second = await on_line(world, "U2")
    assert await world.hub.notifier.tell(cid(world), first, "discord.profile.saved") == "line"
    assert await world.hub.notifier.tell(cid(world), second, "discord.profile.saved") is None  # held
    # Staff were told in their channel that the budget ran out (once a month).
    [notice] = [m.content for m in office.history()]
    assert notice.startswith(
        "⚠️ 海士町オフィシャルアンバサダー：今月（2026-11）のLINE送信枠を使い切りました（1／1通）。"
    )
    result = await staff.slash(world.channel, "budget")
    monday = 1_795_392_000  # Monday 23 November 2026, 09:00 in Tokyo
    assert result.response.content.splitlines() == [
        "**LINE push budget (2026-11)**",
        "Pushes this month: 1 of 1 (0 left)",
        "Messages held: 1 (they go out in the next weekly digest)",
        f"Next weekly digest: <t:{monday}:F>",
    ]


async def test_members_turn_the_digest_off_and_on(world: World) -> None:
    await console(world)
    alice = await member(world, "Alice")
    off = await alice.slash(world.channel, "digest off")
    assert (
        off.ephemeral and off.response.content == "The weekly digest is stopped. To get it again: /digest on."
    )
    assert not await world.hub.weekly_digest.digest_on(who(world, alice))
    on = await alice.slash(world.channel, "digest on")
    assert (
        on.response.content
        == "You will get the weekly digest by DM (next: <t:1795392000:F>). To stop it: /digest off."
    )
    assert await world.hub.weekly_digest.digest_on(who(world, alice))
    stranger = world.member("stranger")
    refused = await stranger.slash(world.channel, "digest off")
    assert "register" in world.last_ephemeral(refused).content.lower()


async def test_the_filters_offer_their_choices_and_a_subcommittee_by_name(world: World) -> None:
    staff, _, _, line = await console(world)
    offered = await staff.autocomplete(world.channel, "announce", "connection", "fan")
    assert offered == [{"name": "Fan", "value": "fan"}]  # in the staff member's language (an English client)
    # What was typed may be in either language.
    assert await staff.autocomplete(world.channel, "announce", "connection", "ファン") == offered
    assert [c["value"] for c in await staff.autocomplete(world.channel, "announce", "language", "")] == [
        "ja",
        "en",
    ]
    await on_line(world, "U1")
    new = await world.hub.subcommittees.check_new(cid(world), "食と農", "", "食")
    food = await world.hub.subcommittees.create(new, line_who(world.hub, "staff-1"))
    await world.hub.subcommittees.join(line_who(world.hub, "U1", "line"), food.id)
    assert await staff.autocomplete(world.channel, "announce", "subcommittee", "食") == [
        {"name": "食と農", "value": f"#{food.id}"}
    ]
    shown = await staff.slash(
        world.channel, "announce", text=TEXT, subcommittee=f"#{food.id}", connection="fan"
    )
    assert "To: subcommittee: 食と農, connection: Fan" in shown.response.content
    assert "LINE: 1 members who have not linked Discord (1 pushes)" in shown.response.content
    await staff.click(shown.response.message, custom_id="announce:confirm")
    assert line.multicasts == [(("U1",), JA)]
