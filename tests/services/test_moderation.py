"""Moderation: search, the staff profile view, suspension, taking back a contribution, the audit log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.clock import ManualClock
from bot.community.ambassadors import ProfileChanges
from bot.community.errors import DomainError
from bot.community.events import EventDraft
from bot.community.identity import Identity
from bot.community.moderation import member_number_in
from bot.hub import Hub
from storage.models import AuditEntry, LedgerEntry, PendingReview, PointTotal
from tests.services.test_ambassadors import register, who
from tests.services.test_events import expect, staff


async def members(hub: Hub) -> tuple[Identity, Identity, Identity]:
    alice, bob, carol = who(hub, "alice"), who(hub, "bob"), who(hub, "carol", "line")
    await register(hub, alice, "Alice")  # 食、教育 / デザイン
    await register(hub, bob, "Bob")
    await hub.ambassadors.update_profile(bob, ProfileChanges(interests="釣り、料理", skills="写真"))
    await register(hub, carol, "キャロル")
    await hub.ambassadors.update_profile(carol, ProfileChanges(interests="料理教室", skills=""))
    return alice, bob, carol


async def audit_rows(hub: Hub, action: str) -> list[AuditEntry]:
    async with hub.db.transaction() as s:
        return list(
            (
                await s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
            ).all()
        )


def test_member_numbers_as_typed() -> None:
    assert [member_number_in(t) for t in ("12", "No.12", "no. 12", "#12", "１２番", "No12")] == [12] * 6
    assert member_number_in("12a") is None and member_number_in("料理") is None


async def test_search_by_number_name_and_tags_never_by_a_private_field(hub: Hub) -> None:
    alice, _, carol = await members(hub)
    cid, desk = alice.community_id, staff(hub)
    found = await hub.moderation.search(cid, "料理", desk)
    assert [(f.member_number, f.matched) for f in found] == [(2, "interests"), (3, "interests")]
    assert [(f.member_number, f.matched) for f in await hub.moderation.search(cid, "No.1", desk)] == [
        (1, "number")
    ]
    assert [f.display_name for f in await hub.moderation.search(cid, "ALICE", desk)] == ["Alice"]
    assert [f.matched for f in await hub.moderation.search(cid, "デザイン", desk)] == ["skills"]
    # Carol hides her interests: searching them no longer finds her (that would reveal them).
    await hub.privacy.set_private_fields(carol, ["interests"])
    assert [f.member_number for f in await hub.moderation.search(cid, "料理", desk)] == [2]
    # Suspended members are found (staff need them), members who left are not.
    await hub.moderation.suspend(cid, 2, desk, "迷惑行為")
    assert [(f.member_number, f.status) for f in await hub.moderation.search(cid, "料理", desk)] == [
        (2, "suspended")
    ]
    await hub.ambassadors.leave(alice)
    assert await hub.moderation.search(cid, "Alice", desk) == []
    await expect("moderation.error.query_empty", hub.moderation.search(cid, "  ", desk))
    # Each search is audited with who searched and how many were found, never the words typed.
    rows = await audit_rows(hub, "staff.searched")
    assert len(rows) == 7 and {r.actor for r in rows} == {"discord:staff-1"}
    assert rows[0].detail == "results=2" and not any("料理" in (r.detail or "") for r in rows)


async def test_show_hides_private_fields_and_is_audited(hub: Hub) -> None:
    alice, _, _ = await members(hub)
    cid = alice.community_id
    view = await hub.ambassadors.get(alice)
    await hub.contributions.record_automatic(cid, view.id, "knowledge", "講演", points=12)
    await hub.privacy.set_private_fields(alice, ["residence", "skills"])
    profile = await hub.moderation.show(cid, alice, staff(hub))
    assert profile.shown == {"residence": None, "connection": "fan", "interests": "食, 教育", "skills": None}
    assert (profile.points, profile.view.stage, profile.view.platforms, profile.view.status) == (
        12,
        2,
        ("discord",),
        "active",
    )
    by_number = await hub.moderation.show(cid, 2, staff(hub))
    assert by_number.view.display_name == "Bob" and by_number.shown["residence"] == "JP-32"
    [first, second] = await audit_rows(hub, "staff.viewed_profile")
    assert (first.ambassador_id, first.actor) == (view.id, "discord:staff-1")
    assert second.detail == "member_number=2"
    await expect("moderation.error.unknown_member", hub.moderation.show(cid, 99, staff(hub)))
    await expect("moderation.error.not_a_member", hub.moderation.show(cid, who(hub, "nobody"), staff(hub)))
    # Another community's member is not reachable, by account or by number.
    await expect(
        "moderation.error.not_a_member",
        hub.moderation.show(cid, who(hub, "alice", key="tabayama"), staff(hub)),
    )
    taba = hub.communities.by_key("tabayama")
    assert taba is not None
    await expect("moderation.error.unknown_member", hub.moderation.show(taba.id, 1, staff(hub, "tabayama")))


async def test_a_suspended_member_is_stopped_everywhere_until_reinstated(hub: Hub) -> None:
    alice, bob, _ = await members(hub)
    cid, desk = alice.community_id, staff(hub)
    await expect("moderation.error.reason_required", hub.moderation.suspend(cid, alice, desk, " "))
    suspended = await hub.moderation.suspend(cid, alice, desk, "規約違反の投稿")
    assert suspended.status == "suspended"
    # The central gate: every member action on the account, on any service.
    await expect("profile.error.suspended", hub.ambassadors.get(alice))
    await expect("profile.error.suspended", hub.contributions.log(alice, "visit", "再訪", "今日"))
    await expect("profile.error.suspended", hub.contributions.points(alice))
    await expect("profile.error.suspended", hub.privacy.export(alice))
    # Others are not blamed for it: thanking a suspended member says they are not a member.
    await expect("thanks.error.not_member", hub.contributions.thank(bob, alice, "ありがとう"))
    # Their profile is still there (the faces use it for the reply's language).
    peeked = await hub.ambassadors.peek(alice)
    assert peeked is not None and peeked.status == "suspended" and peeked.language == "ja"
    await expect("moderation.error.already_suspended", hub.moderation.suspend(cid, 1, desk, "もう一度"))
    await expect("moderation.error.not_suspended", hub.moderation.reinstate(cid, bob, desk, "なし"))
    back = await hub.moderation.reinstate(cid, 1, desk, "反省文を受け取った")
    assert back.status == "active" and (await hub.ambassadors.get(alice)).member_number == 1
    [off] = await audit_rows(hub, "ambassador.suspended")
    [on] = await audit_rows(hub, "ambassador.reinstated")
    assert (off.actor, off.reason, off.ambassador_id) == ("discord:staff-1", "規約違反の投稿", back.id)
    assert (on.actor, on.reason) == ("discord:staff-1", "反省文を受け取った")
    assert on.created_at == hub.clock.now()


async def test_staff_cannot_suspend_themselves_or_a_member_who_left(hub: Hub) -> None:
    alice, bob, _ = await members(hub)
    cid = alice.community_id
    await expect("moderation.error.self", hub.moderation.suspend(cid, alice, alice, "自分"))
    await hub.ambassadors.leave(bob)
    await expect("moderation.error.left", hub.moderation.suspend(cid, 2, staff(hub), "退会済み"))


async def test_a_suspended_member_is_left_out_of_a_new_vote(hub: Hub) -> None:
    from tests.services.test_votes import open_vote

    alice, bob, _ = await members(hub)
    await hub.moderation.suspend(alice.community_id, bob, staff(hub), "一時停止")
    vote = await open_vote(hub)
    assert vote.eligible == 2  # Alice and Carol
    await expect("profile.error.suspended", hub.votes.cast(bob, vote.id, 0, "button"))


async def test_removing_an_approved_claim_takes_its_points_back_once(hub: Hub) -> None:
    alice, _, _ = await members(hub)
    cid, desk = alice.community_id, staff(hub)
    claim = await hub.contributions.log(alice, "knowledge", "島の高校で授業", "2026-11-20")
    await hub.contributions.review(cid, claim.seq, desk, approve=True)
    assert await hub.contributions.points(alice) == 10
    assert (await hub.ambassadors.get(alice)).stage == 2
    removed = await hub.moderation.remove_contribution(cid, claim.seq, desk, "重複した申請")
    assert (removed.removed_seq, removed.points, removed.category) == (claim.seq, 10, "knowledge")
    assert await hub.contributions.points(alice) == 0
    assert (await hub.ambassadors.get(alice)).stage == 2  # stages are not lowered automatically
    async with hub.db.transaction() as s:
        fix = await s.scalar(select(LedgerEntry).where(LedgerEntry.seq == removed.seq))
        assert fix is not None
        assert (fix.kind, fix.points, fix.refers_to, fix.actor, fix.description, fix.occurred_on) == (
            "correct",
            -10,
            claim.seq,
            "discord:staff-1",
            "重複した申請",
            "2026-11-20",
        )
        totals = {
            (t.month, t.category): (t.points, t.entries)
            for t in (
                await s.scalars(select(PointTotal).where(PointTotal.ambassador_id == fix.ambassador_id))
            )
        }
    assert totals[("2026-11", "knowledge")] == (0, 0) and totals[("*", "*")] == (0, 0)
    # A second removal, by the claim or by its approval, is refused.
    await expect(
        "moderation.error.already_removed", hub.moderation.remove_contribution(cid, claim.seq, desk, "x")
    )
    await expect(
        "moderation.error.already_removed", hub.moderation.remove_contribution(cid, claim.seq + 1, desk, "x")
    )
    await expect(
        "moderation.error.not_removable", hub.moderation.remove_contribution(cid, removed.seq, desk, "x")
    )
    await expect("moderation.error.entry_not_found", hub.moderation.remove_contribution(cid, 999, desk, "x"))
    [row] = await audit_rows(hub, "contribution.removed")
    assert (row.actor, row.reason, row.detail) == (
        "discord:staff-1",
        "重複した申請",
        f"seq={claim.seq} points=-10 correction={removed.seq}",
    )
    assert (await hub.ledger.verify(cid)).ok


async def test_removing_thanks_automatic_pending_and_rejected_entries(hub: Hub) -> None:
    alice, bob, _ = await members(hub)
    cid, desk = alice.community_id, staff(hub)
    thanks = await hub.contributions.thank(bob, alice, "案内ありがとう")
    view = await hub.ambassadors.get(alice)
    auto = await hub.contributions.record_automatic(cid, view.id, "local_activity", "清掃活動")
    pending = await hub.contributions.log(alice, "visit", "再訪", "今日")
    rejected = await hub.contributions.log(alice, "promotion", "SNS", "今日")
    await hub.contributions.review(cid, rejected.seq, desk, approve=False, reason="リンクがない")
    assert await hub.contributions.points(alice) == 1 + 5
    thanks_seq = auto.seq - 1
    assert (
        await hub.moderation.remove_contribution(cid, thanks_seq, desk, "自作自演")
    ).points == thanks.points
    assert (await hub.moderation.remove_contribution(cid, auto.seq, desk, "参加していない")).points == 5
    assert await hub.contributions.points(alice) == 0
    # A claim still waiting leaves the review queue with nothing to take off.
    assert (await hub.moderation.remove_contribution(cid, pending.seq, desk, "取り下げ")).points == 0
    async with hub.db.transaction() as s:
        assert (await s.scalars(select(PendingReview.claim_seq))).all() == []
        counted = await s.scalar(
            select(PointTotal.entries).where(
                PointTotal.ambassador_id == view.id,
                PointTotal.month == "*",
                PointTotal.category == "local_activity",
            )
        )
    assert counted == 0  # the activity no longer counts towards a stage condition
    await expect("review.error.already", hub.contributions.review(cid, pending.seq, desk, approve=True))
    await expect(
        "moderation.error.not_removable", hub.moderation.remove_contribution(cid, rejected.seq, desk, "x")
    )
    assert (await hub.ledger.verify(cid)).ok


async def test_two_removals_at_once_take_the_points_back_once(hub: Hub) -> None:
    alice, _, _ = await members(hub)
    view = await hub.ambassadors.get(alice)
    cid = alice.community_id
    auto = await hub.contributions.record_automatic(cid, view.id, "knowledge", "講演")
    results = await asyncio.gather(
        hub.moderation.remove_contribution(cid, auto.seq, staff(hub), "一回目"),
        hub.moderation.remove_contribution(cid, auto.seq, who(hub, "staff-2"), "二回目"),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1 and errors[0].key == "moderation.error.already_removed"
    assert await hub.contributions.points(alice) == 0
    assert (await hub.ledger.verify(cid)).ok


async def test_the_audit_log_newest_first_by_member_and_action_with_pages(
    hub: Hub, clock: ManualClock
) -> None:
    alice, bob, _ = await members(hub)
    cid, desk = alice.community_id, staff(hub)
    clock.advance(timedelta(minutes=1))
    await hub.moderation.suspend(cid, bob, desk, "スパム")
    clock.advance(timedelta(minutes=1))
    await hub.moderation.refused(cid, alice, "ambassador suspend")
    clock.advance(timedelta(minutes=1))
    page = await hub.moderation.audit_log(cid, desk)
    assert [line.action for line in page.lines[:2]] == ["staff.refused", "ambassador.suspended"]
    refused, suspended = page.lines[:2]
    assert (refused.actor, refused.detail, refused.member_number) == (
        "discord:alice",
        "ambassador suspend",
        1,
    )
    assert (suspended.actor, suspended.reason, suspended.member_number) == ("discord:staff-1", "スパム", 2)
    about_bob = await hub.moderation.audit_log(cid, desk, member=2)
    assert [line.action for line in about_bob.lines] == [
        "ambassador.suspended",
        "ambassador.profile_edited",
        "ambassador.registered",
    ]
    assert [line.action for line in (await hub.moderation.audit_log(cid, desk, action="staff")).lines] == [
        "staff.viewed_audit",
        "staff.viewed_audit",
        "staff.refused",
    ]
    only = await hub.moderation.audit_log(cid, desk, action="ambassador.suspended")
    assert [line.member_number for line in only.lines] == [2]
    first = await hub.moderation.audit_log(cid, desk, per_page=3)
    second = await hub.moderation.audit_log(cid, desk, page=2, per_page=3)
    assert first.has_more and len(first.lines) == 3
    assert {line.id for line in first.lines}.isdisjoint({line.id for line in second.lines})
    # Reading the log is in the log, with its filters.
    viewed = await audit_rows(hub, "staff.viewed_audit")
    assert viewed[1].detail == "page=1 member_number=2" and viewed[1].actor == "discord:staff-1"


async def test_every_audited_change_says_who_and_why(hub: Hub) -> None:
    alice, _, _ = await members(hub)
    cid, desk = alice.community_id, staff(hub)
    await hub.stages.set_stage(cid, 1, 3, "地域の役員", "discord:staff-1")
    claim = await hub.contributions.log(alice, "visit", "再訪", "今日")
    await hub.contributions.review(cid, claim.seq, desk, approve=False, reason="日付を確認")
    event = (await hub.events.create(cid, desk, EventDraft(title="交流会", start="2026-12-05 19:00"))).event
    await hub.events.cancel(cid, event.id, desk, "台風のため")
    async with hub.db.transaction() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    by_action: dict[str, AuditEntry] = {}
    for r in rows:
        by_action.setdefault(r.action, r)
    assert all(r.actor for r in rows), [r.action for r in rows if not r.actor]
    assert by_action["ambassador.registered"].actor == "discord:alice"
    assert by_action["ambassador.registered"].platform == "discord"
    stage = by_action["stage.set_by_staff"]
    assert (stage.actor, stage.reason, stage.detail) == ("discord:staff-1", "地域の役員", "1->3")
    rejected = by_action["contribution.rejected"]
    assert (rejected.actor, rejected.reason, rejected.detail) == (
        "discord:staff-1",
        "日付を確認",
        f"seq={claim.seq}",
    )
    cancelled = by_action["event.cancelled"]
    assert (cancelled.actor, cancelled.reason) == ("discord:staff-1", "台風のため")
