"""Attendance: check-in by code or by staff, once, recorded as a local_activity contribution in the ledger."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.config import ConfigError, settings_from_mapping
from bot.hub import Hub
from storage.models import EventCheckin, LedgerEntry
from tests.conftest import settings_data
from tests.services.test_ambassadors import register, who
from tests.services.test_events import expect, post, staff


async def test_a_member_checks_in_with_the_code_and_earns_local_activity(
    hub: Hub, clock: ManualClock
) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    event = await post(hub)
    clock.advance(event.starts_at - clock.now() - timedelta(minutes=30))  # doors open
    typed = event.checkin_code[:3].lower() + "-" + event.checkin_code[3:]  # 「abc-234」 is the same code
    result = await hub.checkins.with_code(alice, typed)
    assert (result.points, result.category, result.event.checked_in) == (5, "local_activity", 1)
    assert result.promotion is not None and result.promotion.new == 2
    assert await hub.contributions.points(alice) == 5
    [item] = await hub.contributions.history(alice)
    assert (item.category, item.status) == (
        "local_activity",
        "approved",
    ) and "島の国際交流祭" in item.description
    await expect("checkin.error.already", hub.checkins.with_code(alice, event.checkin_code))
    assert await hub.contributions.points(alice) == 5  # no second entry
    rows = await hub.events.attendance(event.community_id, event.id)
    assert [(r.status, r.checked_in) for r in rows] == [("walk-in", True)]
    assert (await hub.ledger.verify(event.community_id)).ok


async def test_wrong_codes_and_closed_windows_are_refused(hub: Hub, clock: ManualClock) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    event = await post(hub)
    await expect("checkin.error.bad_code", hub.checkins.with_code(alice, "ZZZ999"))
    await expect("checkin.error.bad_code", hub.checkins.with_code(alice, "こんにちは"))
    await expect("checkin.error.not_open", hub.checkins.with_code(alice, event.checkin_code))
    clock.advance(event.ends_at - clock.now() + timedelta(hours=7))
    await expect("checkin.error.closed", hub.checkins.with_code(alice, event.checkin_code))
    await expect("event.error.not_member", hub.checkins.with_code(who(hub, "nobody"), event.checkin_code))
    taba = await post(hub, key="tabayama", start="2026-12-24 10:00")
    await expect(
        "checkin.error.bad_code", hub.checkins.with_code(alice, taba.checkin_code)
    )  # not this community
    async with hub.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(EventCheckin)) == 0
        assert await s.scalar(select(func.count()).select_from(LedgerEntry)) == 0


async def test_staff_check_in_by_account_or_number_once(hub: Hub, clock: ManualClock) -> None:
    alice, bob = who(hub, "alice"), who(hub, "U-bob", "line")
    await register(hub, alice)
    await register(hub, bob, "ぼぶ")
    event = await post(hub)
    await hub.rsvps.answer(alice, event.id, "going")
    await expect(
        "checkin.error.not_open", hub.checkins.by_staff(event.community_id, event.id, alice, staff(hub))
    )
    clock.advance(event.ends_at - clock.now() + timedelta(days=2))  # typed in from a paper list later
    first = await hub.checkins.by_staff(event.community_id, event.id, alice, staff(hub))
    by_number = await hub.checkins.by_staff(event.community_id, event.id, 2, staff(hub))
    assert (first.ambassador.member_number, by_number.ambassador.member_number) == (1, 2)
    await expect("checkin.error.already", hub.checkins.by_staff(event.community_id, event.id, 2, staff(hub)))
    await expect(
        "checkin.error.not_member", hub.checkins.by_staff(event.community_id, event.id, 99, staff(hub))
    )
    rows = await hub.events.attendance(event.community_id, event.id)
    assert [(r.member_number, r.status, r.checked_in) for r in rows] == [
        (1, "going", True),
        (2, "walk-in", True),
    ]
    clock.advance(timedelta(days=6))
    await expect(
        "checkin.error.closed", hub.checkins.by_staff(event.community_id, event.id, alice, staff(hub))
    )


async def test_a_double_check_in_at_the_same_moment_records_one_entry(hub: Hub, clock: ManualClock) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    event = await post(hub)
    clock.advance(event.starts_at - clock.now())
    outcomes = await asyncio.gather(
        hub.checkins.with_code(alice, event.checkin_code),
        hub.checkins.by_staff(event.community_id, event.id, alice, staff(hub)),
        return_exceptions=True,
    )
    assert sum(1 for o in outcomes if isinstance(o, Exception)) == 1
    assert await hub.contributions.points(alice) == 5


async def test_a_cancelled_event_takes_no_check_ins(hub: Hub, clock: ManualClock) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    event = await post(hub)
    await hub.events.cancel(event.community_id, event.id, staff(hub), "中止")
    clock.advance(event.starts_at - clock.now())
    await expect("event.error.cancelled", hub.checkins.with_code(alice, event.checkin_code))


async def test_without_a_local_activity_category_attendance_is_kept_without_points(
    hub: Hub, clock: ManualClock
) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["contributions"] = {
        "categories": [{"key": "visit", "points": 5}],
        "stages": [{"stage": 2, "min_points": 1}],
    }
    await hub.reconfigure(settings_from_mapping(data, env={}))
    alice = who(hub, "alice")
    await register(hub, alice)
    event = await post(hub)
    clock.advance(event.starts_at - clock.now())
    result = await hub.checkins.with_code(alice, event.checkin_code)
    assert (result.seq, result.points, result.category, result.event.checked_in) == (None, 0, None, 1)
    assert await hub.contributions.points(alice) == 0
    data["communities"][0]["events"] = {"checkin_category": "festival"}
    with pytest.raises(ConfigError, match=r"events\.checkin_category: 'festival' is not one of"):
        settings_from_mapping(data, env={})
