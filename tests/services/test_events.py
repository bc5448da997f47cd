"""Events and RSVPs: staff post, edit and cancel; members answer once; the waiting list moves."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.community.errors import DomainError
from bot.community.events import EventDraft, EventView
from bot.community.identity import Identity
from bot.hub import Hub, open_hub
from storage.models import AuditEntry, Event, EventRsvp, Reminder
from tests.services.test_ambassadors import register, who

JST = ZoneInfo("Asia/Tokyo")


def staff(hub: Hub, key: str = "ama") -> Identity:
    return who(hub, "staff-1", key=key)


async def post(hub: Hub, key: str = "ama", **fields: object) -> EventView:
    draft = EventDraft(**{"title": "島の国際交流祭", "start": "2026-12-05 19:00", **fields})  # type: ignore[arg-type]
    ref = hub.communities.by_key(key)
    assert ref is not None
    return (await hub.events.create(ref.id, staff(hub, key), draft)).event


async def expect(key: str, coro: object) -> DomainError:
    with pytest.raises(DomainError) as err:
        await coro  # type: ignore[misc]
    assert err.value.key == key, err.value
    return err.value


async def count(hub: Hub, model: type[object]) -> int:
    async with hub.db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_create_understands_the_times_and_gives_a_code(hub: Hub) -> None:
    ref = hub.communities.by_key("ama")
    assert ref is not None
    created = await hub.events.create(
        ref.id,
        staff(hub),
        EventDraft(
            title=" 東京ロケットパーティー ", start="12/5 19:00", end="21:30", place="渋谷", capacity=30
        ),
    )
    e = created.event
    assert (e.title, e.place, e.capacity, e.status, e.revision) == (
        "東京ロケットパーティー",
        "渋谷",
        30,
        "scheduled",
        1,
    )
    assert e.starts_at == datetime(2026, 12, 5, 19, 0, tzinfo=JST)
    assert e.ends_at == datetime(2026, 12, 5, 21, 30, tzinfo=JST)
    assert created.year_assumed and not created.end_assumed
    assert len(e.checkin_code) == 6 and e.checkin_code[:3].isalpha() and e.checkin_code[3:].isdigit()
    defaulted = await hub.events.create(
        ref.id, staff(hub), EventDraft(title="オンライン家族会議", start="2026-12-06 20:00")
    )
    assert defaulted.end_assumed and not defaulted.year_assumed
    assert defaulted.event.ends_at - defaulted.event.starts_at == timedelta(hours=2)
    assert defaulted.event.checkin_code != e.checkin_code
    async with hub.db.transaction() as s:
        actions = (await s.scalars(select(AuditEntry.action))).all()
    assert actions.count("event.created") == 2


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"start": "2026-11-21 19:00"}, "event.error.start_past"),
        ({"start": "2026-12-05 19:00", "end": "18:00"}, "event.error.end_before_start"),
        ({"capacity": 0}, "event.error.capacity_too_small"),
        ({"capacity": -3}, "event.error.capacity_too_small"),
        ({"start": "来週のどこか"}, "event.error.time_format"),
        ({"start": "2026-02-30 19:00"}, "event.error.time_impossible"),
        ({"title": "祭" * 101}, "event.error.title_too_long"),
        ({"title": "   "}, "event.error.title_empty"),
        ({"start": ""}, "event.error.start_missing"),
        ({"online_url": "zoom.us/j/1"}, "event.error.url"),
        ({"place": "島" * 201}, "event.error.place_too_long"),
        ({"timezone": "Mars/Olympus"}, "profile.error.timezone_unknown"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(hub: Hub, fields: dict[str, Any], key: str) -> None:
    await expect(key, post(hub, **fields))
    assert await count(hub, Event) == 0


async def test_one_answer_per_member_the_latest_wins_and_double_clicks_change_nothing(hub: Hub) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    e = await post(hub)
    going = await hub.rsvps.answer(alice, e.id, "going")
    assert (going.status, going.previous, going.changed, going.event.going) == ("going", None, True, 1)
    again = await hub.rsvps.answer(alice, e.id, "going")
    assert (again.status, again.changed, again.event.going) == ("going", False, 1)
    maybe = await hub.rsvps.answer(alice, e.id, "maybe")
    assert (maybe.status, maybe.previous, maybe.event.going, maybe.event.maybe) == ("maybe", "going", 0, 1)
    assert await count(hub, EventRsvp) == 1
    await expect("event.error.bad_choice", hub.rsvps.answer(alice, e.id, "yes"))


async def test_one_member_on_two_platforms_has_one_answer(hub: Hub) -> None:
    discord, line = who(hub, "alice"), who(hub, "U-alice", "line")
    await register(hub, discord)
    issued = await hub.links.issue(discord)
    await hub.links.redeem(line, issued.code)
    e = await post(hub)
    results = await asyncio.gather(
        hub.rsvps.answer(discord, e.id, "going"), hub.rsvps.answer(line, e.id, "declined")
    )  # both at once: serialised on the event's lock, one row
    assert {r.status for r in results} == {"going", "declined"}
    assert await count(hub, EventRsvp) == 1
    [first] = [r for r in results if r.previous is None]
    [second] = [r for r in results if r.previous is not None]
    assert second.previous == first.status  # the second saw the first: one answer, the latest wins
    assert (await hub.events.upcoming(e.community_id, line))[0].status == second.status
    last = await hub.rsvps.answer(line, e.id, "maybe")
    assert (await hub.events.upcoming(e.community_id, discord))[0].status == last.status == "maybe"


async def test_past_capacity_people_wait_and_move_up_in_order(hub: Hub) -> None:
    people = [who(hub, name) for name in ("a", "b", "c", "d")]
    for p in people:
        await register(hub, p)
    e = await post(hub, capacity=2)
    results = [await hub.rsvps.answer(p, e.id, "going") for p in people]
    assert [r.status for r in results] == ["going", "going", "waitlist", "waitlist"]
    assert [r.position for r in results] == [None, None, 1, 2]
    # Waiting and pressing "going" again is not a change.
    assert not (await hub.rsvps.answer(people[3], e.id, "going")).changed
    left = await hub.rsvps.answer(people[0], e.id, "declined")
    c = await hub.ambassadors.get(people[2])
    assert left.promoted == (c.id,) and left.event.going == 2 and left.event.waitlist == 1
    assert (await hub.rsvps.answer(people[3], e.id, "maybe")).event.waitlist == 0
    # c was given reminders when moved up; d left the list and has none.
    async with hub.db.transaction() as s:
        owners = set(
            (await s.scalars(select(Reminder.ambassador_id).where(Reminder.status == "pending"))).all()
        )
    b = await hub.ambassadors.get(people[1])
    assert owners == {b.id, c.id}


async def test_more_seats_move_people_up_and_fewer_seats_demote_nobody(hub: Hub) -> None:
    people = [who(hub, name) for name in ("a", "b", "c")]
    for p in people:
        await register(hub, p)
    e = await post(hub, capacity=1)
    for p in people:
        await hub.rsvps.answer(p, e.id, "going")
    change = await hub.events.edit(e.community_id, e.id, staff(hub), EventDraft(capacity=2))
    b = await hub.ambassadors.get(people[1])
    assert change.promoted == (b.id,) and change.event.going == 2 and change.event.waitlist == 1
    assert b.id not in change.notify  # told once, as promoted, not also as "changed"
    shrink = await hub.events.edit(e.community_id, e.id, staff(hub), EventDraft(capacity=1))
    assert shrink.event.going == 2 and shrink.promoted == ()
    unlimited = await hub.events.edit(e.community_id, e.id, staff(hub), EventDraft(remove_capacity=True))
    assert unlimited.event.capacity is None and unlimited.event.going == 3 and len(unlimited.promoted) == 1


async def test_answers_close_at_the_start_and_after_a_cancellation(hub: Hub, clock: ManualClock) -> None:
    alice, bob = who(hub, "alice"), who(hub, "bob")
    await register(hub, alice)
    await register(hub, bob, "ぼぶ")
    e = await post(hub)
    await hub.rsvps.answer(alice, e.id, "going")
    clock.advance(e.starts_at - clock.now())
    await expect("event.error.started", hub.rsvps.answer(bob, e.id, "going"))
    clock.advance(e.ends_at - e.starts_at)
    await expect("event.error.finished", hub.rsvps.answer(alice, e.id, "declined"))
    assert (await hub.events.get(e.community_id, e.id)).going == 1  # nothing changed
    other = await post(hub, start="2026-12-24 18:00")
    await expect("event.error.finished", hub.events.cancel(e.community_id, e.id, staff(hub), "雨"))
    change = await hub.events.cancel(other.community_id, other.id, staff(hub), "台風のため")
    assert change.event.cancelled and change.event.cancel_reason == "台風のため"
    await expect("event.error.cancelled", hub.rsvps.answer(bob, other.id, "going"))
    await expect("event.error.cancelled", hub.events.cancel(other.community_id, other.id, staff(hub), "x"))
    await expect(
        "event.error.cancelled",
        hub.events.edit(other.community_id, other.id, staff(hub), EventDraft(title="y")),
    )
    await expect(
        "event.error.reason_required", hub.events.cancel(other.community_id, other.id, staff(hub), " ")
    )


async def test_another_communitys_event_is_not_found(hub: Hub) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    taba_event = await post(hub, key="tabayama")
    await expect("event.error.not_found", hub.rsvps.answer(alice, taba_event.id, "going"))
    ama = hub.communities.by_key("ama")
    assert ama is not None
    await expect("event.error.not_found", hub.events.get(ama.id, taba_event.id))
    await expect(
        "event.error.not_found", hub.events.edit(ama.id, taba_event.id, staff(hub), EventDraft(title="x"))
    )
    await expect("event.error.not_found", hub.events.cancel(ama.id, taba_event.id, staff(hub), "x"))
    assert await hub.events.upcoming(ama.id) == []
    assert await count(hub, EventRsvp) == 0


async def test_strangers_cannot_answer(hub: Hub) -> None:
    e = await post(hub)
    await expect("event.error.not_member", hub.rsvps.answer(who(hub, "nobody"), e.id, "going"))
    gone = who(hub, "gone")
    await register(hub, gone)
    await hub.ambassadors.leave(gone)
    await expect("event.error.not_member", hub.rsvps.answer(gone, e.id, "going"))


async def test_edit_changes_fields_and_tells_those_who_answered(hub: Hub) -> None:
    alice, bob, carol = who(hub, "alice"), who(hub, "bob"), who(hub, "carol")
    for p in (alice, bob, carol):
        await register(hub, p)
    e = await post(hub, place="菱浦港", description="説明")
    await hub.rsvps.answer(alice, e.id, "going")
    await hub.rsvps.answer(bob, e.id, "maybe")
    await hub.rsvps.answer(carol, e.id, "declined")
    change = await hub.events.edit(
        e.community_id, e.id, staff(hub), EventDraft(start="2026-12-06 18:00", place="なし", description="-")
    )
    assert set(change.changed) == {"start", "end", "place", "description"}
    a, b = await hub.ambassadors.get(alice), await hub.ambassadors.get(bob)
    assert change.notify == (a.id, b.id)  # not carol, who said no
    ev = change.event
    assert (ev.place, ev.description, ev.revision) == (None, "", 2)
    assert ev.starts_at == datetime(2026, 12, 6, 18, 0, tzinfo=JST)
    assert ev.ends_at - ev.starts_at == timedelta(hours=2)  # the duration kept
    await expect(
        "event.error.nothing_changed", hub.events.edit(e.community_id, e.id, staff(hub), EventDraft())
    )
    await expect(
        "event.error.end_before_start",
        hub.events.edit(e.community_id, e.id, staff(hub), EventDraft(end="17:00")),
    )
    await expect(
        "event.error.start_past",
        hub.events.edit(e.community_id, e.id, staff(hub), EventDraft(start="2026-11-01 10:00")),
    )
    assert (await hub.events.get(e.community_id, e.id)).revision == 2  # refused edits changed nothing


async def test_lists_search_and_attendance(hub: Hub, clock: ManualClock) -> None:
    alice, bob = who(hub, "alice"), who(hub, "bob")
    await register(hub, alice, "アリス")
    await register(hub, bob, "ボブ")
    later = await post(hub, title="Rocket Party", start="2026-12-20 19:00")
    soon = await post(hub, title="島の祭り", start="2026-11-29 10:00")
    await hub.rsvps.answer(alice, later.id, "going")
    await hub.rsvps.answer(bob, later.id, "maybe")
    listed = await hub.events.upcoming(soon.community_id, alice)
    assert [(m.event.id, m.status) for m in listed] == [(soon.id, None), (later.id, "going")]
    assert [m.event.id for m in await hub.events.mine(alice)] == [later.id]
    assert [e.id for e in await hub.events.search(soon.community_id, "rocket")] == [later.id]
    assert [e.id for e in await hub.events.search(soon.community_id, str(soon.id))] == [soon.id]
    clock.advance(timedelta(days=8))
    assert [m.event.id for m in await hub.events.upcoming(soon.community_id)] == [later.id]
    assert [e.id for e in await hub.events.search(soon.community_id, "", include_past=True)] == [
        later.id,
        soon.id,
    ]
    rows = await hub.events.attendance(later.community_id, later.id)
    assert [(r.display_name, r.status, r.checked_in) for r in rows] == [
        ("アリス", "going", False),
        ("ボブ", "maybe", False),
    ]


async def test_event_news_opt_in(hub: Hub) -> None:
    alice = who(hub, "U1", "line")
    await register(hub, alice)
    assert await hub.events.event_news(alice) is False
    assert await hub.events.set_event_news(alice, True) is True
    assert await hub.events.event_news(alice) is True
    await expect("profile.error.not_registered", hub.events.set_event_news(who(hub, "U2", "line"), True))


async def test_a_restart_keeps_events_and_answers(hub: Hub, clock: ManualClock) -> None:
    alice = who(hub, "alice")
    await register(hub, alice)
    e = await post(hub, capacity=1)
    await hub.rsvps.answer(alice, e.id, "going")
    await hub.close()
    reopened = await open_hub(hub.settings, clock=clock)
    try:
        again = await reopened.rsvps.answer(alice, e.id, "going")
        assert not again.changed and again.event.going == 1
    finally:
        await reopened.close()
