"""Subcommittees on Discord, acted out in SimCord: staff create one (a role and a private channel, made whole
or not at all), members join and leave with the role following, staff name a lead, archive and restore."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.community.profile_rules import validate_profile
from bot.community.subcommittees import NewSubcommittee, SubcommitteeView
from bot.config import settings_from_mapping
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import NOT_STAFF, cid, member
from tests.discord.test_registration import GOOD, register, who
from tests.services.test_notifier import RecordingSink

FOOD = {"name": "食と農", "description": "島の食を考える", "tags": "food, farming"}


async def setup_subcommittees(world: World, **subcommittees: Any) -> tuple[Any, Any, Any]:
    """A staff role and a category for the channels, plus ``[subcommittees]`` settings; returns
    (staff member, staff role, category)."""
    staff_role = world.guild.create_role("運営スタッフ")
    category = world.guild.create_category("分科会")
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(ambassador_role_id=world.role.id, staff_role_id=staff_role.id)
    community["subcommittees"] = {"discord_category_id": category.id, **subcommittees}
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    return staff, staff_role, category


def guild(world: World) -> discord.Guild:
    found: discord.Guild | None = world.env.bot.get_guild(world.guild.id)
    assert found is not None
    return found


def role_names(world: World) -> list[str]:
    return sorted(r.name for r in guild(world).roles)


def channel_names(world: World) -> list[str]:
    return sorted(c.name for c in guild(world).channels)


async def create(world: World, staff: Any, **options: Any) -> str:
    result = await staff.slash(world.channel, "subcommittee create", **{**FOOD, **options})
    reply = world.last_ephemeral(result)
    assert reply.ephemeral
    return str(reply.content)


async def stored(world: World, name: str = "食と農") -> SubcommitteeView:
    return await world.hub.subcommittees.by_name(cid(world), name)


async def count(world: World) -> int:
    return len(await world.hub.subcommittees.all(cid(world), include_archived=True))


def has_role(actor: Any, role_id: int | None) -> bool:
    return role_id in [r.id for r in actor.member.roles]


def take_bot_permissions(world: World, *names: str) -> None:
    """Take permissions from the bot's own (managed) role, as a server admin could."""
    backend = world.env.backend
    bot_role = next(r for r in backend.get_guild(world.guild.id).roles.values() if r.managed)
    permissions = discord.Permissions(bot_role.permissions)
    for name in names:
        setattr(permissions, name, False)
    backend.edit_role(world.guild.id, bot_role.id, {"permissions": permissions.value})


async def test_create_makes_a_role_and_a_private_channel_in_the_category(world: World) -> None:
    staff, staff_role, category = await setup_subcommittees(world)
    reply = await create(world, staff)
    sub = await stored(world)
    assert (sub.name, sub.description, sub.tags, sub.members, sub.open) == (
        "食と農", "島の食を考える", ("food", "farming"), 0, True,
    )  # fmt: skip
    g = guild(world)
    role = g.get_role(sub.discord_role_id or 0)
    channel = g.get_channel(sub.discord_channel_id or 0)
    assert role is not None and role.name == "食と農"
    assert isinstance(channel, discord.TextChannel)
    assert channel.category_id == category.id and channel.topic == "食と農 — 島の食を考える"
    assert (
        f'Created the subcommittee "食と農": the role <@&{role.id}> and the private channel <#{channel.id}>'
        in reply
    )
    assert 'The channel is in the category "分科会".' in reply and "Tags: food, farming" in reply
    overwrites = channel.overwrites
    everyone = overwrites[g.default_role]
    assert everyone.view_channel is False
    for allowed in (role, g.me, g.get_role(staff_role.id)):
        assert allowed is not None
        assert (overwrites[allowed].view_channel, overwrites[allowed].send_messages) == (True, True), allowed
    # What members see: the channel is hidden from anyone without the role.
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    await alice.slash(world.channel, "subcommittee join", name="食と農")
    assert channel.permissions_for(alice.member).view_channel
    assert not channel.permissions_for(bob.member).view_channel


async def test_a_taken_name_is_refused_and_nothing_new_appears_on_discord(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)
    roles, channels = role_names(world), channel_names(world)
    for name in ("食と農", " 食と農 "):
        reply = await create(world, staff, name=name)
        assert 'There is already a subcommittee called "食と農"' in reply
    empty = await create(world, staff, name="   ")
    assert "Please give the subcommittee a name." in empty
    assert (role_names(world), channel_names(world)) == (roles, channels)
    assert await count(world) == 1


@pytest.mark.parametrize(
    ("taken", "named"),
    [
        (("manage_channels",), "the Manage Channels permission"),
        (("manage_roles",), "the Manage Roles permission"),
        (("manage_roles", "manage_channels"), "the Manage Roles, Manage Channels permission"),
    ],
)
async def test_without_the_bots_permissions_nothing_is_made(
    world: World, taken: tuple[str, ...], named: str
) -> None:
    staff, _, _ = await setup_subcommittees(world)
    roles, channels = role_names(world), channel_names(world)
    take_bot_permissions(world, *taken)
    reply = await create(world, staff)
    assert f"The bot lacks {named} in this server, so nothing was created." in reply
    assert (role_names(world), channel_names(world)) == (roles, channels)
    assert await count(world) == 0


async def test_a_channel_discord_refuses_takes_the_new_role_away_again(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    roles, channels = role_names(world), channel_names(world)
    world.env.inject_error(
        "POST", "/guilds/*/channels", status=403, code=50013, message="Missing Permissions"
    )
    reply = await create(world, staff)
    assert (
        "Discord refused to create the channel, so nothing was created (the role made for it was removed"
        in reply
    )
    roles_path = f"/guilds/{world.guild.id}/roles"
    calls = [
        (r.method, r.path == roles_path) for r in world.env.http_requests if r.path.startswith(roles_path)
    ]
    assert calls == [("POST", True), ("DELETE", False)]  # the role was made, then deleted again
    assert (role_names(world), channel_names(world)) == (roles, channels)
    assert await count(world) == 0
    # Once Discord accepts, the same name works.
    assert "Created the subcommittee" in await create(world, staff)
    assert await count(world) == 1


async def test_a_name_taken_while_discord_worked_leaves_nothing_behind(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff, _, _ = await setup_subcommittees(world)
    roles, channels = role_names(world), channel_names(world)
    service = world.hub.subcommittees
    original = service.create

    async def racing(new: NewSubcommittee, *args: Any, **kwargs: Any) -> SubcommitteeView:
        # Another staff member (say on another process) stores the same name first.
        rival = await service.check_new(new.community_id, new.name)
        await original(rival, args[0])
        return await original(new, *args, **kwargs)

    monkeypatch.setattr(service, "create", racing)
    reply = await create(world, staff)
    assert 'There is already a subcommittee called "食と農"' in reply
    assert (role_names(world), channel_names(world)) == (roles, channels)
    assert (await stored(world)).discord_role_id is None  # the rival's row, without our role or channel


async def test_near_discords_limits_nothing_is_made(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world, role_margin=200, channel_margin=400)
    for i in range(50 - len(guild(world).roles)):  # 250 - 200: the server counts as full of roles
        world.guild.create_role(f"role {i}")
    roles, channels = role_names(world), channel_names(world)
    reply = await create(world, staff)
    assert (
        "This server has 50 roles; a subcommittee is only made while more than 200 of Discord's 250" in reply
    )
    assert "Nothing was created." in reply
    for i in range(100 - len(guild(world).channels)):  # 500 - 400
        world.guild.create_text_channel(f"channel-{i}")
    channels = channel_names(world)
    reply = await create(world, staff)
    assert "This server has 100 channels; a subcommittee is only made while more than 400" in reply
    assert (role_names(world), channel_names(world)) == (roles, channels)
    assert await count(world) == 0


async def test_staff_commands_are_refused_to_members(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)
    alice = await member(world, "Alice")
    roles, channels = role_names(world), channel_names(world)
    for name, options in (
        ("subcommittee create", {**FOOD, "name": "乗っ取り"}),
        ("subcommittee lead", {"name": "食と農", "member": alice}),
        ("subcommittee archive", {"name": "食と農"}),
        ("subcommittee restore", {"name": "食と農"}),
    ):
        result = await alice.slash(world.channel, name, **options)
        assert result.ephemeral and NOT_STAFF in world.last_ephemeral(result).content, name
    assert (role_names(world), channel_names(world)) == (roles, channels)
    sub = await stored(world)
    assert (sub.open, sub.lead_ambassador_id, await count(world)) == (True, None, 1)


async def test_join_and_leave_give_and_take_the_role(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)
    await create(world, staff, name="教育", description="", tags="education")
    food, school = await stored(world), await stored(world, "教育")
    alice = await member(world, "Alice")
    joined = await alice.slash(world.channel, "subcommittee join", name="食と農")
    assert f'You joined "食と農". Its channel: <#{food.discord_channel_id}>' in joined.response.content
    assert has_role(alice, food.discord_role_id)
    again = await alice.slash(world.channel, "subcommittee join", name="食と農")
    assert 'You are already a member of "食と農"' in again.response.content
    # Without a name: a menu of those not joined yet.
    shown = await alice.slash(world.channel, "subcommittee join")
    assert shown.ephemeral and "Which subcommittee would you like to join?" in shown.response.content
    picked = await alice.select(shown.response.message, [str(school.id)], custom_id="subcommittee:pick")
    assert picked.acknowledged and 'You joined "教育"' in shown.response.content
    assert has_role(alice, school.discord_role_id)
    assert [s.name for s in await world.hub.subcommittees.mine(who(world, alice))] == ["教育", "食と農"]
    nothing_left = await alice.slash(world.channel, "subcommittee join")
    assert "There is no subcommittee you could join right now" in nothing_left.response.content
    # Leaving from the menu of mine, and by name.
    leaving = await alice.slash(world.channel, "subcommittee leave")
    await alice.select(leaving.response.message, [str(food.id)], custom_id="subcommittee:pick")
    assert 'You left "食と農".' in leaving.response.content
    assert not has_role(alice, food.discord_role_id) and has_role(alice, school.discord_role_id)
    left = await alice.slash(world.channel, "subcommittee leave", name=f"#{school.id}")
    assert 'You left "教育".' in left.response.content and not has_role(alice, school.discord_role_id)
    assert (await stored(world)).members == 0 and (await stored(world, "教育")).members == 0
    stranger = world.member("stranger")
    refused = await stranger.slash(world.channel, "subcommittee join", name="食と農")
    assert "not registered as an ambassador yet" in refused.response.content
    assert not has_role(stranger, food.discord_role_id)
    unknown = await alice.slash(world.channel, "subcommittee join", name="存在しない会")
    assert "That subcommittee was not found." in unknown.response.content


async def test_a_role_discord_refuses_is_said_but_the_membership_stands(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)
    food = await stored(world)
    alice = await member(world, "Alice")
    world.env.inject_error(
        "PUT", "/guilds/*/members/*/roles/*", status=403, code=50013, message="Missing Permissions"
    )
    joined = await alice.slash(world.channel, "subcommittee join", name="食と農")
    assert 'You joined "食と農"' in joined.response.content
    assert "The subcommittee's role could not be given" in joined.response.content
    assert not has_role(alice, food.discord_role_id)
    assert (await stored(world)).members == 1


async def test_joining_an_archived_subcommittee_is_refused(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)
    food = await stored(world)
    alice = await member(world, "Alice")
    panel = await staff.slash(world.channel, "subcommittee archive", name="食と農")
    await staff.click(panel.response.message, custom_id="subcommittee-archive:confirm")
    refused = await alice.slash(world.channel, "subcommittee join", name=f"#{food.id}")
    assert 'The subcommittee "食と農" is archived.' in refused.response.content
    assert (await stored(world)).members == 0
    menu = await alice.slash(world.channel, "subcommittee join")
    assert "There is no subcommittee you could join right now" in menu.response.content


async def test_archive_asks_first_then_closes_the_channel_and_restore_reopens_it(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)
    food = await stored(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    for actor in (alice, bob):
        await actor.slash(world.channel, "subcommittee join", name="食と農")
    old_role = food.discord_role_id
    panel = await staff.slash(world.channel, "subcommittee archive", name="食と農")
    assert 'Archive the subcommittee "食と農"?' in panel.response.content
    assert "taken from its 2 members" in panel.response.content
    kept = await staff.click(panel.response.message, custom_id="subcommittee-archive:keep")
    assert kept.acknowledged and "was not archived" in panel.response.content
    assert (await stored(world)).open and has_role(alice, old_role)
    panel = await staff.slash(world.channel, "subcommittee archive", name="食と農")
    done = await staff.click(panel.response.message, custom_id="subcommittee-archive:confirm")
    assert done.acknowledged
    assert 'Archived "食と農": the role was removed and the channel is read-only.' in panel.response.content
    archived = await stored(world)
    assert (archived.open, archived.members, archived.discord_role_id) == (False, 2, None)  # members kept
    g = guild(world)
    channel = g.get_channel(food.discord_channel_id or 0)
    assert isinstance(channel, discord.TextChannel)  # the channel and its history stay
    assert g.get_role(old_role or 0) is None and not has_role(alice, old_role) and not has_role(bob, old_role)
    everyone = channel.overwrites_for(g.default_role)
    assert (everyone.view_channel, everyone.send_messages) == (False, False)
    assert not channel.permissions_for(alice.member).send_messages
    twice = await staff.slash(world.channel, "subcommittee archive", name="食と農")
    assert 'The subcommittee "食と農" is archived.' in world.last_ephemeral(twice).content
    # Restore: a new role for the members, who see and write in the same channel again.
    restored = await staff.slash(world.channel, "subcommittee restore", name="食と農")
    reply = world.last_ephemeral(restored).content
    back = await stored(world)
    assert back.open and back.discord_role_id not in (None, old_role)
    assert back.discord_channel_id == food.discord_channel_id
    assert f'Restored "食と農": the new role <@&{back.discord_role_id}> was given to 2 members' in reply
    for actor in (alice, bob):
        assert has_role(actor, back.discord_role_id)
        assert channel.permissions_for(actor.member).send_messages
    carol = await member(world, "Carol")
    assert not channel.permissions_for(carol.member).view_channel
    again = await staff.slash(world.channel, "subcommittee restore", name="食と農")
    assert 'The subcommittee "食と農" is not archived.' in world.last_ephemeral(again).content


async def test_lead_is_named_given_the_role_and_shown_in_the_list(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)
    await create(world, staff, name="教育", description="", tags="education")
    food = await stored(world)
    alice, bob = await member(world, "Alice"), await member(world, "Bob")
    named = await staff.slash(world.channel, "subcommittee lead", name="食と農", member=alice)
    assert f'<@{alice.id}> now leads "食と農"' in world.last_ephemeral(named).content
    assert has_role(alice, food.discord_role_id)
    led = await stored(world)
    assert (
        led.members == 1 and led.lead_ambassador_id == (await world.hub.ambassadors.get(who(world, alice))).id
    )
    listed = await alice.slash(world.channel, "subcommittee list")
    embed = listed.response.embeds[0]
    assert embed.title == "Subcommittees"
    shown = {f.name: f.value or "" for f in embed.fields}
    assert list(shown) == ["教育", "✅ 食と農"]  # ✅: the ones Alice is in
    assert "島の食を考える" in shown["✅ 食と農"] and "Tags: food, farming" in shown["✅ 食と農"]
    assert "Members: 1" in shown["✅ 食と農"] and f"Lead: <@{alice.id}>" in shown["✅ 食と農"]
    assert f"Channel: <#{food.discord_channel_id}>" in shown["✅ 食と農"]
    assert "Members: 0" in shown["教育"] and "Lead: not named yet" in shown["教育"]
    assert "Channel:" not in shown["教育"]
    by_bob = {f.name for f in (await bob.slash(world.channel, "subcommittee list")).response.embeds[0].fields}
    assert by_bob == {"教育", "食と農"}


async def test_autocomplete_offers_open_archived_and_my_subcommittees(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)
    await create(world, staff, name="食品ロス", description="", tags="food")
    await create(world, staff, name="教育", description="", tags="education")
    food, loss, school = await stored(world), await stored(world, "食品ロス"), await stored(world, "教育")
    panel = await staff.slash(world.channel, "subcommittee archive", name="教育")
    await staff.click(panel.response.message, custom_id="subcommittee-archive:confirm")
    offered = await staff.autocomplete(world.channel, "subcommittee join", "name", "食")
    assert offered == [
        {"name": "食と農", "value": f"#{food.id}"},
        {"name": "食品ロス", "value": f"#{loss.id}"},
    ]
    archived = await staff.autocomplete(world.channel, "subcommittee restore", "name", "")
    assert archived == [{"name": "教育", "value": f"#{school.id}"}]
    alice = await member(world, "Alice")
    await alice.slash(world.channel, "subcommittee join", name="食品ロス")
    assert await alice.autocomplete(world.channel, "subcommittee leave", "name", "") == [
        {"name": "食品ロス", "value": f"#{loss.id}"}
    ]


async def test_matching_subcommittees_are_suggested_after_registering_and_editing(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await create(world, staff)  # tags food, farming
    await create(world, staff, name="デザイン部", description="", tags="design, art")
    await create(world, staff, name="釣り", description="", tags="fishing")
    alice = world.member("alice")
    result = await register(world, alice)  # interests food, education; skills design
    embed = world.last_ephemeral(result).embeds[0]
    suggested = {f.name: f.value for f in embed.fields}["Subcommittees you might like"]
    assert suggested == "・デザイン部 (design, art)\n・食と農 (food, farming)\nJoin with /subcommittee join."
    await alice.slash(world.channel, "subcommittee join", name="食と農")
    shown = await alice.slash(world.channel, "profile")
    modal = await alice.click(shown.response.message, custom_id="profile:edit")
    await alice.submit_modal(
        modal,
        {
            **GOOD,
            "profile:interests": "fishing, food",
            "profile:skills": "",
            "profile:timezone": "Asia/Tokyo",
        },
    )
    assert (
        shown.response.content
        == "Saved.\n\nSubcommittees you might like\n・釣り (fishing)\nJoin with /subcommittee join."
    )


async def test_the_line_digest_counts_posts_in_the_subcommittee_channel(world: World) -> None:
    """Members talk in the channel; a member only on LINE gets one push saying how much was said."""
    data = settings_data(world.hub.settings.database.url)
    data["communities"][0]["subcommittees"] = {"line_digest": True}
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    channel = world.guild.create_text_channel("食と農")
    clock = world.hub.clock
    assert isinstance(clock, ManualClock)
    clock.advance(world.env.now() - clock.now())  # the hub's clock and Discord's agree, as in production
    community = cid(world)
    new = await world.hub.subcommittees.check_new(community, "食と農", "", "")
    sub = await world.hub.subcommittees.create(
        new, Identity(community, "discord", "s"), channel.id, world.role.id
    )
    line_member = Identity(community, "line", "U-hanako")
    await world.hub.ambassadors.register(
        line_member, validate_profile("はなこ", "島根", "fan", "", ""), notice_version="2026-04",
        language="ja", timezone="Asia/Tokyo",
    )  # fmt: skip
    await world.hub.subcommittees.join(line_member, sub.id)
    sink = RecordingSink("line")
    world.hub.notifier.attach(sink)
    alice, bob = world.member("alice"), world.member("bob")
    await world.env.advance_time(60)  # the posts come after the subcommittee was made
    await alice.send(channel, "畑の見学、来週どうですか")
    await bob.send(channel, "いいですね")
    await alice.send(channel, "では火曜日に")
    run = await world.hub.digests.run()
    assert (run.subcommittees, run.sent) == (1, 1)
    [(to, text)] = sink.sent
    assert to == "U-hanako" and "「食と農」新しい投稿 3件（2人）" in text
