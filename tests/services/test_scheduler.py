"""The scheduler adapter (bot/schedule/scheduler.py) over a real APScheduler: repeating jobs run, and a
one-off job armed again by its own run is not lost. Each test waits for the runs it expects (a deadline
only stops a hung run)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.community.due import DueSignal
from bot.schedule.due_pump import DuePump
from bot.schedule.scheduler import Scheduler

HUNG = 30  # seconds: only a run that never comes gets this far


async def test_a_repeating_job_runs_by_itself_without_a_first_time_given() -> None:
    scheduler = Scheduler()
    runs = 0
    twice = asyncio.Event()

    async def job() -> None:
        nonlocal runs
        runs += 1
        if runs == 2:
            twice.set()

    scheduler.every("poll", 0.05, job)
    scheduler.start()
    try:
        assert scheduler.next_run("poll") is not None  # not paused
        await asyncio.wait_for(twice.wait(), HUNG)
    finally:
        scheduler.shutdown()


async def test_a_repeating_job_given_a_first_time_waits_for_it() -> None:
    scheduler = Scheduler()
    first = datetime.now(UTC) + timedelta(hours=1)

    async def job() -> None:
        raise AssertionError("not before its first time")

    scheduler.every("later", 0.05, job, first_run=first)
    scheduler.start()
    try:
        assert scheduler.next_run("later") == first
    finally:
        scheduler.shutdown()


async def test_a_wake_up_armed_while_the_same_job_runs_is_not_lost() -> None:
    """A due pump's run arms its next wake-up (same job name) before it returns; that run must come."""
    scheduler = Scheduler()
    second_ran = asyncio.Event()
    runs = 0

    async def wake() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            scheduler.at("wake", datetime.now(UTC), wake)  # due already, armed while this run goes on
            await asyncio.wait_for(second_ran.wait(), HUNG)
        else:
            second_ran.set()

    scheduler.at("wake", datetime.now(UTC), wake)
    scheduler.start()
    try:
        await asyncio.wait_for(second_ran.wait(), HUNG)
    finally:
        scheduler.shutdown()
    assert runs == 2


async def test_a_due_pump_reaches_an_item_that_falls_due_during_its_own_run() -> None:
    """The vote closer's case: the first run (a reminder 24 h before) finds the closing due moments later;
    the pump arms that wake-up from inside its run and the closing happens without waiting for the poll."""
    scheduler = Scheduler()
    closing = datetime.now(UTC) + timedelta(milliseconds=50)
    done: list[str] = []
    closed = asyncio.Event()

    async def next_due() -> datetime | None:
        return None if closed.is_set() else closing

    async def work() -> None:
        if datetime.now(UTC) >= closing:
            done.append("closed")
            closed.set()
        else:
            done.append("too early")
            await asyncio.sleep(0.1)  # still running when the closing time comes

    pump = DuePump(scheduler, "votes", DueSignal(), next_due, work)
    scheduler.start()
    try:
        await pump.start()
        pump.wake_at(datetime.now(UTC))  # a first run before the closing time
        await asyncio.wait_for(closed.wait(), HUNG)
    finally:
        scheduler.shutdown()
    assert done[-1] == "closed" and scheduler.next_run("votes-poll") is not None
