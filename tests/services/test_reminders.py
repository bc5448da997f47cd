"""Reminders: on time with a controlled clock, late within the grace window, skipped after it, never twice."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.community.events import EventDraft, EventView
from bot.config import ConfigError, settings_from_mapping
from bot.hub import Hub, open_hub
from bot.schedule.reminder_pump import POLL_JOB, WAKE_JOB, ReminderPump
from bot.schedule.scheduler import Scheduler
from storage.models import Reminder
from tests.conftest import settings_data
from tests.services.test_ambassadors import register, who
from tests.services.test_events import post, staff
from tests.services.test_notifier import RecordingSink


async def setup(hub: Hub) -> tuple[RecordingSink, EventView]:
    """Alice (Discord) is going to an event at 2026-12-05 19:00 JST (10:00 UTC)."""
    sink = RecordingSink("discord")
    hub.notifier.attach(sink)
    alice = who(hub, "alice")
    await register(hub, alice)
    event = await post(hub, place="菱浦港")
    await hub.rsvps.answer(alice, event.id, "going")
    return sink, event


def at(clock: ManualClock, event: EventView, before: timedelta) -> None:
    clock.advance(event.starts_at - before - clock.now())


async def test_each_reminder_is_sent_at_its_time_and_once(hub: Hub, clock: ManualClock) -> None:
    sink, event = await setup(hub)
    assert await hub.reminders.next_due() == event.starts_at - timedelta(hours=24)
    at(clock, event, timedelta(hours=24, seconds=1))
    assert (await hub.reminder_sender.run_due()).sent == 0 and sink.sent == []
    at(clock, event, timedelta(hours=24))
    assert (await hub.reminder_sender.run_due()).sent == 1
    [(to, text)] = sink.sent
    assert to == "alice" and "島の国際交流祭" in text and "2026年12月5日(土) 19:00〜21:00（日本時間）" in text
    assert "菱浦港" in text
    assert (await hub.reminder_sender.run_due()).sent == 0 and len(sink.sent) == 1
    assert await hub.reminders.next_due() == event.starts_at - timedelta(hours=1)
    at(clock, event, timedelta(minutes=59))
    assert (await hub.reminder_sender.run_due()).sent == 1 and len(sink.sent) == 2
    assert await hub.reminders.next_due() is None
    assert await hub.reminders.counts(event.community_id, event.id) == {"sent": 2}


async def test_after_downtime_late_within_grace_is_sent_older_is_skipped_and_logged(
    hub: Hub, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    sink, event = await setup(hub)
    # Down from before the 24 h reminder until 25 minutes after it (grace: 30 minutes): sent late.
    at(clock, event, timedelta(hours=23, minutes=35))
    assert (await hub.reminder_sender.run_due()).sent == 1
    # Down again past the 1 h reminder by 40 minutes: too late, skipped and logged, not sent.
    at(clock, event, timedelta(minutes=20))
    with caplog.at_level(logging.WARNING):
        assert (await hub.reminder_sender.run_due()).sent == 0
    assert len(sink.sent) == 1
    assert any("reminder skipped" in r.getMessage() for r in caplog.records)
    assert await hub.reminders.counts(event.community_id, event.id) == {"sent": 1, "skipped": 1}


async def test_changing_ones_mind_drops_reminders_and_editing_moves_them(
    hub: Hub, clock: ManualClock
) -> None:
    sink, event = await setup(hub)
    alice = who(hub, "alice")
    await hub.rsvps.answer(alice, event.id, "maybe")
    assert await hub.reminders.next_due() is None
    await hub.rsvps.answer(alice, event.id, "going")
    moved = await hub.events.edit(
        event.community_id, event.id, staff(hub), EventDraft(start="2026-12-12 19:00")
    )
    assert await hub.reminders.next_due() == moved.event.starts_at - timedelta(hours=24)
    at(clock, event, timedelta(hours=24))  # the old time: nothing is due any more
    assert (await hub.reminder_sender.run_due()).sent == 0
    at(clock, moved.event, timedelta(hours=24))
    assert (await hub.reminder_sender.run_due()).sent == 1
    assert "12月12日" in sink.sent[0][1]


async def test_a_cancelled_event_sends_no_reminders(hub: Hub, clock: ManualClock) -> None:
    sink, event = await setup(hub)
    await hub.events.cancel(event.community_id, event.id, staff(hub), "荒天のため")
    assert await hub.reminders.next_due() is None
    at(clock, event, timedelta(minutes=30))
    assert (await hub.reminder_sender.run_due()).sent == 0 and sink.sent == []


async def test_an_answer_close_to_the_start_gets_only_the_reminders_still_ahead(
    hub: Hub, clock: ManualClock
) -> None:
    sink = RecordingSink("discord")
    hub.notifier.attach(sink)
    bob = who(hub, "bob")
    await register(hub, bob)
    event = await post(hub)
    at(clock, event, timedelta(hours=3))
    await hub.rsvps.answer(bob, event.id, "going")
    assert await hub.reminders.counts(event.community_id, event.id) == {"pending": 1}
    assert await hub.reminders.next_due() == event.starts_at - timedelta(hours=1)


async def test_two_processes_on_one_database_send_each_reminder_once(hub: Hub, clock: ManualClock) -> None:
    """Two hubs (two engines, as two processes would have) claim the same due rows at the same time."""
    first = RecordingSink("discord")
    hub.notifier.attach(first)
    event = await post(hub)
    people = [who(hub, f"m{i}") for i in range(30)]
    for p in people:
        await register(hub, p)
        await hub.rsvps.answer(p, event.id, "going")
    other = await open_hub(hub.settings, clock=clock)
    second = RecordingSink("discord")
    other.notifier.attach(second)
    try:
        at(clock, event, timedelta(hours=24))
        runs = await asyncio.gather(
            hub.reminder_sender.run_due(),
            other.reminder_sender.run_due(),
            hub.reminder_sender.run_due(),
            other.reminder_sender.run_due(),
        )
    finally:
        await other.close()
    assert sum(r.sent for r in runs) == 30
    recipients = [to for to, _ in first.sent + second.sent]
    assert sorted(recipients) == sorted(p.external_id for p in people)  # everyone once, nobody twice
    assert await hub.reminders.counts(event.community_id, event.id) == {"sent": 30, "pending": 30}


async def test_an_unreachable_member_is_marked_failed_not_retried(hub: Hub, clock: ManualClock) -> None:
    sink, event = await setup(hub)
    sink.works = False
    at(clock, event, timedelta(hours=24))
    first = await hub.reminder_sender.run_due()
    assert (first.sent, first.failed) == (0, 1)
    again = await hub.reminder_sender.run_due()
    assert (again.sent, again.failed) == (0, 0)  # failed is final: never sent twice, not even retried
    async with hub.db.transaction() as s:
        statuses = (await s.scalars(select(Reminder.status).order_by(Reminder.offset_minutes))).all()
    assert statuses == ["pending", "failed"]


async def test_the_reminder_prefers_the_platform_the_member_answered_on(hub: Hub, clock: ManualClock) -> None:
    discord, line = RecordingSink("discord"), RecordingSink("line")
    hub.notifier.attach(discord)
    hub.notifier.attach(line)
    d, ln = who(hub, "carol"), who(hub, "U-carol", "line")
    await register(hub, d)
    code = await hub.links.issue(d)
    await hub.links.redeem(ln, code.code)
    event = await post(hub)
    await hub.rsvps.answer(ln, event.id, "going")
    at(clock, event, timedelta(hours=24))
    await hub.reminder_sender.run_due()
    assert [to for to, _ in line.sent] == ["U-carol"] and discord.sent == []
    assert await hub.notifier.budget.used(event.community_id) == 1  # a LINE push is counted


async def test_the_pump_is_rebuilt_from_the_rows_and_woken_by_new_reminders(
    hub: Hub, clock: ManualClock
) -> None:
    sink, event = await setup(hub)
    scheduler = Scheduler()
    pump = ReminderPump(scheduler, hub.reminders, hub.reminder_sender)
    await pump.start()
    try:
        assert sorted(scheduler.job_names()) == [POLL_JOB, WAKE_JOB]
        assert pump.next_wake == event.starts_at - timedelta(hours=24)
        sooner = await post(hub, title="明日の会", start="2026-11-23 19:00")
        await hub.rsvps.answer(who(hub, "alice"), sooner.id, "going")
        assert pump.next_wake == sooner.starts_at - timedelta(hours=24)  # woken earlier by the new answer
        at(clock, sooner, timedelta(hours=24))
        result = await pump.run()
        assert result.sent == 1 and "明日の会" in sink.sent[0][1]
        assert pump.next_wake == sooner.starts_at - timedelta(hours=1)
    finally:
        pump.stop()
        scheduler.shutdown()
    soonest = await post(hub, title="今夜の会", start="2026-11-23 18:30")
    await hub.rsvps.answer(who(hub, "alice"), soonest.id, "going")
    assert pump.next_wake == sooner.starts_at - timedelta(hours=1)  # stopped: no longer woken


async def test_reminder_settings_are_validated(hub: Hub) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["events"] = {"reminder_offsets_minutes": [60, 60]}
    with pytest.raises(ConfigError, match="appears twice"):
        settings_from_mapping(data, env={})
    data["communities"][0]["events"] = {"reminder_offsets_minutes": [1]}
    with pytest.raises(ConfigError, match="5 to 43200"):
        settings_from_mapping(data, env={})
    data["communities"][0]["events"] = {"reminder_offsets_minutes": [30, 2880]}
    ref_settings = settings_from_mapping(data, env={}).communities[0].events
    assert ref_settings.reminder_offsets_minutes == [2880, 30]
