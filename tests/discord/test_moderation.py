"""Staff moderation and member privacy on Discord, acted out in SimCord: /ambassador, /contribution remove,
/audit, /privacy, /mydata, the re-consent panel, and no personal data in the logs."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import settings_from_mapping
from storage.models import ConsentRecord
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_registration import register, who

NOT_STAFF = "for the programme's staff"
SUSPENDED = "Your membership is currently suspended"


async def configure(world: World, notice: str = "2026-04") -> int:
    """The staff role configured (made the first time) and the notice version; returns the role's id."""
    ref = world.hub.communities.by_key("ama")
    assert ref is not None and ref.settings.discord is not None
    staff_role_id = ref.settings.discord.staff_role_id or world.guild.create_role("運営スタッフ").id
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(ambassador_role_id=world.role.id, staff_role_id=staff_role_id)
    community["privacy_notice_version"] = notice
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    return staff_role_id


async def staff_and_alice(world: World) -> tuple[Any, Any]:
    staff_role = world.guild.create_role("運営スタッフ")
    data = settings_data(world.hub.settings.database.url)
    data["communities"][0]["discord"].update(ambassador_role_id=world.role.id, staff_role_id=staff_role.id)
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    staff = world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])
    alice = world.member("alice")
    await register(world, alice)  # Hanako, Shimane, interests food/education, skill design
    return staff, alice


def embed_text(embed: Any) -> str:
    return "\n".join(
        [embed.title or "", embed.description or ""] + [f"{f.name}: {f.value}" for f in embed.fields]
    )


async def test_search_and_show_keep_private_fields_private(world: World) -> None:
    staff, alice = await staff_and_alice(world)
    shown = await alice.slash(world.channel, "privacy")
    assert shown.ephemeral and "Private now: none" in shown.response.content
    picked = await alice.select(shown.response.message, ["residence", "skills"], custom_id="privacy:fields")
    assert "Private now: Residence, Skills" in picked.response.message.content
    again = await alice.slash(world.channel, "privacy")
    assert "Private now: Residence, Skills" in again.response.content

    found = await staff.slash(world.channel, "ambassador search", text="food")
    assert found.ephemeral
    assert "No. 1 Hanako" in found.response.embeds[0].description
    assert "matched: interest" in found.response.embeds[0].description
    by_number = await staff.slash(world.channel, "ambassador search", text="No.1")
    assert "matched: member number" in by_number.response.embeds[0].description
    hidden = await staff.slash(world.channel, "ambassador search", text="design")  # a private skill
    assert 'No ambassador matches "design"' in hidden.response.content

    card = await staff.slash(world.channel, "ambassador show", member=alice)
    assert card.ephemeral
    fields = {f.name: f.value for f in card.response.embeds[0].fields}
    assert fields["Lives in"] == "private" and fields["Skills"] == "private"
    assert fields["Interests"] == "food, education" and fields["Connection to the region"] == "Fan"
    assert (fields["Status"], fields["Points"], fields["Linked apps"]) == ("active", "0 pt", "Discord")
    text = embed_text(card.response.embeds[0])
    assert "Shimane" not in text and "design" not in text
    same = await staff.slash(world.channel, "ambassador show", number=1)
    assert same.response.embeds[0].title == "No. 1 Hanako"
    neither = await staff.slash(world.channel, "ambassador show")
    assert "either a member or a member number" in neither.response.content
    unknown = await staff.slash(world.channel, "ambassador show", number=42)
    assert "no ambassador with member number 42" in unknown.response.content


async def test_manage_server_counts_as_staff(world: World) -> None:
    await configure(world)
    admin_role = world.guild.create_role("管理者", permissions=discord.Permissions(manage_guild=True))
    admin = world.guild.add_member(world.env.create_user("admin"), roles=[admin_role])
    alice = world.member("alice")
    await register(world, alice)
    card = await admin.slash(world.channel, "ambassador show", member=alice)
    assert card.response.embeds[0].title == "No. 1 Hanako"


async def test_a_non_staff_member_is_refused_and_the_refusal_is_in_the_audit_log(world: World) -> None:
    staff, alice = await staff_and_alice(world)
    bob = world.member("bob")
    for name, options in (
        ("ambassador search", {"text": "Hanako"}),
        ("ambassador show", {"number": 1}),
        ("ambassador suspend", {"number": 1, "reason": "いたずら"}),
        ("ambassador reinstate", {"number": 1, "reason": "いたずら"}),
        ("contribution remove", {"seq": 1, "reason": "いたずら"}),
        ("audit", {}),
        ("review", {}),
    ):
        refused = await bob.slash(world.channel, name, **options)
        assert refused.ephemeral and NOT_STAFF in refused.response.content, name
    assert (await world.hub.ambassadors.get(who(world, alice))).status == "active"
    log = await staff.slash(world.channel, "audit", action="staff.refused")
    lines = log.response.embeds[0].description.splitlines()
    assert len(lines) == 7
    assert all("**staff.refused**" in line and f"<@{bob.id}>" in line for line in lines)
    assert "`ambassador suspend`" in lines[4] and "`review`" in lines[0]
    assert log.response.embeds[0].footer.text == "Times are Japan time."


async def test_suspension_answers_every_command_until_reinstated(world: World) -> None:
    staff, alice = await staff_and_alice(world)
    missing = await staff.slash(world.channel, "ambassador suspend", member=alice, reason="  ")
    assert "Please give a reason" in missing.response.content
    done = await staff.slash(world.channel, "ambassador suspend", member=alice, reason="規約違反の投稿")
    assert "membership of No. 1 Hanako is suspended" in done.response.content
    for name, options in (
        ("profile", {}),
        ("contributions", {}),
        ("leaderboard", {}),
        ("events", {}),
        ("mydata", {}),
        ("contribute", {"category": "visit", "what": "再訪"}),
    ):
        answer = await alice.slash(world.channel, name, **options)
        assert answer.ephemeral and SUSPENDED in world.last_ephemeral(answer).content, name
    again = await staff.slash(world.channel, "ambassador suspend", member=alice, reason="二重")
    assert "already suspended" in again.response.content
    card = await staff.slash(world.channel, "ambassador show", member=alice)
    assert (
        "suspended (since 2026-11-22 10:00)"
        in {f.name: f.value for f in card.response.embeds[0].fields}["Status"]
    )
    log = await staff.slash(world.channel, "audit", member=alice)
    viewed, suspended = log.response.embeds[0].description.splitlines()[:2]
    assert "**staff.viewed_profile** No.1" in viewed
    assert f"<@{staff.id}>" in suspended and "**ambassador.suspended** No.1" in suspended
    assert "reason: 規約違反の投稿" in suspended and suspended.startswith("`2026-11-22 10:00`")

    back = await staff.slash(world.channel, "ambassador reinstate", number=1, reason="確認できた")
    assert "is reinstated" in back.response.content
    assert any("reinstated" in m.content for m in alice.user.dm_channel.history())
    profile = await alice.slash(world.channel, "profile")
    assert profile.response.embeds[0].title == "Hanako's profile"
    only = await staff.slash(world.channel, "audit", action="ambassador")
    actions = [line.split("**")[1] for line in only.response.embeds[0].description.splitlines()]
    assert actions == ["ambassador.reinstated", "ambassador.suspended", "ambassador.registered"]


async def test_contribution_remove_takes_the_points_back_once(world: World) -> None:
    staff, alice = await staff_and_alice(world)
    await alice.slash(world.channel, "contribute", category="knowledge", what="島の高校で授業", when="today")
    panel = await staff.slash(world.channel, "review")
    await staff.click(panel.response.message, custom_id="review:approve")
    assert await world.hub.contributions.points(who(world, alice)) == 10
    removed = await staff.slash(world.channel, "contribution remove", seq=1, reason="重複した申請")
    assert (
        "Entry #1 (No. 1, Lending expertise, 10 pt) was taken back (correction #3)"
        in removed.response.content
    )
    assert await world.hub.contributions.points(who(world, alice)) == 0
    assert any("#1 (10 pt) was taken back" in m.content for m in alice.user.dm_channel.history())
    twice = await staff.slash(world.channel, "contribution remove", seq=1, reason="もう一度")
    assert "Entry #1 has already been taken back" in twice.response.content
    by_approval = await staff.slash(world.channel, "contribution remove", seq=2, reason="もう一度")
    assert "Entry #1 has already been taken back" in by_approval.response.content
    assert await world.hub.contributions.points(who(world, alice)) == 0
    log = await staff.slash(world.channel, "audit", action="contribution")
    first = log.response.embeds[0].description.splitlines()[0]
    assert "**contribution.removed** No.1 `seq=1 points=-10 correction=3`" in first
    assert "reason: 重複した申請" in first


async def test_audit_pages(world: World) -> None:
    staff, _ = await staff_and_alice(world)
    for i in range(14):
        await staff.slash(world.channel, "ambassador search", text=f"x{i}")
    first = await staff.slash(world.channel, "audit")
    assert first.response.embeds[0].title == "Audit log (page 1, newest first)"
    assert len(first.response.embeds[0].description.splitlines()) == 12
    assert "Use page:2 for more." in first.response.embeds[0].footer.text
    second = await staff.slash(world.channel, "audit", page=2)
    lines = second.response.embeds[0].description.splitlines()
    assert "**ambassador.registered** No.1" in lines[-1]
    assert "more" not in second.response.embeds[0].footer.text
    empty = await staff.slash(world.channel, "audit", page=9)
    assert "No entries match." in empty.response.content


async def test_mydata_is_a_json_file_once_a_minute(world: World, clock: ManualClock) -> None:
    _, alice = await staff_and_alice(world)
    result = await alice.slash(world.channel, "mydata")
    assert result.ephemeral
    [file] = result.response.attachments
    assert file.filename == "ama-mydata-1.json"
    data = json.loads((await file.read()).decode())
    assert data["profile"]["display_name"] == "Hanako" and data["profile"]["interests"] == [
        "food",
        "education",
    ]
    assert data["platform_accounts"] == [
        {
            "platform": "discord",
            "account_id": str(alice.id),
            "active": True,
            "linked_at": clock.now().isoformat(),
        }
    ]
    assert [c["notice_version"] for c in data["consents"]] == ["2026-04"]
    assert [a["action"] for a in data["audit_entries"]] == ["ambassador.registered", "privacy.exported"]
    soon = await alice.slash(world.channel, "mydata")
    assert "once a minute" in soon.response.content and soon.response.attachments == []
    clock.advance(timedelta(seconds=61))
    later = await alice.slash(world.channel, "mydata")
    assert len(later.response.attachments) == 1
    stranger = await world.member("carol").slash(world.channel, "mydata")
    assert "not registered" in stranger.response.content


async def test_a_newer_privacy_notice_is_asked_for_before_any_command(world: World) -> None:
    _, alice = await staff_and_alice(world)
    await configure(world, notice="2026-10")
    asked = await alice.slash(world.channel, "profile")
    assert asked.ephemeral
    embed = asked.response.embeds[0]
    assert embed.title == "The privacy notice has been updated (version 2026-10)"
    assert "https://example.jp/ama/privacy" in embed.description
    declined = await alice.click(asked.response.message, custom_id="privacy:decline")
    assert "Until you agree" in declined.response.message.content
    # Leaving stays possible without agreeing.
    leave = await alice.slash(world.channel, "leave")
    assert "cannot be undone" in leave.response.content
    again = await alice.slash(world.channel, "contributions")
    assert again.response.embeds[0].title.startswith("The privacy notice has been updated")
    agreed = await alice.click(again.response.message, custom_id="privacy:agree")
    assert "Please run the command again" in agreed.response.message.content
    profile = await alice.slash(world.channel, "profile")
    assert profile.response.embeds[0].title == "Hanako's profile"
    async with world.hub.db.transaction() as s:
        versions = (await s.scalars(select(ConsentRecord.notice_version).order_by(ConsentRecord.id))).all()
    assert versions == ["2026-04", "2026-10"]
    # Someone not registered is not asked (registration shows the current notice itself).
    carol = world.member("carol")
    shown = await carol.slash(world.channel, "register")
    assert "version 2026-10" in shown.response.embeds[0].description


async def test_no_personal_data_in_the_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Registration, profile edits, contributions, thanks and the staff views, with the hub's own loggers at
    DEBUG and everything else at INFO (the configured level): no name, residence or interest is written."""
    from bot.logging_setup import JsonFormatter

    caplog.set_level(logging.INFO)
    for name in ("bot", "cogs", "storage"):
        caplog.set_level(logging.DEBUG, logger=name)
    staff, alice = await staff_and_alice(world)
    # An Ambassador role above the bot's own: giving it fails and is logged, as in a real server.
    high = world.guild.create_role("アンバサダー（上位）", position=100)
    ref = world.hub.communities.by_key("ama")
    assert ref is not None and ref.settings.discord is not None
    data = settings_data(world.hub.settings.database.url)
    data["communities"][0]["discord"].update(
        ambassador_role_id=high.id, staff_role_id=ref.settings.discord.staff_role_id
    )
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    bob = world.member("bob")
    bobs = {"profile:display_name": "Bobby Tables", "profile:residence": "Hokkaido",
            "profile:interests": "ramen, skiing", "profile:skills": "woodwork"}  # fmt: skip
    await register(world, bob, bobs)
    panel = await alice.slash(world.channel, "profile")
    modal = await alice.click(panel.response.message, custom_id="profile:edit")
    await alice.submit_modal(
        modal,
        {"profile:display_name": "Hanako Yamada", "profile:residence": "Okinawa",
         "profile:interests": "diving", "profile:skills": "kayak guiding", "profile:timezone": "Asia/Tokyo"},
    )  # fmt: skip
    await alice.slash(world.channel, "contribute", category="knowledge", what="島の高校で授業", when="today")
    review = await staff.slash(world.channel, "review")
    await staff.click(review.response.message, custom_id="review:approve")
    await bob.slash(world.channel, "thanks", member=alice, reason="案内をありがとう")
    await staff.slash(world.channel, "ambassador search", text="diving")
    await staff.slash(world.channel, "ambassador show", member=alice)
    await alice.slash(world.channel, "mydata")
    assert any(r.getMessage() == "could not change the ambassador role" for r in caplog.records)
    written = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for personal in ("Hanako", "Bobby Tables", "Okinawa", "沖縄", "Hokkaido", "北海道", "Shimane", "島根",
                     "diving", "ramen", "skiing", "woodwork", "kayak", "education"):  # fmt: skip
        assert personal not in written, personal
