"""Events on Discord, acted out in SimCord: staff post, edit and cancel; members answer with the buttons on
the announcement, check in, list their events and take a calendar file; reminders go out once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import discord

from bot.clock import ManualClock
from bot.community.events import EventDraft, EventView
from bot.community.identity import Identity
from bot.config import settings_from_mapping
from bot.discord_bot import create_discord_bot
from cogs._event_render import EventAnnouncements, RsvpButton
from tests.conftest import TABA_GUILD, settings_data
from tests.discord.conftest import World
from tests.discord.test_registration import GOOD, register, who
from tests.services.test_ambassadors import register as register_on_line
from tests.services.test_ambassadors import who as line_who

BEACH = {
    "title": "浜辺の清掃",
    "start": "2026-12-05 19:00",
    "end": "21:00",
    "place": "海士町 中央公民館",
    "description": "軍手をお持ちください。",
}
BEACH_START = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # 19:00 in Tokyo
BEACH_END = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
NOT_STAFF = "for the programme's staff"


async def setup_events(world: World, line_budget: int | None = None, **events: Any) -> tuple[Any, Any]:
    """Staff role and announcement channel configured, plus ``[events]`` settings and the LINE push budget;
    returns (staff, announcement channel)."""
    staff_role = world.guild.create_role("運営スタッフ")
    announce = world.guild.create_text_channel("イベント告知")
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(
        ambassador_role_id=world.role.id, staff_role_id=staff_role.id, announcement_channel_id=announce.id
    )
    if events:
        community["events"] = events
    if line_budget is not None:
        community["line"]["monthly_push_budget"] = line_budget
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    return staff, announce


async def member(world: World, name: str) -> Any:
    """A registered ambassador (language en: SimCord clients speak en-US) named ``name``."""
    actor = world.member(name.lower())
    await register(world, actor, {**GOOD, "profile:display_name": name})
    return actor


def cid(world: World) -> int:
    ref = world.hub.communities.by_key("ama")
    assert ref is not None
    return ref.id


async def events_of(world: World) -> list[EventView]:
    return await world.hub.events.search(cid(world), include_past=True)


async def create(world: World, staff: Any, **options: Any) -> tuple[str, EventView]:
    """Staff create an event (an option given as None is left out); returns the reply and the event."""
    chosen = {k: v for k, v in {**BEACH, **options}.items() if v is not None}
    result = await staff.slash(world.channel, "event create", **chosen)
    reply = world.last_ephemeral(result)
    assert reply.ephemeral
    newest = max(await events_of(world), key=lambda e: e.id)
    return reply.content, newest


def fields(message: discord.Message) -> dict[str, str]:
    return {f.name or "": f.value or "" for f in message.embeds[0].fields}


def buttons(message: discord.Message) -> list[discord.Button]:
    return [c for row in message.components if isinstance(row, discord.ActionRow) for c in row.children
            if isinstance(c, discord.Button)]  # fmt: skip


def dms(actor: Any) -> list[str]:
    channel = actor.user.dm_channel
    return [m.content for m in channel.history()] if channel is not None else []


async def answers(world: World, event_id: int) -> dict[int, str]:
    """member number → answer, as the staff attendance list has it."""
    return {r.member_number: r.status for r in await world.hub.events.attendance(cid(world), event_id)}


async def test_create_posts_the_announcement_and_tells_staff_what_was_understood(world: World) -> None:
    staff, announce = await setup_events(world)
    reply, event = await create(world, staff, capacity=20)
    assert f'Created event #{event.id} "浜辺の清掃"' in reply
    assert "When: Sat 5 Dec 2026, 19:00–21:00 (Japan time)" in reply
    assert "Where: 海士町 中央公民館" in reply and "Capacity: 20" in reply
    assert f"Check-in code: **{event.checkin_code}**" in reply
    assert "No year was given" not in reply and "No end was given" not in reply
    assert f"posted in <#{announce.id}>" in reply
    assert "LINE: sent to 0 members" in reply
    post = announce.last_message
    assert post is not None and (event.discord_channel_id, event.discord_message_id) == (announce.id, post.id)
    embed = post.embeds[0]
    assert embed.title == "浜辺の清掃" and embed.description == "軍手をお持ちください。"
    shown = fields(post)
    start, end = int(BEACH_START.timestamp()), int(BEACH_END.timestamp())
    assert shown["日時"].startswith(f"<t:{start}:F> – <t:{end}:t>")  # each reader's own zone
    assert shown["場所"] == "海士町 中央公民館"
    assert shown["参加"] == "0 / 20人（残り20席）" and shown["キャンセル待ち"] == "0人"
    assert [(b.label, b.custom_id) for b in buttons(post)] == [
        ("参加", f"event:{event.id}:going"),
        ("検討中", f"event:{event.id}:maybe"),
        ("不参加", f"event:{event.id}:declined"),
    ]


async def test_assumed_year_and_end_are_said_and_no_channel_means_no_post(world: World) -> None:
    staff_role = world.guild.create_role("運営スタッフ")
    data = settings_data(world.hub.settings.database.url)
    data["communities"][0]["discord"]["staff_role_id"] = staff_role.id
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    reply, event = await create(
        world, staff, start="12/5 19:00", end=None, online_url="https://meet.example/x"
    )
    assert "No year was given, so 2026 was taken" in reply
    assert "the event lasts 120 minutes" in reply
    assert "Where: 海士町 中央公民館 / https://meet.example/x" in reply
    assert "Capacity: no limit" in reply
    assert "No announcement channel is configured" in reply
    assert (event.starts_at, event.ends_at) == (BEACH_START, BEACH_END)
    assert event.discord_message_id is None


async def test_an_event_in_another_time_zone_is_read_and_shown_in_it(world: World) -> None:
    staff, announce = await setup_events(world)
    reply, event = await create(world, staff, title="パリ交流会", timezone="Europe/Paris", place=None)
    assert "When: Sat 5 Dec 2026, 19:00–21:00 (Europe/Paris)" in reply
    assert "Where: not set" in reply
    assert event.starts_at == datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    assert fields(announce.last_message)["日時"].startswith(f"<t:{int(event.starts_at.timestamp())}:F>")


async def test_staff_commands_are_refused_to_members(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff)
    alice = await member(world, "Alice")
    for name, options in (
        ("event create", BEACH),
        ("event edit", {"event": str(event.id), "title": "乗っ取り"}),
        ("event cancel", {"event": str(event.id), "reason": "いたずら"}),
        ("event checkin", {"event": str(event.id), "member": alice}),
        ("event code", {"event": str(event.id)}),
        ("event attendees", {"event": str(event.id)}),
    ):
        result = await alice.slash(world.channel, name, **options)
        assert result.ephemeral and NOT_STAFF in world.last_ephemeral(result).content, name
    assert [(e.id, e.title, e.status) for e in await events_of(world)] == [
        (event.id, "浜辺の清掃", "scheduled")
    ]
    assert event.checkin_code not in "".join(m.content for m in world.channel.history())
    assert len(announce.history()) == 1


async def test_bad_input_is_explained_and_nothing_is_created(world: World) -> None:
    staff, announce = await setup_events(world)
    for options, expected in (
        ({"start": "2026-11-20 19:00"}, "The start is in the past"),
        ({"end": "18:00"}, "The end must be after the start"),
        ({"capacity": 0}, "The capacity must be at least 1"),
        ({"capacity": -5}, "The capacity must be at least 1"),
        ({"start": "来週のどこか"}, 'Could not read "来週のどこか" as a date and time'),
        ({"start": "2026-02-30 19:00"}, "There is no such date or time"),
        ({"title": "あ" * 101}, "The title can be at most 100 characters"),
        ({"online_url": "meet.example"}, "The online link must be a URL"),
        ({"timezone": "Mars/Olympus"}, "was not recognised as a time zone"),
    ):
        result = await staff.slash(world.channel, "event create", **{**BEACH, **options})
        reply = world.last_ephemeral(result)
        assert reply.ephemeral and expected in reply.content, (options, reply.content)
    assert await events_of(world) == []
    assert announce.history() == []


async def test_rsvp_buttons_record_answers_and_update_the_counts(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    post = announce.last_message
    going = await alice.click(post, custom_id=f"event:{event.id}:going")
    assert going.ephemeral
    assert going.response.content.startswith('You are going to "浜辺の清掃".\nSat 5 Dec 2026, 19:00–21:00')
    assert fields(announce.last_message)["参加"] == "1人"
    maybe = await bob.click(post, custom_id=f"event:{event.id}:maybe")
    assert 'You answered "maybe"' in maybe.response.content
    assert (fields(announce.last_message)["参加"], fields(announce.last_message)["検討中"]) == ("1人", "1人")
    again = await alice.click(post, custom_id=f"event:{event.id}:going")
    assert 'You already answered "Going" for "浜辺の清掃". Nothing changed.' in again.response.content
    assert await answers(world, event.id) == {1: "going", 2: "maybe"}
    no = await alice.click(post, custom_id=f"event:{event.id}:declined")
    assert 'You answered "not going"' in no.response.content
    assert fields(announce.last_message)["参加"] == "0人"
    assert await answers(world, event.id) == {1: "declined", 2: "maybe"}
    stranger = world.member("stranger")
    refused = await stranger.click(post, label="参加")
    assert "Only registered ambassadors can answer" in refused.response.content
    assert len(await answers(world, event.id)) == 2


async def test_waiting_list_and_promotion_with_a_direct_message(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff, capacity=1)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    post = announce.last_message
    await alice.click(post, custom_id=f"event:{event.id}:going")
    waiting = await bob.click(post, custom_id=f"event:{event.id}:going")
    assert "is full, so you are on the waiting list (number 1)" in waiting.response.content
    shown = fields(announce.last_message)
    assert (shown["参加"], shown["キャンセル待ち"]) == ("1 / 1人（残り0席）", "1人")
    again = await bob.click(post, custom_id=f"event:{event.id}:going")
    assert 'You already answered "Waiting list"' in again.response.content
    assert not any("A place opened up" in d for d in dms(bob))
    await alice.click(post, custom_id=f"event:{event.id}:declined")
    assert await answers(world, event.id) == {1: "declined", 2: "going"}
    assert any('A place opened up: you are now going to "浜辺の清掃"' in d for d in dms(bob))
    shown = fields(announce.last_message)
    assert (shown["参加"], shown["キャンセル待ち"]) == ("1 / 1人（残り0席）", "0人")


async def test_answers_close_at_the_start_and_on_cancellation(world: World, clock: ManualClock) -> None:
    staff, announce = await setup_events(world)
    _, late = await create(world, staff, title="夜の勉強会", start="2026-11-22 20:00", end="21:00")
    _, dropped = await create(world, staff, title="釣り大会")
    alice = await member(world, "Alice")
    late_post, dropped_post = announce.history()
    # Cancelled behind the announcement's back (say on LINE, before the post was refreshed): still refused.
    await world.hub.events.cancel(cid(world), dropped.id, Identity(cid(world), "line", "U-staff"), "台風")
    cancelled = await alice.click(dropped_post, custom_id=f"event:{dropped.id}:going")
    assert "This event has been cancelled." in cancelled.response.content
    clock.advance(timedelta(hours=10, minutes=30))  # 20:30 in Tokyo: started
    closed = await alice.click(late_post, custom_id=f"event:{late.id}:going")
    assert "This event has already started, so answers are closed." in closed.response.content
    assert await answers(world, late.id) == {} and await answers(world, dropped.id) == {}


async def test_a_click_from_the_other_communitys_server_finds_nothing(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff)
    alice = await member(world, "Alice")
    taba = world.env.create_guild("丹波山村アンバサダー", id=TABA_GUILD)
    square = taba.create_text_channel("ひろば")
    # A message in Tabayama's server carrying a button with Ama's event id (a forged or copied custom id).
    channel = world.env.bot.get_channel(square.id)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(RsvpButton(event.id, "going", label="参加"))
    forged = await channel.send("参加しますか？", view=view)
    alice_in_taba = taba.add_member(alice.user)
    result = await alice_in_taba.click(forged, custom_id=f"event:{event.id}:going")
    assert f"Event #{event.id} was not found." in result.response.content
    assert await answers(world, event.id) == {}
    assert fields(announce.last_message)["参加"] == "0人"


async def test_buttons_still_work_after_a_restart(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff)
    alice = await member(world, "Alice")
    await world.env.restart_bot(create_discord_bot(world.hub.settings, world.hub))
    post = announce.last_message
    result = await alice.click(post, custom_id=f"event:{event.id}:going")
    assert 'You are going to "浜辺の清掃"' in result.response.content
    assert await answers(world, event.id) == {1: "going"}
    assert fields(announce.last_message)["参加"] == "1人"  # refreshed by the new bot's sink


async def test_edit_moves_reminders_and_tells_those_who_answered(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff)
    alice, bob, carol = await member(world, "Alice"), await member(world, "Bob"), await member(world, "Carol")
    post = announce.last_message
    await alice.click(post, custom_id=f"event:{event.id}:going")
    await bob.click(post, custom_id=f"event:{event.id}:declined")
    await carol.click(post, custom_id=f"event:{event.id}:maybe")
    assert await world.hub.reminders.next_due() == BEACH_START - timedelta(days=1)
    result = await staff.slash(
        world.channel, "event edit", event=str(event.id), start="2026-12-06 18:00", place="海士町 体育館"
    )
    reply = world.last_ephemeral(result).content
    assert f'Changed event #{event.id} "浜辺の清掃" (start, end, place).' in reply
    assert "When: Sun 6 Dec 2026, 18:00–20:00 (Japan time)" in reply  # the duration is kept
    assert "Told 2 of the 2 members who answered." in reply
    new_start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert await world.hub.reminders.next_due() == new_start - timedelta(days=1)
    for told in (alice, carol):
        changed = (
            'The event you answered, "浜辺の清掃", has changed (start, end, place).\nSun 6 Dec 2026, 18:00'
        )
        assert any(changed in d for d in dms(told))
    assert not any("has changed" in d for d in dms(bob))  # not going: not told
    shown = fields(announce.last_message)
    assert (
        shown["日時"].startswith(f"<t:{int(new_start.timestamp())}:F>") and shown["場所"] == "海士町 体育館"
    )
    nothing = await staff.slash(world.channel, "event edit", event=str(event.id), place="海士町 体育館")
    assert "Nothing to change." in world.last_ephemeral(nothing).content


async def test_more_seats_promote_the_waiting_list(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff, capacity=1)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    post = announce.last_message
    await alice.click(post, custom_id=f"event:{event.id}:going")
    await bob.click(post, custom_id=f"event:{event.id}:going")
    result = await staff.slash(world.channel, "event edit", event=str(event.id), remove_capacity=True)
    reply = world.last_ephemeral(result).content
    assert "(capacity)" in reply and "1 moved up from the waiting list (told 1)" in reply
    assert await answers(world, event.id) == {1: "going", 2: "going"}
    assert any("A place opened up" in d for d in dms(bob))
    assert fields(announce.last_message)["参加"] == "2人"


async def test_cancel_asks_first_then_tells_everyone(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff)
    _, kept = await create(world, staff, title="釣り大会", start="2026-12-12 09:00", end="12:00")
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    post = announce.history()[0]
    await alice.click(post, custom_id=f"event:{event.id}:going")
    await bob.click(post, custom_id=f"event:{event.id}:maybe")
    panel = await staff.slash(world.channel, "event cancel", event=str(event.id), reason="台風のため")
    assert panel.ephemeral
    assert f'Cancel event #{event.id} "浜辺の清掃" (Sat 5 Dec 2026, 19:00–21:00 (Japan time))?' in (
        panel.response.content
    )
    assert "The 2 members who answered will be told" in panel.response.content
    assert (await world.hub.events.get(cid(world), event.id)).status == "scheduled"  # not yet
    assert not any("cancelled" in d for d in dms(alice))
    done = await staff.click(panel.response.message, custom_id="event-cancel:confirm")
    assert done.acknowledged
    assert f'Cancelled event #{event.id} "浜辺の清掃". Told 2 of the 2' in panel.response.content
    assert (await world.hub.events.get(cid(world), event.id)).status == "cancelled"
    for told in (alice, bob):
        cancelled = (
            '"浜辺の清掃" (Sat 5 Dec 2026, 19:00–21:00 (Japan time)), has been cancelled.\nReason: 台風'
        )
        assert any(cancelled in d for d in dms(told))
    updated = announce.history()[0]
    assert updated.embeds[0].title == "【中止】浜辺の清掃"
    assert "理由：台風のため" in (updated.embeds[0].description or "")
    assert all(b.disabled for b in buttons(updated))
    # Keeping it changes nothing; cancelling twice is refused.
    second = await staff.slash(world.channel, "event cancel", event=str(kept.id), reason="人数不足")
    stay = await staff.click(second.response.message, custom_id="event-cancel:keep")
    assert stay.acknowledged and "was not cancelled" in second.response.content
    assert (await world.hub.events.get(cid(world), kept.id)).status == "scheduled"
    twice = await staff.slash(world.channel, "event cancel", event=str(event.id), reason="もう一度")
    assert "This event has been cancelled." in world.last_ephemeral(twice).content


async def test_checkin_by_staff_and_with_the_venue_code(world: World, clock: ManualClock) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff, title="朝市", start="2026-11-22 11:00", end="13:00")
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    await alice.click(announce.last_message, custom_id=f"event:{event.id}:going")
    code = await staff.slash(world.channel, "event code", event=str(event.id))
    assert f"# {event.checkin_code}" in code.response.content
    done = await staff.slash(world.channel, "event checkin", event=str(event.id), member=alice)
    assert 'Checked No.1 Alice in to "朝市".' in done.response.content
    assert "Local activity: +5 points" in done.response.content
    assert await world.hub.contributions.points(who(world, alice)) == 5
    twice = await staff.slash(world.channel, "event checkin", event=str(event.id), member=alice)
    assert 'already checked in to "朝市"' in twice.response.content
    wrong = await bob.slash(world.channel, "checkin", code="ZZZ999")
    assert "That check-in code was not found" in wrong.response.content
    assert await world.hub.contributions.points(who(world, bob)) == 0
    typed = f"{event.checkin_code[:3].lower()}-{event.checkin_code[3:]}"  # as people type it
    right = await bob.slash(world.channel, "checkin", code=typed)
    assert 'You are checked in to "朝市"' in right.response.content
    assert "+5 points" in right.response.content
    assert await world.hub.contributions.points(who(world, bob)) == 5
    again = await bob.slash(world.channel, "checkin", code=event.checkin_code)
    assert "already checked in" in again.response.content
    assert await world.hub.contributions.points(who(world, bob)) == 5
    listed = await staff.slash(world.channel, "event attendees", event=str(event.id))
    embed = listed.response.embeds[0]
    assert "checked in 2" in (embed.description or "")
    assert {f.name: f.value for f in embed.fields} == {
        "Going (1)": "✅ No.1 Alice",
        "Walk-in (1)": "✅ No.2 Bob",
    }
    clock.advance(timedelta(days=1))  # past the end and the code's window
    closed = await bob.slash(world.channel, "checkin", code=event.checkin_code)
    assert "Check-in for this event has closed." in closed.response.content


async def test_events_list_shows_my_answer_and_the_calendar_file(world: World) -> None:
    staff, announce = await setup_events(world)
    _, beach = await create(world, staff)
    _, fishing = await create(world, staff, title="釣り大会", start="2026-12-12 09:00", end="12:00")
    alice = await member(world, "Alice")
    await alice.click(announce.history()[0], custom_id=f"event:{beach.id}:going")
    listed = await alice.slash(world.channel, "events")
    assert listed.ephemeral
    shown = {f.name: f.value or "" for f in listed.response.embeds[0].fields}
    assert list(shown) == [f"#{beach.id} 浜辺の清掃", f"#{fishing.id} 釣り大会"]
    assert shown[f"#{beach.id} 浜辺の清掃"].startswith(f"<t:{int(BEACH_START.timestamp())}:F>")
    assert "Your answer: Going" in shown[f"#{beach.id} 浜辺の清掃"]
    assert "Your answer: No answer" in shown[f"#{fishing.id} 釣り大会"]
    assert f"/{announce.id}/{beach.discord_message_id}" in shown[f"#{beach.id} 浜辺の清掃"]
    mine = await alice.slash(world.channel, "calendar")
    assert mine.ephemeral and "your 1 events" in mine.response.content
    attachment = mine.response.attachments[0]
    assert attachment.filename == "ama-events.ics"
    ics = (await attachment.read()).decode()
    assert "BEGIN:VEVENT" in ics and "SUMMARY:浜辺の清掃" in ics and "釣り大会" not in ics
    assert f"UID:event-{beach.id}@ama.kankei-hub" in ics
    one = await alice.slash(world.channel, "calendar", event=str(fishing.id))
    ics = (await one.response.attachments[0].read()).decode()
    assert one.response.attachments[0].filename == f"ama-event-{fishing.id}.ics"
    assert "SUMMARY:釣り大会" in ics and "DTSTART:20261212T000000Z" in ics
    nobody = await (await member(world, "Bob")).slash(world.channel, "calendar")
    assert "You have not answered going or maybe" in nobody.response.content


async def test_autocomplete_offers_this_communitys_events(world: World) -> None:
    staff, _ = await setup_events(world)
    _, beach = await create(world, staff)
    await create(world, staff, title="釣り大会", start="2026-12-12 09:00", end="12:00")
    taba = world.hub.communities.by_key("tabayama")
    assert taba is not None
    draft = EventDraft(title="浜辺の清掃（丹波山）", start="2026-12-05 10:00")
    await world.hub.events.create(taba.id, Identity(taba.id, "discord", "1"), draft)
    choices = await staff.autocomplete(world.channel, "event edit", "event", "浜辺")
    assert choices == [{"name": f"#{beach.id} 浜辺の清掃 (2026/12/05 19:00)", "value": str(beach.id)}]
    typed = await staff.slash(world.channel, "event code", event="祭り")  # text that is no event number
    assert "was not found" in world.last_ephemeral(typed).content


async def test_reminder_is_sent_once(world: World, clock: ManualClock) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff, start="2026-11-24 19:00")
    alice = await member(world, "Alice")
    await alice.click(announce.last_message, custom_id=f"event:{event.id}:going")
    assert (await world.hub.reminder_sender.run_due()).sent == 0  # nothing due yet
    # 24 hours before the start: 2026-11-23 19:00 in Tokyo, 10:00 UTC.
    clock.advance(datetime(2026, 11, 23, 10, 5, tzinfo=UTC) - clock.now())
    run = await world.hub.reminder_sender.run_due()
    assert (run.sent, run.failed) == (1, 0)
    reminders = [d for d in dms(alice) if d.startswith('⏰ Reminder: "浜辺の清掃"')]
    assert len(reminders) == 1 and "Tue 24 Nov 2026, 19:00–21:00 (Japan time)" in reminders[0]
    assert (await world.hub.reminder_sender.run_due()).sent == 0
    assert len([d for d in dms(alice) if d.startswith("⏰ Reminder")]) == 1


async def test_discord_scheduled_event_follows_the_event(world: World) -> None:
    staff, _ = await setup_events(world, discord_scheduled_events=True)
    reply, event = await create(world, staff)
    assert "A Discord event was created too." in reply
    assert event.discord_scheduled_event_id is not None
    scheduled = world.env.backend.get_guild(world.guild.id).scheduled_events[event.discord_scheduled_event_id]
    assert scheduled.name == "浜辺の清掃"
    assert (scheduled.entity_metadata or {}).get("location") == "海士町 中央公民館"
    await staff.slash(world.channel, "event edit", event=str(event.id), title="浜辺の清掃・雨天決行")
    assert scheduled.name == "浜辺の清掃・雨天決行"
    panel = await staff.slash(world.channel, "event cancel", event=str(event.id), reason="台風")
    await staff.click(panel.response.message, custom_id="event-cancel:confirm")
    assert discord.EventStatus(scheduled.status) is discord.EventStatus.cancelled


async def test_without_manage_events_the_event_is_still_created(world: World) -> None:
    staff, announce = await setup_events(world, discord_scheduled_events=True)
    world.env.inject_error(
        "POST", "/guilds/*/scheduled-events", status=403, code=50013, message="Missing Permissions"
    )
    reply, event = await create(world, staff)
    assert "The Discord event could not be created (the bot needs the Manage Events permission)" in reply
    assert event.discord_scheduled_event_id is None
    assert announce.last_message is not None and event.discord_message_id == announce.last_message.id


@dataclass
class CardSink:
    """LINE's side of an offer, recorded (the LINE face itself is tested over HTTP in tests/line)."""

    platform: str = "line"
    cards: list[tuple[str, ...]] = field(default_factory=list)

    async def send_event_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, event: EventView
    ) -> bool:
        self.cards.append(tuple(external_ids))
        return True

    async def send(
        self, community_id: int, external_id: str, text: str, retry_key: str | None = None
    ) -> bool:
        return True

    async def sync_roles(
        self, community_id: int, external_id: str, add: tuple[int, ...], remove: tuple[int, ...]
    ) -> bool:
        return True


async def test_staff_hear_how_many_line_members_the_budget_left_out(world: World) -> None:
    staff, _ = await setup_events(world, line_budget=1)
    for uid in ("U1", "U2"):
        ident = line_who(world.hub, uid, "line")
        await register_on_line(world.hub, ident, f"LINE {uid}")
        await world.hub.events.set_event_news(ident, True)
    sink = CardSink()
    world.hub.notifier.attach(sink)  # type: ignore[arg-type]
    reply, _ = await create(world, staff)
    assert "LINE: sent to 1 members" in reply
    assert "This month's LINE message limit is reached: 1 members were not sent it." in reply
    assert sink.cards == [("U1",)]


async def test_refreshes_of_one_event_are_coalesced(world: World) -> None:
    staff, announce = await setup_events(world)
    _, event = await create(world, staff)
    [sink] = [b for b in world.hub.notifier.boards() if isinstance(b, EventAnnouncements)]
    path = f"/channels/{announce.id}/messages/{event.discord_message_id}"
    before = [r for r in world.env.http_requests if r.method == "PATCH" and r.path == path]
    await asyncio.gather(*(sink.refresh_event(cid(world), event.id) for _ in range(5)))
    edits = [r for r in world.env.http_requests if r.method == "PATCH" and r.path == path]
    assert len(edits) - len(before) == 2  # the first, then once more for everything that came meanwhile
    await sink.refresh_event(cid(world), 999)  # an unknown event is logged, never raised
