"""Projects on Discord, acted out in SimCord: staff (or a subcommittee's lead) post a call for help, the
members whose skills fit and who asked for news are told, members apply with the button or the command,
staff accept (into a private thread) or decline, and closing credits the accepted members once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord

from bot.config import settings_from_mapping
from bot.discord_bot import create_discord_bot
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import NOT_STAFF, buttons, cid, dms, fields, member
from tests.discord.test_registration import GOOD, register, who

LOGO = {
    "title": "島のロゴ作り",
    "needs": "特産品のロゴをデザインしてくれる方を探しています。",
    "skills": "design, photography",
    "deadline": "2026-12-20 18:00",
}
LOGO_DEADLINE = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)  # 18:00 in Tokyo
MATCHED = 'A project needs skills you have: "島のロゴ作り"'


async def setup_projects(world: World, **projects: Any) -> tuple[Any, Any, Any]:
    """Staff role, announcement channel and a channel for the project threads; returns (staff, announcement
    channel, thread channel)."""
    staff_role = world.guild.create_role("運営スタッフ")
    announce = world.guild.create_text_channel("お知らせ")
    teams = world.guild.create_text_channel("プロジェクト")
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(
        ambassador_role_id=world.role.id, staff_role_id=staff_role.id, announcement_channel_id=announce.id
    )
    community["projects"] = {"discord_channel_id": teams.id, **projects}
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    return staff, announce, teams


async def opted_in(world: World, name: str, **profile: str) -> Any:
    """A registered member (skills: design, unless given) who asked for project news."""
    actor = world.member(name.lower())
    await register(world, actor, {**GOOD, "profile:display_name": name, **profile})
    news = await actor.slash(world.channel, "project news", state="on")
    assert "You will be told of new projects" in news.response.content
    return actor


async def create(world: World, actor: Any, **options: Any) -> str:
    chosen = {k: v for k, v in {**LOGO, **options}.items() if v is not None}
    result = await actor.slash(world.channel, "project create", **chosen)
    reply = world.last_ephemeral(result)
    assert reply.ephemeral
    return str(reply.content)


async def newest(world: World) -> Any:
    found = await world.hub.projects.search(cid(world))
    return found[0] if found else None


async def points(world: World, actor: Any) -> int:
    return await world.hub.contributions.points(who(world, actor))


def thread_members(world: World, thread_id: int | None) -> set[int]:
    assert thread_id is not None
    return set(world.env.backend.get_thread(thread_id).thread_members)


async def test_create_posts_with_an_apply_button_and_tells_the_opted_in_members_who_fit(world: World) -> None:
    staff, announce, _ = await setup_projects(world)
    alice = await opted_in(world, "Alice")  # design: fits
    bob = await member(world, "Bob")  # design too, but never asked for project news
    carol = await opted_in(world, "Carol", **{"profile:skills": "cooking", "profile:interests": "fishing"})
    dave = await opted_in(world, "Dave", **{"profile:skills": "", "profile:interests": "photography"})
    reply = await create(world, staff, place="海士町役場", online=True)
    project = await newest(world)
    assert f'Posted project #{project.id} "島のロゴ作り".' in reply
    assert "Deadline: Sun 20 Dec 2026, 18:00 (Japan time)" in reply
    assert "Skills wanted: design, photography" in reply
    assert f"The call for help was posted in <#{announce.id}>." in reply
    assert "Members whose skills fit: 2 (the best first); 2 were told." in reply
    post = announce.last_message
    assert post is not None and post.embeds[0].title == "島のロゴ作り"
    assert post.embeds[0].description == LOGO["needs"]
    shown = fields(post)
    assert shown["求めるスキル"] == "design、photography"
    assert shown["締め切り"].startswith(f"<t:{int(LOGO_DEADLINE.timestamp())}:F>")
    assert (shown["場所"], shown["オンライン"]) == ("海士町役場", "オンラインで参加できます")
    assert [(b.label, b.custom_id) for b in buttons(post)] == [("応募する", f"project:{project.id}:apply")]
    told = [d for d in dms(alice) if MATCHED in d]
    assert len(told) == 1
    assert "Your matching skills: design" in told[0]
    assert "Apply by: Sun 20 Dec 2026, 18:00 (Japan time)" in told[0]
    assert "/project apply on Discord" in told[0]
    assert 'send "projects" (「プロジェクト」) on LINE' in told[0]
    assert any(MATCHED in d and "Your matching skills: photography" in d for d in dms(dave))  # an interest
    assert not any(MATCHED in d for d in dms(bob) + dms(carol))


async def test_members_who_cannot_be_reached_are_counted(world: World) -> None:
    staff, announce, _ = await setup_projects(world)
    alice, bob = await opted_in(world, "Alice"), await opted_in(world, "Bob")
    # Discord refuses to open a DM channel with the first one told (Alice: same score, lower number).
    world.env.inject_error("POST", "/users/@me/channels", status=403, code=50007, message="Cannot DM")
    reply = await create(world, staff)
    assert "Members whose skills fit: 2 (the best first); 1 were told." in reply
    assert "1 of them could not be reached" in reply
    assert not any(MATCHED in d for d in dms(alice)) and any(MATCHED in d for d in dms(bob))
    assert announce.last_message is not None


async def test_a_deadline_in_the_past_and_other_mistakes_are_refused_and_nothing_is_posted(
    world: World,
) -> None:
    staff, announce, _ = await setup_projects(world)
    alice = await opted_in(world, "Alice")
    for options, expected in (
        ({"deadline": "2026-11-20 18:00"}, "The deadline is in the past."),
        ({"skills": " , "}, "Please give at least one skill"),
        ({"title": "あ" * 101}, "The title can be at most 100 characters."),
        ({"deadline": "そのうち"}, 'Could not read "そのうち" as a date and time'),
    ):
        reply = await create(world, staff, **options)
        assert expected in reply, (options, reply)
    assert await newest(world) is None
    assert announce.history() == [] and not any(MATCHED in d for d in dms(alice))


async def test_only_staff_or_the_lead_of_the_subcommittee_may_post(world: World) -> None:
    staff, announce, _ = await setup_projects(world)
    ref = world.hub.communities.by_key("ama")
    assert ref is not None
    lead, other = await member(world, "Lead"), await member(world, "Other")
    made = {}
    for name in ("IT部", "観光部"):
        new = await world.hub.subcommittees.check_new(ref.id, name, "", "it")
        made[name] = await world.hub.subcommittees.create(new, who(world, staff))
    await staff.slash(world.channel, "subcommittee lead", name="IT部", member=lead)
    refused = await create(world, other)
    assert NOT_STAFF in refused
    outside = await create(world, lead, subcommittee="観光部")
    assert 'You do not lead the subcommittee "観光部"' in outside
    no_subcommittee = await create(world, lead)
    assert NOT_STAFF in no_subcommittee
    not_lead = await create(world, other, subcommittee="IT部")
    assert 'You do not lead the subcommittee "IT部"' in not_lead
    assert await newest(world) is None and announce.history() == []
    offered = await lead.autocomplete(world.channel, "project create", "subcommittee", "it")
    assert offered == [{"name": "IT部", "value": f"#{made['IT部'].id}"}]
    posted = await create(world, lead, subcommittee=f"#{made['IT部'].id}", title="サイト更新")
    project = await newest(world)
    assert f'Posted project #{project.id} "サイト更新".' in posted
    assert project.subcommittee_id == made["IT部"].id
    assert fields(announce.last_message)["分科会"] == "IT部"
    by_staff = await create(world, staff, subcommittee="観光部", title="観光マップ")
    assert "Posted project" in by_staff and (await newest(world)).subcommittee_id == made["観光部"].id


async def test_apply_with_the_button_or_the_command_once(world: World) -> None:
    staff, announce, _ = await setup_projects(world)
    alice, bob = await opted_in(world, "Alice"), await member(world, "Bob")
    await create(world, staff)
    project = await newest(world)
    post = announce.last_message
    form = await alice.click(post, custom_id=f"project:{project.id}:apply")
    assert form.modal is not None
    applied = await alice.submit_modal(form, {"project:message": "週末なら手伝えます"})
    assert 'You applied to "島のロゴ作り".' in world.last_ephemeral(applied).content
    twice = await alice.slash(world.channel, "project apply", project=str(project.id))
    assert 'You have already applied to "島のロゴ作り".' in twice.response.content
    again = await alice.click(post, custom_id=f"project:{project.id}:apply")
    second = await alice.submit_modal(again, {"project:message": "もう一度"})
    assert "already applied" in world.last_ephemeral(second).content
    by_command = await bob.slash(world.channel, "project apply", project=f"#{project.id}", message="")
    assert 'You applied to "島のロゴ作り".' in by_command.response.content
    stranger = world.member("stranger")
    refused = await stranger.click(post, custom_id=f"project:{project.id}:apply")
    assert refused.modal is None and "not registered as an ambassador yet" in refused.response.content
    unknown = await alice.slash(world.channel, "project apply", project="ロゴ")
    assert "Project #ロゴ was not found." in unknown.response.content
    applications = await world.hub.projects.applications(cid(world), project.id)
    assert [(a.ambassador.display_name, a.status, a.message) for a in applications] == [
        ("Alice", "applied", "週末なら手伝えます"),
        ("Bob", "applied", ""),
    ]
    # The button still works after a restart (a DynamicItem).
    await world.env.restart_bot(create_discord_bot(world.hub.settings, world.hub))
    carol = await member(world, "Carol")
    late_form = await carol.click(announce.last_message, custom_id=f"project:{project.id}:apply")
    assert late_form.modal is not None
    await carol.submit_modal(late_form, {})
    assert (await world.hub.projects.get(cid(world), project.id)).applied == 3


async def test_review_accepts_into_the_thread_and_tells_both(world: World) -> None:
    staff, _, teams = await setup_projects(world)
    alice, bob = await opted_in(world, "Alice"), await member(world, "Bob")
    await create(world, staff)
    project = await newest(world)
    await alice.slash(world.channel, "project apply", project=str(project.id), message="ロゴ制作の経験あり")
    await bob.slash(world.channel, "project apply", project=str(project.id))
    shown = await staff.slash(world.channel, "project review", project=str(project.id))
    assert shown.ephemeral
    embed = shown.response.embeds[0]
    assert embed.title == f'Applications to project #{project.id} "島のロゴ作り"'
    assert embed.description == "Waiting 2 · accepted 0 · declined 0"
    assert {f.name: f.value for f in embed.fields} == {
        "No.1 Alice — Waiting": "ロゴ制作の経験あり\n(Discord)",
        "No.2 Bob — Waiting": "(no message)\n(Discord)",
    }
    panel = shown.response.message
    accepted = await staff.click(panel, custom_id="project-review:accept")  # Alice is picked first
    assert accepted.acknowledged
    content = shown.response.content
    assert "Accepted No.1 Alice; they were told." in content
    project = await world.hub.projects.get(cid(world), project.id)
    assert project.accepted == 1 and project.discord_thread_id is not None
    assert f"Added to the project's private thread <#{project.discord_thread_id}>." in content
    [thread] = teams.threads
    assert thread.id == project.discord_thread_id
    assert world.env.backend.get_channel(thread.id).type == discord.ChannelType.private_thread.value
    assert thread_members(world, thread.id) >= {alice.id, staff.id}
    assert bob.id not in thread_members(world, thread.id)
    assert any('Your application to "島のロゴ作り" was accepted.' in d for d in dms(alice))
    assert shown.response.embeds[0].description == "Waiting 1 · accepted 1 · declined 0"
    await staff.select(shown.response.message, ["2"], custom_id="project-review:pick")
    declined = await staff.click(shown.response.message, custom_id="project-review:decline")
    assert declined.acknowledged and "Declined No.2 Bob; they were told." in shown.response.content
    assert any('Thank you for applying to "島のロゴ作り".' in d for d in dms(bob))
    assert bob.id not in thread_members(world, thread.id)
    again = await staff.click(shown.response.message, custom_id="project-review:decline")
    assert "This application already has that outcome." in world.last_ephemeral(again).content
    # A second acceptance uses the same thread.
    await staff.select(shown.response.message, ["2"], custom_id="project-review:pick")
    await staff.click(shown.response.message, custom_id="project-review:accept")
    assert [t.id for t in teams.threads] == [thread.id] and bob.id in thread_members(world, thread.id)
    refused = await alice.slash(world.channel, "project review", project=str(project.id))
    assert NOT_STAFF in refused.response.content


async def test_close_credits_the_accepted_member_once(world: World) -> None:
    staff, _, _ = await setup_projects(world)
    alice, bob = await opted_in(world, "Alice"), await member(world, "Bob")
    await create(world, staff)
    project = await newest(world)
    for actor in (alice, bob):
        await actor.slash(world.channel, "project apply", project=str(project.id))
    shown = await staff.slash(world.channel, "project review", project=str(project.id))
    await staff.click(shown.response.message, custom_id="project-review:accept")
    refused = await alice.slash(world.channel, "project close", project=str(project.id))
    assert NOT_STAFF in refused.response.content
    panel = await staff.slash(world.channel, "project close", project=str(project.id))
    assert f'Close project #{project.id} "島のロゴ作り"?' in panel.response.content
    assert "each of the 1 accepted members is credited" in panel.response.content
    await staff.click(panel.response.message, custom_id="project-close:keep")
    assert "The project was not closed." in panel.response.content
    assert (await world.hub.projects.get(cid(world), project.id)).open
    panel = await staff.slash(world.channel, "project close", project=str(project.id))
    done = await staff.click(panel.response.message, custom_id="project-close:confirm")
    assert done.acknowledged
    assert f'Closed project #{project.id} "島のロゴ作り".' in panel.response.content
    assert "Credited 1 accepted members with Lending expertise +10 points (told 1)." in panel.response.content
    assert (await points(world, alice), await points(world, bob)) == (10, 0)
    assert any('The project "島のロゴ作り" is finished.' in d and "+10 points" in d for d in dms(alice))
    assert any('Your stage of involvement is now "Involved"' in d for d in dms(alice))  # 10 points: stage 2
    twice = await staff.slash(world.channel, "project close", project=str(project.id))
    assert "This project is no longer taking applications." in world.last_ephemeral(twice).content
    assert await points(world, alice) == 10
    late = await (await member(world, "Carol")).slash(world.channel, "project apply", project=str(project.id))
    assert "no longer taking applications" in late.response.content
    closed_review = await staff.slash(world.channel, "project review", project=str(project.id))
    assert closed_review.response.message.components == []  # no buttons on a closed project


async def test_news_off_stops_the_messages_and_autocomplete_offers_open_projects(world: World) -> None:
    staff, _, _ = await setup_projects(world)
    alice = await opted_in(world, "Alice")
    off = await alice.slash(world.channel, "project news", state="off")
    assert "You will no longer be told of new projects." in off.response.content
    await create(world, staff)
    assert not any(MATCHED in d for d in dms(alice))
    logo = await newest(world)
    await create(world, staff, title="写真展", deadline="2026-12-01 18:00")
    photos = await newest(world)
    offered = await alice.autocomplete(world.channel, "project apply", "project", "")
    assert offered == [
        {"name": f"#{photos.id} 写真展 (〆 2026/12/01)", "value": str(photos.id)},
        {"name": f"#{logo.id} 島のロゴ作り (〆 2026/12/20)", "value": str(logo.id)},
    ]
    assert await alice.autocomplete(world.channel, "project apply", "project", "ロゴ") == [offered[1]]
