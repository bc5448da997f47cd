"""Subcommittees: unique names, joining and leaving, leads who post scoped events and votes, archiving."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.community.events import EventDraft
from bot.community.identity import Identity
from bot.community.subcommittees import SubcommitteeView
from bot.community.votes import VoteDraft
from bot.config import settings_from_mapping
from bot.hub import Hub
from storage.models import Subcommittee
from tests.conftest import settings_data
from tests.services.test_ambassadors import register, who
from tests.services.test_events import expect, staff


async def make(
    hub: Hub, name: str = "食と農", tags: str = "食、農業、料理", key: str = "ama"
) -> SubcommitteeView:
    ref = hub.communities.by_key(key)
    assert ref is not None
    new = await hub.subcommittees.check_new(ref.id, name, "島の食を考える", tags)
    return await hub.subcommittees.create(new, staff(hub, key), discord_channel_id=11, discord_role_id=22)


async def test_names_are_unique_per_community_whatever_the_width_or_case(hub: Hub) -> None:
    food = await make(hub)
    assert (food.name, food.tags, food.status, food.members) == ("食と農", ("食", "農業", "料理"), "open", 0)
    await expect("subcommittee.error.name_taken", make(hub, " 食と農 "))
    await make(hub, "Surf Club", "surfing")
    await expect("subcommittee.error.name_taken", make(hub, "ＳＵＲＦ　ｃｌｕｂ"))
    assert (await make(hub, "食と農", key="tabayama")).name == "食と農"  # another community may
    await expect("subcommittee.error.name_empty", make(hub, "  "))
    await expect("subcommittee.error.name_too_long", make(hub, "分" * 41))


async def test_a_name_taken_between_the_check_and_the_store_is_refused_whole(hub: Hub) -> None:
    ref = hub.communities.by_key("ama")
    assert ref is not None
    first = await hub.subcommittees.check_new(ref.id, "観光", "", "")
    second = await hub.subcommittees.check_new(ref.id, "観光", "", "")  # two staff at once
    await hub.subcommittees.create(first, staff(hub))
    await expect("subcommittee.error.name_taken", hub.subcommittees.create(second, staff(hub)))
    async with hub.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Subcommittee)) == 1


async def test_the_configured_limit_is_kept(hub: Hub) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["subcommittees"] = {"max_per_community": 2}
    await hub.reconfigure(settings_from_mapping(data, env={}))
    await make(hub, "A")
    await make(hub, "B")
    await expect("subcommittee.error.too_many", make(hub, "C"))


async def test_join_leave_suggest_and_archive(hub: Hub) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)  # interests 食、教育; skills デザイン
    food = await make(hub)
    await make(hub, "教育", "教育、学校")
    design = await make(hub, "デザイン部", "デザイン")
    await make(hub, "釣り", "釣り")
    suggested = [s.name for s in await hub.subcommittees.suggest(alice)]
    assert suggested == ["デザイン部", "教育", "食と農"]
    joined = await hub.subcommittees.join(alice, food.id)
    assert joined.changed and joined.subcommittee.members == 1
    assert not (await hub.subcommittees.join(alice, food.id)).changed  # joining twice changes nothing
    assert "食と農" not in [s.name for s in await hub.subcommittees.suggest(alice)]
    assert [s.name for s in await hub.subcommittees.mine(alice)] == ["食と農"]
    left = await hub.subcommittees.leave(alice, food.id)
    assert left.changed and left.subcommittee.members == 0
    archived = await hub.subcommittees.archive(design.community_id, design.id, staff(hub))
    assert archived.status == "archived"
    await expect("subcommittee.error.archived", hub.subcommittees.join(alice, design.id))
    assert "デザイン部" not in [s.name for s in await hub.subcommittees.all(design.community_id)]
    restored = await hub.subcommittees.restore(design.community_id, design.id, staff(hub), discord_role_id=99)
    assert restored.open and restored.discord_role_id == 99
    await expect(
        "subcommittee.error.not_archived",
        hub.subcommittees.restore(design.community_id, design.id, staff(hub)),
    )
    await expect("profile.error.not_registered", hub.subcommittees.join(who(hub, "nobody"), food.id))
    taba = await make(hub, "山の会", key="tabayama")
    await expect("subcommittee.error.not_found", hub.subcommittees.join(alice, taba.id))


async def test_a_lead_posts_events_and_votes_for_their_subcommittee_only(hub: Hub) -> None:
    lead, member, outsider = who(hub, "lead"), who(hub, "member"), who(hub, "outsider")
    for person in (lead, member, outsider):
        await register(hub, person)
    food = await make(hub)
    other = await make(hub, "教育", "教育")
    await hub.subcommittees.join(member, food.id)
    await hub.subcommittees.set_lead(food.community_id, food.id, lead, staff(hub))
    assert (await hub.subcommittees.get(food.community_id, food.id)).members == 2  # the lead joined too
    cid = food.community_id
    draft = EventDraft(title="収穫祭", start="2026-12-05 10:00", subcommittee_id=food.id)
    created = await hub.events.create(cid, lead, draft, is_staff=False)
    assert created.event.subcommittee_id == food.id
    await expect(
        "subcommittee.error.not_lead",
        hub.events.create(
            cid,
            lead,
            EventDraft(title="x", start="2026-12-05 10:00", subcommittee_id=other.id),
            is_staff=False,
        ),
    )
    await expect(
        "staff.error.not_staff",
        hub.events.create(cid, lead, EventDraft(title="x", start="2026-12-05 10:00"), is_staff=False),
    )
    await expect(
        "subcommittee.error.not_lead",
        hub.events.create(cid, member, draft, is_staff=False),  # a member who does not lead
    )
    # Only members may answer, and only they see it listed.
    await expect("event.error.members_only", hub.rsvps.answer(outsider, created.event.id, "going"))
    assert (await hub.rsvps.answer(member, created.event.id, "going")).status == "going"
    assert [m.event.id for m in await hub.events.upcoming(cid, member)] == [created.event.id]
    assert await hub.events.upcoming(cid, outsider) == []
    assert [m.event.id for m in await hub.events.upcoming(cid)] == [created.event.id]  # staff see all
    vote = await hub.votes.open(
        cid,
        lead,
        VoteDraft(question="どの畑に？", options="東|西", closes="3日", subcommittee_id=food.id),
        is_staff=False,
    )
    assert vote.eligible == 2 and vote.subcommittee_id == food.id
    await expect("vote.error.joined_after", hub.votes.cast(outsider, vote.id, 0, "reaction"))
    await hub.votes.cast(member, vote.id, 0, "reaction")
    # The lead edits their own event; archiving stops new things for it.
    await hub.events.edit(cid, created.event.id, lead, EventDraft(place="畑"), is_staff=False)
    await hub.subcommittees.archive(cid, food.id, staff(hub))
    await expect(
        "subcommittee.error.archived",
        hub.events.create(
            cid, staff(hub), EventDraft(title="y", start="2026-12-06 10:00", subcommittee_id=food.id)
        ),
    )
    await hub.subcommittees.leave(lead, food.id)
    assert (await hub.subcommittees.get(cid, food.id)).lead_ambassador_id is None  # a lead who leaves stops


async def test_set_lead_refuses_strangers(hub: Hub) -> None:
    food = await make(hub)
    stranger = Identity(food.community_id, "discord", "x")
    await expect(
        "subcommittee.error.lead_not_member",
        hub.subcommittees.set_lead(food.community_id, food.id, stranger, staff(hub)),
    )
