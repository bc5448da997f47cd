"""A reminder pushed to LINE by a process that died before settling it is sent again by another process
once the claim runs out, with the same X-Line-Retry-Key: LINE answers 409 and the member has one copy."""

from __future__ import annotations

from collections import deque
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.clock import ManualClock
from bot.line.standin import Received
from bot.notify.reminder_sender import retry_key
from storage.models import Reminder
from tests.line.conftest import LineWorld
from tests.line.test_events import new_event, rsvp
from tests.line.test_webhook import register_on_line

RETRY_HEADER = "X-Line-Retry-Key"


def answered(line: LineWorld, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The status the stand-in gave each push and multicast, in order."""
    statuses: list[int] = []
    paid = line.api._paid

    def recording(entry: Received, failures: deque[int], answer: dict[str, Any]) -> web.Response:
        response = paid(entry, failures, answer)
        statuses.append(response.status)
        return response

    monkeypatch.setattr(line.api, "_paid", recording)
    return statuses


async def test_a_dead_senders_reminder_is_sent_again_with_the_same_retry_key_and_delivered_once(
    line: LineWorld, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    statuses = answered(line, monkeypatch)
    await register_on_line(line, "U1")
    event = await new_event(line)
    await line.post([rsvp("U1", event.id, "going")])
    clock.advance(event.starts_at - timedelta(hours=24) - clock.now() + timedelta(minutes=1))
    run = await line.hub.reminder_sender.run_due()
    assert (run.sent, run.failed) == (1, 0)
    async with line.hub.db.transaction() as s:
        [reminder_id] = (await s.scalars(select(Reminder.id).where(Reminder.status == "sent"))).all()
        # The process that sent it died after LINE took the push, before it settled: still 'sending', its
        # claim taken longer ago than the lease.
        await s.execute(
            update(Reminder)
            .where(Reminder.id == reminder_id)
            .values(
                status="sending", settled_at=clock.now() - line.hub.reminders.lease - timedelta(seconds=1)
            )
        )
    run = await line.hub.reminder_sender.run_due()  # another process takes the claim over
    assert (run.sent, run.failed) == (1, 0)  # LINE's 409 means it was delivered

    first, second = line.api.pushes()
    key = retry_key(reminder_id)
    assert first.headers[RETRY_HEADER] == second.headers[RETRY_HEADER] == key
    assert first.body == second.body and first.body is not None and first.body["to"] == "U1"
    assert statuses == [200, 409]  # the member got one copy
    async with line.hub.db.transaction() as s:
        status = await s.scalar(select(Reminder.status).where(Reminder.id == reminder_id))
    assert status == "sent"
    assert (await line.hub.reminder_sender.run_due()).sent == 0 and len(line.api.pushes()) == 2

    # The next reminder of the same event is another message: its own key, and LINE takes it.
    clock.advance(event.starts_at - timedelta(hours=1) - clock.now())
    assert (await line.hub.reminder_sender.run_due()).sent == 1
    third = line.api.pushes()[2]
    assert third.headers[RETRY_HEADER] not in (key, "") and statuses == [200, 409, 200]
    assert await line.hub.reminders.counts(event.community_id, event.id) == {"sent": 2}


def test_the_retry_key_is_a_uuid_fixed_per_reminder() -> None:
    assert retry_key(7) == retry_key(7) != retry_key(8)
    assert len(retry_key(7)) == 36 and retry_key(7).count("-") == 4
