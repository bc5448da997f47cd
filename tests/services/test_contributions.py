"""Contributions: logging, review, thanks, automatic entries, history and the leaderboard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.community.errors import DomainError
from bot.hub import Hub
from tests.services.test_ambassadors import register, who


async def expect(key: str, coro: object) -> DomainError:
    with pytest.raises(DomainError) as err:
        await coro  # type: ignore[misc]
    assert err.value.key == key
    return err.value


async def test_a_claim_waits_for_review_then_counts(hub: Hub) -> None:
    alice, staff = who(hub, "alice"), who(hub, "staff")
    await register(hub, alice)
    logged = await hub.contributions.log(
        alice, "knowledge", "島の高校で授業をした", "2026-11-20", "https://example.jp/report"
    )
    assert (logged.status, logged.points, logged.promotion) == ("pending", 10, None)
    assert await hub.contributions.points(alice) == 0
    [item] = await hub.contributions.pending(alice.community_id)
    assert (item.seq, item.member_number, item.category, item.points) == (logged.seq, 1, "knowledge", 10)
    result = await hub.contributions.review(alice.community_id, logged.seq, staff, approve=True)
    assert result.approved and result.points == 10 and result.ambassador.member_number == 1
    assert result.promotion is not None and (result.promotion.old, result.promotion.new) == (1, 2)
    assert await hub.contributions.points(alice) == 10
    assert await hub.contributions.pending(alice.community_id) == []
    [entry] = await hub.contributions.history(alice)
    assert (entry.status, entry.points, entry.occurred_on) == ("approved", 10, "2026-11-20")


async def test_review_refusals(hub: Hub) -> None:
    alice, staff = who(hub, "alice"), who(hub, "staff")
    await register(hub, alice)
    await register(hub, staff, "スタッフ")
    claim = await hub.contributions.log(alice, "visit", "海士町を再訪", "昨日")
    own = await hub.contributions.log(staff, "visit", "出張", "今日")
    await expect(
        "review.error.own", hub.contributions.review(staff.community_id, own.seq, staff, approve=True)
    )
    await expect(
        "review.error.reason_required",
        hub.contributions.review(alice.community_id, claim.seq, staff, approve=False, reason="  "),
    )
    rejected = await hub.contributions.review(
        alice.community_id, claim.seq, staff, approve=False, reason="日付を確認してください"
    )
    assert not rejected.approved and rejected.reason == "日付を確認してください"
    await expect(
        "review.error.already", hub.contributions.review(alice.community_id, claim.seq, staff, approve=True)
    )
    await expect(
        "review.error.not_found", hub.contributions.review(alice.community_id, 999, staff, approve=True)
    )
    [entry] = await hub.contributions.history(alice)
    assert (entry.status, entry.reason) == ("rejected", "日付を確認してください")
    assert await hub.contributions.points(alice) == 0


async def test_bad_claims_are_refused_and_store_nothing(hub: Hub, clock: ManualClock) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    await expect("contribution.error.unknown_category", hub.contributions.log(alice, "fishing", "x"))
    await expect("contribution.error.description_empty", hub.contributions.log(alice, "visit", "  "))
    await expect("contribution.error.description_too_long", hub.contributions.log(alice, "visit", "あ" * 501))
    await expect("contribution.error.date_future", hub.contributions.log(alice, "visit", "x", "2026-12-24"))
    await expect(
        "contribution.error.date_impossible", hub.contributions.log(alice, "visit", "x", "2026-02-30")
    )
    await expect("contribution.error.date_format", hub.contributions.log(alice, "visit", "x", "someday"))
    await expect(
        "contribution.error.link", hub.contributions.log(alice, "visit", "x", "", "javascript:alert(1)")
    )
    await expect("profile.error.not_registered", hub.contributions.log(who(hub, "bob"), "visit", "x"))
    assert await hub.contributions.history(alice) == []
    assert (await hub.ledger.verify(alice.community_id)).checked == 0


async def test_dates_people_type(hub: Hub) -> None:
    from datetime import date

    from bot.community.dates import parse_past_date

    today = date(2027, 1, 10)
    assert parse_past_date("１２/３０", today) == date(2026, 12, 30)  # last December, typed full-width
    assert parse_past_date("2027年1月9日", today) == date(2027, 1, 9)
    assert parse_past_date("yesterday", today) == date(2027, 1, 9)
    assert parse_past_date("", today) == today


async def test_thanks_rules(hub: Hub, clock: ManualClock) -> None:
    alice, bob, carol = who(hub, "alice"), who(hub, "bob"), who(hub, "carol")
    for ident, name in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
        await register(hub, ident, name)
    result = await hub.contributions.thank(alice, bob, "資料ありがとう", source="discord-msg:1")
    assert result.points == 1 and result.receiver.display_name == "Bob"
    assert result.promotion is not None and result.promotion.new == 2
    await expect("thanks.error.already", hub.contributions.thank(alice, bob, "again", source="discord-msg:1"))
    await expect("thanks.error.self", hub.contributions.thank(alice, alice, "me"))
    await expect("thanks.error.not_member", hub.contributions.thank(alice, who(hub, "stranger"), "hi"))
    await expect("thanks.error.giver_not_member", hub.contributions.thank(who(hub, "stranger"), alice, "hi"))
    await expect("thanks.error.reason_empty", hub.contributions.thank(alice, bob, ""))
    for i in range(4):
        await hub.contributions.thank(alice, carol if i % 2 else bob, f"thanks {i}")
    await expect("thanks.error.daily_limit", hub.contributions.thank(alice, carol, "one too many"))
    # Tomorrow the daily limit resets, but the pair cap (10 points / 30 days) still holds.
    total_to_bob = 3
    for _day in range(3):
        clock.advance(timedelta(days=1))
        for _ in range(3):
            if total_to_bob < 10:
                await hub.contributions.thank(alice, bob, "また")
                total_to_bob += 1
    clock.advance(timedelta(days=1))
    await expect("thanks.error.pair_cap", hub.contributions.thank(alice, bob, "farming"))
    assert await hub.contributions.points(bob) == 10
    clock.advance(timedelta(days=31))
    await hub.contributions.thank(alice, bob, "a month later")


async def test_automatic_entries_and_stage_conditions(hub: Hub) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    view = await hub.ambassadors.get(alice)
    entry = await hub.contributions.record_automatic(alice.community_id, view.id, "ballot", "投票に参加")
    assert entry.points == 1 and entry.promotion is not None and entry.promotion.new == 2
    for _ in range(5):
        await hub.contributions.record_automatic(alice.community_id, view.id, "knowledge", "プロジェクト完了")
    progress = await hub.stages.progress(alice)
    # 51 points, but stage 4 also needs one local activity (e.g. an attended event).
    assert (progress.stage, progress.points, progress.next_stage, progress.counts_needed) == (
        3,
        51,
        4,
        {"local_activity": 1},
    )
    checkin = await hub.contributions.record_automatic(
        alice.community_id, view.id, "local_activity", "イベント参加"
    )
    assert checkin.promotion is not None and checkin.promotion.new == 4
    assert (await hub.stages.progress(alice)).next_stage is None
    await expect(
        "contribution.error.points_out_of_range",
        hub.contributions.record_automatic(alice.community_id, view.id, "visit", "x", points=-5),
    )


async def test_staff_set_a_stage_by_hand_and_give_it_back(hub: Hub) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    await expect(
        "stage.error.reason_required", hub.stages.set_stage(alice.community_id, 1, 3, " ", "discord:9")
    )
    await expect(
        "stage.error.unknown_stage", hub.stages.set_stage(alice.community_id, 1, 7, "x", "discord:9")
    )
    await expect(
        "contribution.error.unknown_member", hub.stages.set_stage(alice.community_id, 42, 3, "x", "discord:9")
    )
    view, change = await hub.stages.set_stage(alice.community_id, 1, 3, "地域の役員", "discord:9")
    assert view.stage == 3 and (change.old, change.new) == (1, 3)
    await expect("stage.error.too_low", hub.stages.require(alice, 4))
    assert (await hub.stages.require(alice, 3)).member_number == 1
    # While set by hand, points do not move the stage.
    await hub.contributions.record_automatic(alice.community_id, view.id, "knowledge", "x", points=100)
    assert (await hub.stages.progress(alice)).stage == 3
    back, _ = await hub.stages.set_stage(alice.community_id, 1, None, "ルールに戻す", "discord:9")
    assert back.stage == 3  # 100 points: the rules give 3 (stage 4 needs a local activity)


async def test_leaderboard_by_period_and_category(hub: Hub, clock: ManualClock) -> None:
    people = [who(hub, n) for n in ("a", "b", "c", "d")]
    for p, name in zip(people, ("A", "B", "C", "D"), strict=True):
        await register(hub, p, name)
    ids = [(await hub.ambassadors.get(p)).id for p in people]
    cid = people[0].community_id
    await hub.contributions.record_automatic(cid, ids[0], "knowledge", "x", points=30)
    await hub.contributions.record_automatic(cid, ids[1], "visit", "x", points=20)
    await hub.contributions.record_automatic(cid, ids[2], "visit", "x", points=20)
    clock.advance(timedelta(days=40))  # next month
    await hub.contributions.record_automatic(cid, ids[3], "promotion", "x", points=5)
    await hub.contributions.record_automatic(cid, ids[1], "visit", "x", points=1)
    board = await hub.contributions.leaderboard(cid)
    assert [(r.rank, r.display_name, r.points) for r in board] == [
        (1, "A", 30),
        (2, "B", 21),
        (3, "C", 20),
        (4, "D", 5),
    ]
    month = await hub.contributions.leaderboard(cid, "month")
    assert [(r.rank, r.display_name, r.points) for r in month] == [(1, "D", 5), (2, "B", 1)]
    visits = await hub.contributions.leaderboard(cid, "all", "visit")
    assert [(r.rank, r.display_name) for r in visits] == [(1, "B"), (2, "C")]
    await expect("contribution.error.unknown_category", hub.contributions.leaderboard(cid, "all", "nope"))
    # A member who leaves drops off the board; their entries stay in the ledger.
    await hub.ambassadors.leave(people[0])
    top = (await hub.contributions.leaderboard(cid))[0]
    assert (top.rank, top.display_name) == (1, "B")
    assert (await hub.ledger.verify(cid)).ok


async def test_thanks_by_member_number(hub: Hub) -> None:
    alice, bob = who(hub, "U1", "line"), who(hub, "bob")
    await register(hub, alice, "Alice")
    await register(hub, bob, "Bob")
    result = await hub.contributions.thank(alice, 2, "資料ありがとう")
    assert result.receiver.display_name == "Bob"
    await expect("thanks.error.self", hub.contributions.thank(alice, 1, "me"))
    await expect("thanks.error.not_member", hub.contributions.thank(alice, 99, "nobody"))
    await hub.ambassadors.leave(bob)
    await expect("thanks.error.not_member", hub.contributions.thank(alice, 2, "left"))
