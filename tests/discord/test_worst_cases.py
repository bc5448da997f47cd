"""The longest inputs staff and members can give and the largest lists, on Discord: every answer stays within
Discord's limits (the autouse check in conftest.py fails a test on any request Discord would refuse), is a
clear reply or refusal, and shows what it must by paging or shortening with "…", never by failing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord

from bot.community.identity import Identity
from bot.community.vote_rules import NUMBER_EMOJI, OPTION_MAX, QUESTION_MAX
from bot.config import settings_from_mapping
from bot.discord_check import DiscordRequestCheck
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import BEACH, cid, member, setup_events
from tests.discord.test_projects import LOGO, setup_projects
from tests.discord.test_registration import GOOD, register, who
from tests.discord.test_subcommittees import setup_subcommittees

UNEXPECTED = ("Something went wrong", "うまく処理できませんでした")
STRING_OPTION_MAX = 6000  # what Discord lets a person type into a string option without a max_length


def long_text(size: int, seed: str = "海士町の未来🌊") -> str:
    """Japanese with an emoji, ``size`` code points long."""
    return (seed * (size // len(seed) + 1))[:size]


def shown(result: Any) -> str:
    """Everything the member was shown: the reply and any follow-ups, text and embeds."""
    messages = [m for m in [result.response, *result.followups] if m is not None]
    parts: list[str] = []
    for message in messages:
        parts.append(message.content or "")
        for embed in message.embeds:
            parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
            parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    return "\n".join(parts)


def answered_clearly(result: Any) -> str:
    """The reply was given and was not the error handler's "something went wrong"."""
    text = shown(result)
    assert result.acknowledged and text.strip(), result
    assert not any(u in text for u in UNEXPECTED), text[:500]
    return text


def embed_size(embed: discord.Embed) -> int:
    return len(embed)  # discord.py counts what Discord counts: title, description, fields, footer, author


# --- known defects --------------------------------------------------------------------------------------
async def test_event_cancel_with_a_long_reason_is_refused_before_the_confirmation(world: World) -> None:
    staff, _ = await setup_events(world)
    await staff.slash(world.channel, "event create", **BEACH)
    [event] = await world.hub.events.search(cid(world))
    result = await staff.slash(
        world.channel, "event cancel", event=str(event.id), reason=long_text(STRING_OPTION_MAX)
    )
    text = answered_clearly(result)
    assert "The reason can be at most 300 characters." in text
    assert world.last_ephemeral(result).components == []  # no Confirm button for a reason that cannot be kept
    assert not (await world.hub.events.get(cid(world), event.id)).cancelled


async def test_vote_create_with_a_long_unparseable_quorum_does_not_echo_it(world: World) -> None:
    staff, announce = await setup_events(world)
    await member(world, "Alice")
    typed = long_text(STRING_OPTION_MAX, "定足数はたくさん")
    result = await staff.slash(
        world.channel, "vote create", question="港の桟橋", options="直す|直さない", closes="3日", quorum=typed
    )
    text = answered_clearly(result)
    assert "Could not read the quorum" in text and len(text) < 400
    assert announce.history() == []


async def test_votes_with_five_long_approval_votes_all_chosen_are_all_shown(world: World) -> None:
    staff, _ = await setup_events(world)
    alice = await member(world, "Alice")
    for n in range(5):
        options = [f"{i}{long_text(OPTION_MAX - 1, '港と島の暮らし🚢')}" for i in range(10)]
        await staff.slash(
            world.channel, "vote create", question=f"{n}{long_text(QUESTION_MAX - 1)}",
            options="|".join(options), closes="3日", approval=True,
        )  # fmt: skip
    votes = await world.hub.votes.search(cid(world))
    assert len(votes) == 5
    for vote in votes:
        for option in range(10):
            await world.hub.votes.cast(who(world, alice), vote.id, option, "button")
    result = await alice.slash(world.channel, "votes")
    answered_clearly(result)
    pages = await every_page(alice, world.last_ephemeral(result))
    assert sum(len(p.fields) for p in pages) == 5  # every vote, each on some page
    assert all(embed_size(p) <= 6000 for p in pages)
    assert all(NUMBER_EMOJI[9] in str(f.value) for p in pages for f in p.fields)  # all ten choices shown


async def test_project_review_with_twelve_long_applications_stays_usable(world: World) -> None:
    staff, _, _ = await setup_projects(world)
    await staff.slash(world.channel, "project create", **LOGO)
    [project] = await world.hub.projects.search(cid(world))
    for n in range(12):
        actor = world.member(f"m{n}")
        await register(world, actor, {**GOOD, "profile:display_name": long_text(32, f"応募者{n}🌱")})
        await world.hub.projects.apply(
            who(world, actor), project.id, long_text(500, f"{n}番です。島で働きたい🌊")
        )
    result = await staff.slash(world.channel, "project review", project=str(project.id))
    answered_clearly(result)
    panel = world.last_ephemeral(result)
    assert embed_size(panel.embeds[0]) <= 6000
    assert len(panel.embeds[0].fields) == 12
    accepted = await staff.click(panel, custom_id="project-review:accept")  # the same embed, after a decision
    after = answered_clearly(accepted)
    assert "Accepted No.1" in after


async def test_subcommittee_list_with_ten_long_subcommittees_shows_them_all(world: World) -> None:
    staff, _, _ = await setup_subcommittees(world)
    for n in range(10):
        tags = ", ".join(long_text(30, f"{n}{t}タグ🌿") for t in range(10))
        made = await staff.slash(
            world.channel, "subcommittee create", name=long_text(40, f"{n}分科会🌾"),
            description=long_text(500, f"{n}の説明です。"), tags=tags,
        )  # fmt: skip
        answered_clearly(made)
    result = await staff.slash(world.channel, "subcommittee list")
    answered_clearly(result)
    pages = await every_page(staff, world.last_ephemeral(result))
    assert sum(len(p.fields) for p in pages) == 10
    assert all(embed_size(p) <= 6000 for p in pages)


async def test_subcommittee_channels_get_discord_style_names_and_keep_the_name_in_the_topic(
    world: World,
) -> None:
    staff, _, _ = await setup_subcommittees(world)
    await staff.slash(
        world.channel, "subcommittee create", name="Food And Farming Club", description="島の食"
    )
    await staff.slash(world.channel, "subcommittee create", name="食と農 Club", description="")
    names = {c.name: c for c in world.env.bot.get_guild(world.guild.id).text_channels}
    assert "food-and-farming-club" in names and "食と農-club" in names
    assert names["food-and-farming-club"].topic == "Food And Farming Club — 島の食"
    assert names["食と農-club"].topic == "食と農 Club"


async def test_a_long_time_zone_is_refused_clearly_on_create_and_edit(world: World) -> None:
    staff, _ = await setup_events(world)
    zone = "Asia/" + "x" * 251  # a file name too long for the operating system
    created = await staff.slash(world.channel, "event create", **BEACH, timezone=zone)
    assert "was not recognised as a time zone" in answered_clearly(created)
    assert await world.hub.events.search(cid(world)) == []
    await staff.slash(world.channel, "event create", **BEACH)
    [event] = await world.hub.events.search(cid(world))
    for typed in (zone, long_text(STRING_OPTION_MAX), "../../etc/passwd", "Asia/Tokyo\x00"):
        edited = await staff.slash(world.channel, "event edit", event=str(event.id), timezone=typed)
        assert "was not recognised as a time zone" in answered_clearly(edited), typed[:40]


# --- helpers --------------------------------------------------------------------------------------------
async def every_page(actor: Any, message: Any) -> list[discord.Embed]:
    """The embeds of a paged reply, page by page: the first, then each one the Next button shows (the
    message is edited in place, so each page is read before the next click)."""
    pages = [message.embeds[0]]
    while True:
        buttons = [c for row in message.components for c in row.get("components", [])]
        following = [c for c in buttons if str(c.get("custom_id", "")).endswith(":next")]
        if not following or following[0].get("disabled"):
            return pages
        clicked = await actor.click(message, custom_id=following[0]["custom_id"])
        assert clicked.response is not None and clicked.response.id == message.id
        assert message.embeds[0].footer.text != pages[-1].footer.text
        pages.append(message.embeds[0])


_ = (timedelta, Identity, settings_from_mapping, settings_data, DiscordRequestCheck)
