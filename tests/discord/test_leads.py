"""A subcommittee's lead on Discord: posts events and opens votes for their own subcommittee only."""

from __future__ import annotations

from typing import Any

from bot.community.events import EventView
from bot.community.identity import Identity
from bot.community.subcommittees import SubcommitteeView
from tests.discord.conftest import World
from tests.discord.test_events import cid, events_of, member, setup_events
from tests.discord.test_registration import who


async def subcommittee(world: World, name: str, lead: Any | None = None) -> SubcommitteeView:
    hub = world.hub
    new = await hub.subcommittees.check_new(cid(world), name, "", "")
    made = await hub.subcommittees.create(new, Identity(cid(world), "discord", "staff"))
    if lead is not None:
        await hub.subcommittees.set_lead(
            cid(world), made.id, who(world, lead), Identity(cid(world), "discord", "s")
        )
    return made


async def newest(world: World) -> EventView:
    return max(await events_of(world), key=lambda e: e.id)


async def test_a_lead_posts_and_cancels_an_event_for_their_subcommittee(world: World) -> None:
    _, announce = await setup_events(world)
    lead, outsider = await member(world, "Lead"), await member(world, "Outsider")
    food = await subcommittee(world, "食と農", lead)
    await subcommittee(world, "教育")
    made = await lead.slash(
        world.channel, "event create", title="収穫祭", start="2026-12-05 10:00", subcommittee=f"#{food.id}"
    )
    assert 'Created event #1 "収穫祭"' in world.last_ephemeral(made).content
    event = await newest(world)
    assert event.subcommittee_id == food.id and announce.last_message is not None
    # Not their subcommittee, or none at all: refused, nothing created.
    other = await lead.slash(
        world.channel, "event create", title="x", start="2026-12-06 10:00", subcommittee="教育"
    )
    assert 'You do not lead the subcommittee "教育"' in world.last_ephemeral(other).content
    bare = await lead.slash(world.channel, "event create", title="x", start="2026-12-06 10:00")
    assert "for the programme's staff" in world.last_ephemeral(bare).content
    stranger = await outsider.slash(
        world.channel, "event create", title="x", start="2026-12-06 10:00", subcommittee="食と農"
    )
    assert 'You do not lead the subcommittee "食と農"' in world.last_ephemeral(stranger).content
    assert [e.id for e in await events_of(world)] == [event.id]
    # Only the subcommittee's members may answer.
    refused = await outsider.click(announce.last_message, custom_id=f"event:{event.id}:going")
    assert "for the subcommittee's members" in world.last_ephemeral(refused).content
    # The lead edits and cancels their own event (with the confirmation).
    edited = await lead.slash(world.channel, "event edit", event=str(event.id), place="畑")
    assert "Changed event" in world.last_ephemeral(edited).content
    panel = await lead.slash(world.channel, "event cancel", event=str(event.id), reason="雨")
    await lead.click(panel.response.message, custom_id="event-cancel:confirm")
    assert (await world.hub.events.get(cid(world), event.id)).cancelled
    refused_cancel = await outsider.slash(world.channel, "event cancel", event=str(event.id), reason="x")
    assert 'You do not lead the subcommittee "食と農"' in world.last_ephemeral(refused_cancel).content


async def test_a_lead_opens_a_vote_only_its_members_may_cast(world: World) -> None:
    _, announce = await setup_events(world)
    lead, fellow, outsider = [await member(world, n) for n in ("Lead", "Fellow", "Outsider")]
    food = await subcommittee(world, "食と農", lead)
    await world.hub.subcommittees.join(who(world, fellow), food.id)
    opened = await lead.slash(
        world.channel,
        "vote create",
        question="どの畑に?",
        options="東|西",
        closes="3日",
        subcommittee="食と農",
    )
    assert "Opened vote #1" in world.last_ephemeral(opened).content
    [vote] = await world.hub.votes.search(cid(world))
    assert (vote.subcommittee_id, vote.eligible) == (food.id, 2)
    post = announce.last_message
    await fellow.react(post, "1️⃣")
    await outsider.react(post, "2️⃣")
    assert (await world.hub.votes.get(cid(world), vote.id)).voters == 1  # the outsider is not counted
    refused = await outsider.slash(world.channel, "vote create", question="q", options="a|b", closes="1日")
    assert "for the programme's staff" in world.last_ephemeral(refused).content
