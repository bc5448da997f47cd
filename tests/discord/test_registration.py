"""Registration, profile and leaving on Discord, acted out by members in SimCord."""

from __future__ import annotations

from typing import Any

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


async def test_someone_else_cannot_press_my_panel(world: World) -> None:
    alice, mallory = world.member("alice"), world.member("mallory")
    shown = await alice.slash(world.channel, "register")
    # Ephemeral messages are visible to their owner only; drive the component as Mallory through the
    # same message id, as a forged interaction would.
    try:
        result = await mallory.click(shown.response.message, custom_id="register:agree")
    except Exception as exc:  # SimCord refuses: Mallory cannot see Alice's ephemeral message
        assert "SetupError" in type(exc).__name__ or "see" in str(exc).lower()
    else:
        assert "Only the person" in result.response.content


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
