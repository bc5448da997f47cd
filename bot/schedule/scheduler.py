"""A small adapter over APScheduler 3 (AsyncIOScheduler), so that it can later move to APScheduler 4.

Jobs hold no state of their own: each job calls a service that reads what is due from the database.
The adapter is rebuilt at every start, so nothing is pickled and two processes never share a job store.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import undefined

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
# Runs of one ``at`` job that may overlap: the one running and the one it armed (and a spare).
ONE_OFF_RUNS_AT_ONCE = 3


class Scheduler:
    def __init__(self) -> None:
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._jobs: dict[str, Job] = {}

    @property
    def running(self) -> bool:
        return bool(self._aps.running)

    def every(self, name: str, seconds: float, job: Job, first_run: datetime | None = None) -> None:
        """Run ``job`` every ``seconds`` (one at a time; a late run is merged, not queued), first at
        ``first_run`` if given, else ``seconds`` from now."""
        self._jobs[name] = job
        self._aps.add_job(
            self._run,
            IntervalTrigger(seconds=seconds),
            args=[name],
            id=name,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            # APScheduler 3 reads an explicit None as "paused": such a job never ran (the digests, the
            # housekeeping and every due pump's poll did not, before this was passed only when given).
            next_run_time=first_run if first_run is not None else undefined,
        )

    def at(self, name: str, when: datetime, job: Job) -> None:
        """Run ``job`` once at ``when`` (at once if that has passed); a job of the same name is replaced.

        The job may arm the next one of its name while it runs (a due pump's wake-up does): that one runs
        even if the first has not returned yet (APScheduler skips, and so loses, a run of a job whose
        earlier run is still going once ``max_instances`` is reached; the due pumps serialise their runs
        themselves)."""
        self._jobs[name] = job
        self._aps.add_job(
            self._run,
            DateTrigger(run_date=when),
            args=[name],
            id=name,
            replace_existing=True,
            misfire_grace_time=None,
            max_instances=ONE_OFF_RUNS_AT_ONCE,
        )

    def next_run(self, name: str) -> datetime | None:
        job = self._aps.get_job(name)
        return job.next_run_time if job is not None else None

    async def run_now(self, name: str) -> None:
        await self._run(name)

    async def _run(self, name: str) -> None:
        try:
            result = await self._jobs[name]()
            log.info("scheduled job done", extra={"job": name, "result": repr(result)})
        except Exception:
            log.exception("scheduled job failed", extra={"job": name})

    def job_names(self) -> list[str]:
        return sorted(job.id for job in self._aps.get_jobs())

    def start(self) -> None:
        self._aps.start()

    def shutdown(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)
