"""Privacy: private profile fields, the member's own data, and consent to a newer privacy notice."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.community.ambassadors import ProfileChanges
from bot.community.calendar import calendar_token
from bot.community.privacy import (
    export_token,
    notice_is_newer,
    read_export_token,
    staff_labels,
    staff_view,
)
from bot.config import settings_from_mapping
from bot.hub import Hub
from storage.models import Ambassador, AuditEntry, ConsentRecord
from tests.conftest import settings_data
from tests.services.test_ambassadors import register, who
from tests.services.test_events import expect, post, staff
from tests.services.test_subcommittees import make
from tests.services.test_votes import open_vote


async def bump_notice(hub: Hub, version: str, key: str = "ama") -> None:
    data = settings_data(hub.settings.database.url)
    for community in data["communities"]:
        if community["key"] == key:
            community["privacy_notice_version"] = version
    await hub.reconfigure(settings_from_mapping(data, env={}))


async def test_private_fields_are_hidden_in_staff_views_only(hub: Hub) -> None:
    alice = who(hub, "alice")
    await register(hub, alice, "Alice")
    assert await hub.privacy.private_fields(alice) == ()
    assert await hub.privacy.set_private_fields(alice, ["skills", "residence"]) == ("residence", "skills")
    assert await hub.privacy.toggle_private(alice, "interests") == ("residence", "interests", "skills")
    assert await hub.privacy.toggle_private(alice, "residence") == ("interests", "skills")
    await expect("privacy.error.unknown_field", hub.privacy.set_private_fields(alice, ["display_name"]))
    await expect("privacy.error.unknown_field", hub.privacy.toggle_private(alice, "email"))
    view = await hub.ambassadors.get(alice)
    # The member still sees and uses everything; staff views get None (shown as 非公開 / "private").
    assert view.interests == ("食", "教育") and view.private_fields == ("interests", "skills")
    assert staff_view(view) == {"residence": "JP-32", "connection": "fan", "interests": None, "skills": None}
    assert staff_labels(hub.tr, "ja", view) == {
        "residence": "島根県",
        "connection": "ファン",
        "interests": "非公開",
        "skills": "非公開",
    }
    assert staff_labels(hub.tr, "en", view)["skills"] == "private"
    # Changes are audited by field name, never with the values.
    async with hub.db.transaction() as s:
        rows = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.fields_set"))).all()
    assert [r.detail for r in rows] == [
        "private=residence,skills",
        "private=residence,interests,skills",
        "private=interests,skills",
    ]
    assert {r.actor for r in rows} == {"discord:alice"}
    # Leaving erases the choice with the profile.
    left = await hub.ambassadors.leave(alice)
    async with hub.db.transaction() as s:
        row = await s.get(Ambassador, left.id)
        assert row is not None and row.private_fields == []


async def test_my_data_holds_everything_about_the_member(hub: Hub, clock: ManualClock) -> None:
    alice, bob = who(hub, "alice"), who(hub, "bob")
    await register(hub, alice, "Alice")
    await register(hub, bob, "Bob")
    await hub.links.redeem(who(hub, "U-alice", "line"), (await hub.links.issue(alice)).code)
    await hub.ambassadors.update_profile(alice, ProfileChanges(skills="写真、デザイン"))
    await hub.privacy.set_private_fields(alice, ["residence"])
    cid = alice.community_id
    claim = await hub.contributions.log(alice, "visit", "海士町を再訪", "昨日")
    await hub.contributions.review(cid, claim.seq, staff(hub), approve=True)
    await hub.contributions.thank(bob, alice, "写真をありがとう")
    await hub.contributions.thank(alice, bob, "案内をありがとう")
    event = await post(hub)
    await hub.rsvps.answer(alice, event.id, "going")
    clock.advance(event.starts_at - clock.now() - timedelta(minutes=10))
    await hub.checkins.with_code(alice, event.checkin_code)
    vote = await open_vote(hub)
    await hub.votes.cast(alice, vote.id, 1, "button")
    food = await make(hub)
    await hub.subcommittees.join(alice, food.id)
    data = await hub.privacy.export(alice)
    json.dumps(data, ensure_ascii=False)  # a JSON document as it is
    profile = data["profile"]
    assert (profile["member_number"], profile["display_name"], profile["skills"]) == (
        1,
        "Alice",
        ["写真", "デザイン"],
    )
    assert profile["residence"] == {"kind": "prefecture", "code": "JP-32"}  # private from staff, not from you
    assert profile["private_fields"] == ["residence"] and profile["points"] == 5 + 1 + 5
    assert [(p["platform"], p["account_id"]) for p in data["platform_accounts"]] == [
        ("discord", "alice"),
        ("line", "U-alice"),
    ]
    assert [c["notice_version"] for c in data["consents"]] == ["2026-04"]
    kinds = [(e["kind"], e["category"], e["points"], e["by"]) for e in data["ledger_entries"]]
    assert kinds[:3] == [
        ("claim", "visit", 0, "you"),
        ("approve", "visit", 5, "staff"),
        ("thanks", "thanks", 1, "member"),
    ]
    assert ("auto", "local_activity", 5, "system") in kinds
    assert data["ledger_entries"][2]["from_member_number"] == 2
    assert [(t["to_member_number"], t["description"]) for t in data["thanks_given"]] == [
        (2, "案内をありがとう")
    ]
    assert [(r["event"], r["status"]) for r in data["rsvps"]] == [("島の国際交流祭", "going")]
    assert [(c["event"], c["method"]) for c in data["checkins"]] == [("島の国際交流祭", "code")]
    assert [(b["vote_id"], b["option"]) for b in data["ballots"]] == [(vote.id, "図書館を広げる")]
    assert [(s["name"], s["lead"]) for s in data["subcommittees"]] == [("食と農", False)]
    assert {"project_applications", "reminders", "vote_weights", "held_messages", "conversations"} <= set(
        data
    )
    actions = [a["action"] for a in data["audit_entries"]]
    assert actions[0] == "ambassador.registered" and actions[-1] == "privacy.exported"
    assert "identity.linked" in actions and "privacy.fields_set" in actions
    # Nothing of other people beyond their member numbers: Bob's name and accounts are not in it.
    text = json.dumps(data, ensure_ascii=False)
    assert "Bob" not in text and "discord:bob" not in text and "staff-1" not in text


async def test_my_data_once_a_minute_whichever_app_asks(hub: Hub, clock: ManualClock) -> None:
    alice, line_alice = who(hub, "alice"), who(hub, "U-alice", "line")
    await register(hub, alice, "Alice")
    await hub.links.redeem(line_alice, (await hub.links.issue(alice)).code)
    await hub.privacy.export(alice)
    clock.advance(timedelta(seconds=30))
    err = await expect("privacy.error.too_soon", hub.privacy.export(alice))
    assert err.params == {"seconds": 60}
    await expect("privacy.error.too_soon", hub.privacy.request_export(line_alice))
    clock.advance(timedelta(seconds=31))
    view = await hub.ambassadors.get(alice)
    assert await hub.privacy.request_export(line_alice) == view.id
    await expect("profile.error.not_registered", hub.privacy.export(who(hub, "nobody")))
    async with hub.db.transaction() as s:
        rows = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.exported"))).all()
    assert [(r.platform, r.actor) for r in rows] == [("discord", "discord:alice"), ("line", "line:U-alice")]


async def test_export_links_are_signed_expire_and_die_with_the_member(hub: Hub, clock: ManualClock) -> None:
    alice = who(hub, "alice")
    await register(hub, alice, "Alice")
    view = await hub.ambassadors.get(alice)
    now = clock.now()
    token = export_token("secret", "ama", view.id, now + timedelta(minutes=15))
    assert read_export_token("secret", "ama", token, now) == view.id
    assert read_export_token("secret", "ama", token, now + timedelta(minutes=16)) is None  # expired
    assert read_export_token("other", "ama", token, now) is None
    assert read_export_token("secret", "tabayama", token, now) is None
    body, signature = token.rsplit(".", 1)
    forged = f"{view.id + 1}.{body.split('.')[1]}.{signature}"
    assert read_export_token("secret", "ama", forged, now) is None
    # A calendar link with the same numbers is no data link.
    calendar = calendar_token("secret", "ama", view.id, int((now + timedelta(minutes=15)).timestamp()))
    assert read_export_token("secret", "ama", calendar, now) is None
    data = await hub.privacy.export_of(alice.community_id, view.id)
    assert data is not None and data["profile"]["display_name"] == "Alice"
    taba = hub.communities.by_key("tabayama")
    assert taba is not None and await hub.privacy.export_of(taba.id, view.id) is None
    await hub.ambassadors.leave(alice)
    assert await hub.privacy.export_of(alice.community_id, view.id) is None


def test_notice_versions_compare_as_people_number_them() -> None:
    assert notice_is_newer("2026-10", "2026-04")
    assert notice_is_newer("v10", "v9") and notice_is_newer("2027-01", "2026-12")
    assert not notice_is_newer("2026-04", "2026-04")
    assert not notice_is_newer("2026-03", "2026-04")  # rolled back: nobody is asked again
    assert notice_is_newer("2026-04", None)


async def test_a_newer_notice_is_asked_for_once_and_recorded(hub: Hub) -> None:
    alice = who(hub, "alice")
    await register(hub, alice, "Alice")
    standing = await hub.privacy.standing(alice)
    assert standing.registered and not standing.needs_consent and standing.language == "ja"
    assert not (await hub.privacy.standing(who(hub, "nobody"))).registered
    await bump_notice(hub, "2026-10")
    standing = await hub.privacy.standing(alice)
    assert (standing.notice_version, standing.notice_url) == ("2026-10", "https://example.jp/ama/privacy")
    assert standing.needs_consent
    # The version shown must still be the current one.
    await expect("privacy.error.notice_changed", hub.privacy.accept_notice(alice, "2026-04"))
    assert await hub.privacy.accept_notice(alice, "2026-10")
    assert not await hub.privacy.accept_notice(alice, "2026-10")  # a double tap records it once
    assert not (await hub.privacy.standing(alice)).needs_consent
    async with hub.db.transaction() as s:
        versions = (await s.scalars(select(ConsentRecord.notice_version).order_by(ConsentRecord.id))).all()
        [row] = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.consented"))).all()
    assert versions == ["2026-04", "2026-10"]
    assert (row.detail, row.actor) == ("version=2026-10", "discord:alice")
    # A suspended member is stopped by the suspension, not asked for consent.
    await bump_notice(hub, "2027-01")
    await hub.moderation.suspend(alice.community_id, alice, staff(hub), "確認中")
    standing = await hub.privacy.standing(alice)
    assert standing.suspended and not standing.needs_consent
    await expect("profile.error.suspended", hub.privacy.accept_notice(alice, "2027-01"))
