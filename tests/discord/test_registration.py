"""Registration, profile and leaving on Discord, acted out by members in SimCord."""

from __future__ import annotations

from typing import Any

import pytest

from bot.community.identity import Identity
from tests.discord.conftest import World

GOOD = {
    "profile:display_name": "Hanako",
    "profile:residence": "島根",
    "profile:interests": "food, education",
    "profile:skills": "design",
}


async def register(
    world: World, member: Any, values: dict[str, str] | None = None, connection: str = "fan"
) -> Any:
    shown = await member.slash(world.channel, "register")
    assert shown.ephemeral
    panel = shown.response.message
    await member.select(panel, [connection], custom_id="register:connection")
    modal = await member.click(panel, custom_id="register:agree")
    assert modal.modal is not None
    return await member.submit_modal(modal, values or GOOD)


def who(world: World, member: Any) -> Identity:
    ref = world.hub.communities.by_key("ama")
    assert ref is not None
    return Identity(ref.id, "discord", str(member.id))


async def test_register_gives_number_role_and_welcome_card(world: World) -> None:
    alice, bob = world.member("alice"), world.member("bob")
    result = await register(world, alice)
    card = world.last_ephemeral(result)
    assert card.ephemeral
    embed = card.embeds[0]
    assert "Welcome to 海士町オフィシャルアンバサダー" in embed.title
    assert "No. 1" in embed.description and "Hanako" in embed.description
    assert world.role.id in [r.id for r in alice.member.roles]
    view = await world.hub.ambassadors.get(who(world, alice))
    assert (view.residence_code, view.connection, view.interests, view.language) == (
        "JP-32",
        "fan",
        ("food", "education"),
        "en",
    )  # SimCord clients speak en-US
    await register(world, bob, {**GOOD, "profile:display_name": "Bob"}, connection="work")
    assert (await world.hub.ambassadors.get(who(world, bob))).member_number == 2


async def test_consent_needs_a_connection_first_and_can_be_cancelled(world: World) -> None:
    alice = world.member("alice")
    shown = await alice.slash(world.channel, "register")
    panel = shown.response.message
    early = await alice.click(panel, custom_id="register:agree")
    assert early.modal is None and early.ephemeral
    assert "choose your connection" in early.response.content
    cancelled = await alice.click(panel, custom_id="register:cancel")
    assert cancelled.acknowledged
    assert await world.hub.ambassadors.find(who(world, alice)) is None


async def test_bad_modal_input_is_explained_and_nothing_is_stored(world: World) -> None:
    alice = world.member("alice")
    cases = {
        "profile:display_name": ("!!!", "at least one letter"),
        "profile:residence": ("Atlantis", "not recognised as a prefecture or a country"),
        "profile:interests": ("、".join(f"t{i}" for i in range(12)), "at most 10 interests"),
    }
    for field, (value, expected) in cases.items():
        result = await register(world, alice, {**GOOD, field: value})
        reply = world.last_ephemeral(result)
        assert reply.ephemeral and expected in reply.content, reply.content
    assert await world.hub.ambassadors.find(who(world, alice)) is None
    assert world.role.id not in [r.id for r in alice.member.roles]


async def test_registering_twice_and_profile_before_registering(world: World) -> None:
    alice = world.member("alice")
    early = await alice.slash(world.channel, "profile")
    assert early.ephemeral and "not registered" in early.response.content
    early_leave = await alice.slash(world.channel, "leave")
    assert "not registered" in early_leave.response.content
    await register(world, alice)
    again = await alice.slash(world.channel, "register")
    assert again.ephemeral and "already registered" in again.response.content


async def test_double_submit_of_the_modal_registers_once(world: World) -> None:
    alice = world.member("alice")
    shown = await alice.slash(world.channel, "register")
    panel = shown.response.message
    await alice.select(panel, ["fan"], custom_id="register:connection")
    modal = await alice.click(panel, custom_id="register:agree")
    await alice.submit_modal(modal, GOOD)
    modal2 = await alice.click(panel, custom_id="register:agree")
    second = await alice.submit_modal(modal2, GOOD)
    assert "already registered" in world.last_ephemeral(second).content
    assert (await world.hub.ambassadors.get(who(world, alice))).member_number == 1


async def test_profile_shows_and_edits(world: World) -> None:
    alice = world.member("alice")
    await register(world, alice)
    shown = await alice.slash(world.channel, "profile")
    embed = shown.response.embeds[0]
    assert embed.title == "Hanako's profile"
    values = {f.name: f.value for f in embed.fields}
    assert values["Lives in"] == "Shimane" and values["Member number"] == "No. 1"
    panel = shown.response.message
    # Switch to Japanese with the select: the panel answers in Japanese from then on.
    switched = await alice.select(panel, ["ja"], custom_id="profile:language")
    assert switched.acknowledged
    again = await alice.slash(world.channel, "profile")
    assert again.response.embeds[0].title == "Hanako さんのプロフィール"
    modal = await alice.click(again.response.message, custom_id="profile:edit")
    assert modal.modal is not None
    saved = await alice.submit_modal(
        modal,
        {
            "profile:display_name": "はなこ",
            "profile:residence": "フランス",
            "profile:interests": "食",
            "profile:skills": "",
            "profile:timezone": "Europe/Paris",
        },
    )
    assert saved.acknowledged
    view = await world.hub.ambassadors.get(who(world, alice))
    assert (view.display_name, view.residence_code, view.skills, view.timezone) == (
        "はなこ",
        "FR",
        (),
        "Europe/Paris",
    )
    bad = await alice.click(again.response.message, custom_id="profile:edit")
    refused = await alice.submit_modal(
        bad,
        {
            "profile:display_name": "はなこ",
            "profile:residence": "フランス",
            "profile:interests": "",
            "profile:skills": "",
            "profile:timezone": "Mars/Base",
        },
    )
    assert "タイムゾーンとして認識できませんでした" in world.last_ephemeral(refused).content
    assert (await world.hub.ambassadors.get(who(world, alice))).timezone == "Europe/Paris"


async def test_my_registration_panel_is_invisible_to_others(world: World) -> None:
    import simcord

    alice, mallory = world.member("alice"), world.member("mallory")
    shown = await alice.slash(world.channel, "register")
    assert shown.ephemeral
    with pytest.raises(simcord.SetupError, match="not visible to this user"):
        await mallory.click(shown.response.message, custom_id="register:agree")


async def test_leave_asks_first_then_erases_and_removes_the_role(world: World) -> None:
    alice = world.member("alice")
    await register(world, alice)
    shown = await alice.slash(world.channel, "leave")
    assert "cannot be undone" in shown.response.content
    await alice.click(shown.response.message, custom_id="leave:cancel")
    assert (await world.hub.ambassadors.find(who(world, alice))) is not None
    shown = await alice.slash(world.channel, "leave")
    panel = shown.response.message
    done = await alice.click(panel, custom_id="leave:confirm")
    assert done.acknowledged
    assert await world.hub.ambassadors.find(who(world, alice)) is None
    assert world.role.id not in [r.id for r in alice.member.roles]
    # Registering again gives a new number; the old one is never reused.
    await register(world, alice)
    assert (await world.hub.ambassadors.get(who(world, alice))).member_number == 2


async def test_unknown_server_gets_a_clear_message(world: World) -> None:
    other = world.env.create_guild("よその町")
    channel = other.create_text_channel("general")
    stranger = other.add_member(world.env.create_user("stranger"))
    assert "register" not in stranger.available_commands(channel)


async def test_a_panel_from_before_a_restart_says_it_expired_and_does_nothing(world: World) -> None:
    from bot.discord_bot import create_discord_bot

    alice = world.member("alice")
    await register(world, alice)
    shown = await alice.slash(world.channel, "leave")
    await world.env.restart_bot(create_discord_bot(world.hub.settings, world.hub))
    stale = await alice.click(shown.response.message, custom_id="leave:confirm")
    assert stale.ephemeral and "expired" in stale.response.content
    assert await world.hub.ambassadors.find(who(world, alice)) is not None


async def test_a_panel_that_timed_out_says_it_expired(world: World) -> None:
    alice = world.member("alice")
    shown = await alice.slash(world.channel, "register")
    await world.env.advance_time(601)
    stale = await alice.select(shown.response.message, ["fan"], custom_id="register:connection")
    assert "expired" in stale.response.content


async def test_missing_role_permission_still_registers_and_says_so(world: World) -> None:
    from bot.config import settings_from_mapping
    from tests.conftest import settings_data

    high = world.guild.create_role("アンバサダー（上位）", position=100)  # above the bot's own role
    data = settings_data(world.hub.settings.database.url)
    data["communities"][0]["discord"]["ambassador_role_id"] = high.id
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    alice = world.member("alice")
    result = await register(world, alice)
    card = world.last_ephemeral(result).embeds[0]
    assert any("could not be given" in f.value for f in card.fields)
    assert (await world.hub.ambassadors.get(who(world, alice))).member_number == 1
    assert high.id not in [r.id for r in alice.member.roles]


async def test_an_unexpected_failure_gets_an_apology_not_a_traceback(world: World, monkeypatch: Any) -> None:
    import simcord

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    alice = world.member("alice")
    monkeypatch.setattr(world.hub.ambassadors, "find", broken)
    result = await alice.slash(world.channel, "register")
    assert result.ephemeral and "Something went wrong" in result.response.content
    assert "database on fire" not in result.response.content
    simcord.assert_error(world.env, RuntimeError)


async def test_link_on_discord_shows_a_code_and_takes_one_from_line(world: World) -> None:
    from tests.services.test_ambassadors import register as register_directly

    alice = world.member("alice")
    await register(world, alice)
    shown = await alice.slash(world.channel, "link")
    assert shown.ephemeral
    text = shown.response.embeds[0].description
    code = text.split("**")[1]
    line_user = Identity(who(world, alice).community_id, "line", "U-alice")
    await world.hub.links.redeem(line_user, code)
    assert (await world.hub.ambassadors.get(line_user)).platforms == ("discord", "line")

    # Bob registered on LINE first; on Discord he enters the code LINE gave him and gets the role.
    bob = world.member("bob")
    bob_line = Identity(who(world, bob).community_id, "line", "U-bob")
    await register_directly(world.hub, bob_line, "Bob")
    line_code = (await world.hub.links.issue(bob_line)).code
    wrong = await bob.slash(world.channel, "link", code="ZZZZ-ZZZZ")
    assert "not right" in wrong.response.content  # Bob's Discord is in English and he is not linked yet
    linked = await bob.slash(world.channel, "link", code=line_code)
    assert "連携しました" in linked.response.content  # now he is Bob, who chose Japanese on LINE
    assert world.role.id in [r.id for r in bob.member.roles]


@pytest.mark.simcord(strict_sync=False)
async def test_a_server_that_is_not_configured_gets_a_clear_message(world: World) -> None:
    other = world.env.create_guild("よその町")
    channel = other.create_text_channel("general")
    stranger = other.add_member(world.env.create_user("stranger"))
    result = await stranger.slash(channel, "register")
    assert result.ephemeral and "not set up for any ambassador community" in result.response.content


async def test_the_notifier_reaches_a_discord_member_by_direct_message(world: World) -> None:
    alice = world.member("alice")
    await register(world, alice)
    view = await world.hub.ambassadors.get(who(world, alice))
    assert await world.hub.notifier.tell(view.community_id, view.id, "discord.profile.saved") == "discord"
    [dm] = alice.user.dm_channel.history()
    assert dm.content == "Saved."
