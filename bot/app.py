"""The composition root: config → database → services → scheduler → Discord and LINE, in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import aiohttp
import discord
from aiohttp import web

from bot.community.due import Scope
from bot.config import Settings
from bot.discord_bot import HubBot, create_discord_bot
from bot.hub import Hub, open_hub
from bot.line.webhook import LineFace, create_line_app
from bot.notify.vote_closer import VoteRun
from bot.schedule.due_pump import DuePump
from bot.schedule.reminder_pump import ReminderPump
from bot.schedule.roles import RunOptions
from bot.schedule.scheduler import Scheduler
from storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3600
DIGEST_CHECK_SECONDS = 3600  # each community's digest interval is its own; this only looks for due ones


class SchemaOutOfDate(Exception):
    """The database is not at the revision this code expects."""


async def check_schema(url: str) -> str:
    """The database's revision, if it is the newest; otherwise ``SchemaOutOfDate`` saying what to run."""
    try:
        current = await current_revision(url)
    except Exception as exc:
        raise SchemaOutOfDate(f"database: cannot connect ({type(exc).__name__}: {exc})") from None
    head = head_revision()
    if current != head:
        where = "is empty" if current is None else f"is at revision {current}"
        raise SchemaOutOfDate(
            f"database {where}, this version needs {head}: run `python -m bot db upgrade` first"
        )
    return current


@dataclass
class RunningHub:
    """What ``start_hub`` started; ``stop`` takes it down in reverse order."""

    hub: Hub
    scheduler: Scheduler
    reminders: ReminderPump | None  # None: this process runs no jobs (a LINE webhook worker)
    votes: DuePump[VoteRun] | None
    scope: Scope = None  # the communities this process's jobs handle (a Discord shard's); None: all
    discord: HubBot | None = None
    line_runner: web.AppRunner | None = None
    line_port: int | None = None
    line_sender: LineFace | None = None  # LINE pushes from a process that serves no webhook
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        for pump in (self.reminders, self.votes):
            if pump is not None:
                pump.stop()
        self.scheduler.shutdown()
        if self.discord is not None:
            await self.discord.close()
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.line_runner is not None:
            await self.line_runner.cleanup()
        if self.line_sender is not None:
            await self.line_sender.stop(web.Application())
        await self.hub.close()


async def start_hub(settings: Settings, options: RunOptions | None = None) -> RunningHub:
    """Start what ``options`` give this process (default: every enabled face and the jobs)."""
    options = options or RunOptions()
    options.check(settings)
    await check_schema(settings.database.url)
    hub = await open_hub(settings)
    scheduler = Scheduler()
    running = RunningHub(hub=hub, scheduler=scheduler, reminders=None, votes=None)
    try:
        if options.runs_jobs(settings):
            await _start_jobs(running, options, settings)
        if options.line_push(settings) and not options.line_webhook(settings):
            running.line_sender = LineFace(settings, hub)
            await running.line_sender.start(web.Application())
        if options.line_webhook(settings):
            runner = web.AppRunner(create_line_app(settings, hub), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, settings.line.host, settings.line.port)
            await site.start()
            running.line_runner = runner
            running.line_port = runner.addresses[0][1]
            log.info("LINE webhook listening", extra={"host": settings.line.host, "port": running.line_port})
        if options.discord(settings):
            bot = create_discord_bot(
                settings, hub, shard_id=options.shard_id, shard_count=options.shard_count
            )
            running.discord = bot
            token = settings.discord.token.get_secret_value()
            running.tasks.append(asyncio.create_task(_run_discord(bot, token), name="discord"))
        scheduler.start()  # after the LINE sender is attached: a job due at start can reach LINE members
    except BaseException:
        await running.stop()
        raise
    return running


async def _start_jobs(running: RunningHub, options: RunOptions, settings: Settings) -> None:
    """The scheduled work, each item claimed in the database (any number of processes may run this)."""
    hub, scheduler = running.hub, running.scheduler
    keys = options.job_scope(settings)
    scope: Scope = None
    if keys is not None:
        scope = frozenset(ref.id for ref in hub.communities.all() if ref.key in keys)
    running.scope = scope
    scheduler.every("housekeeping", HOUSEKEEPING_SECONDS, hub.housekeeping.purge)
    scheduler.every("digests", DIGEST_CHECK_SECONDS, partial(hub.digests.run, scope))
    # acts at each community's weekly slot
    scheduler.every("weekly-digest", DIGEST_CHECK_SECONDS, partial(hub.weekly_digest.run, scope))
    pump = ReminderPump(scheduler, hub.reminders, hub.reminder_sender, scope)
    running.reminders = pump
    await pump.start()  # rebuilt from the reminder rows: a restart loses none
    closing = DuePump(
        scheduler,
        "votes",
        hub.votes,
        partial(hub.votes.next_due, scope),
        partial(hub.vote_closer.run_due, scope),
    )
    running.votes = closing
    await closing.start()  # likewise from the open votes


async def _run_discord(bot: HubBot, token: str) -> None:
    await bot.start(token)


async def serve(
    settings: Settings, stop: asyncio.Event | None = None, options: RunOptions | None = None
) -> int:
    """Run until SIGINT/SIGTERM (or ``stop`` is set, or a face dies). Returns the exit code."""
    options = options or RunOptions()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    running = await start_hub(settings, options)
    log.info(
        "hub started",
        extra={
            "communities": ",".join(c.key for c in settings.communities),
            "role": options.describe(settings),
        },
    )
    waiter = asyncio.create_task(stop.wait())
    watched: set[asyncio.Task[Any]] = {waiter, *running.tasks}
    done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    for task in done:
        if task is not waiter and not task.cancelled() and (exc := task.exception()) is not None:
            if isinstance(exc, discord.LoginFailure | aiohttp.ClientError | OSError):
                log.error("the Discord face stopped: %s: %s", type(exc).__name__, exc)
            else:
                log.error("the Discord face stopped", exc_info=exc)
            code = 1
    waiter.cancel()
    log.info("hub stopping")
    await running.stop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(sig)
    log.info("hub stopped")
    return code
