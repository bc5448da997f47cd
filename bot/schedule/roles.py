"""What one ``python -m bot run`` process does when several share one database.

A process has a **role**: ``all`` (every face the config enables, the default), ``discord`` (the Discord
face only, optionally one shard of it) or ``line`` (a LINE webhook worker). Several LINE workers can sit
behind one load balancer; Discord shards each hold the servers Discord assigns them.

Scheduled **jobs** (reminders, vote closings and results, digests) may run in any number of processes:
each item is claimed in the database, so none is done twice. What a process's jobs look at is its
**scope**: with Discord shards, a shard handles the communities whose server it holds (it is the one that
can post their results), and shard 0 also the communities without a Discord server. A LINE worker runs no
jobs while Discord is enabled (the results are posted on Discord); on a LINE-only deployment it runs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.config import CommunitySettings, Settings

Role = Literal["all", "discord", "line"]
JobsMode = Literal["auto", "on", "off"]
ROLES: tuple[Role, ...] = ("all", "discord", "line")
JOBS_MODES: tuple[JobsMode, ...] = ("auto", "on", "off")


class RunOptionError(ValueError):
    """Options that contradict each other or the config (one line for the operator)."""


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord assigns a server to (Discord's documented formula)."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True)
class RunOptions:
    role: Role = "all"
    shard_id: int | None = None
    shard_count: int | None = None
    jobs: JobsMode = "auto"

    def check(self, settings: Settings) -> None:
        """Raise ``RunOptionError`` for options this config cannot honour."""
        if (self.shard_id is None) != (self.shard_count is None):
            raise RunOptionError("run: give --shard-id and --shard-count together")
        if self.shard_count is not None and self.shard_id is not None:
            if self.shard_count < 1 or not 0 <= self.shard_id < self.shard_count:
                raise RunOptionError(
                    f"run: --shard-id must be 0 to {self.shard_count - 1} (got {self.shard_id})"
                    if self.shard_count >= 1
                    else "run: --shard-count must be at least 1"
                )
            if not self.discord(settings):
                raise RunOptionError(
                    "run: --shard-id needs the Discord face (discord.enabled, role all or discord)"
                )
        if not self.discord(settings) and not self.line_webhook(settings):
            raise RunOptionError(f"run: role {self.role!r} has no face enabled in the config")
        if self.jobs == "on" and settings.discord.enabled and not self.discord(settings):
            raise RunOptionError(
                "run: --jobs on needs the Discord face here (vote results are posted on Discord); "
                "run jobs in the Discord processes"
            )

    def discord(self, settings: Settings) -> bool:
        """Does this process connect to Discord?"""
        return settings.discord.enabled and self.role in ("all", "discord")

    def line_webhook(self, settings: Settings) -> bool:
        """Does this process serve the LINE webhook?"""
        return settings.line.enabled and self.role in ("all", "line")

    def line_push(self, settings: Settings) -> bool:
        """Can this process send LINE messages (its jobs push reminders, even without the webhook)?"""
        return settings.line.enabled and (self.line_webhook(settings) or self.runs_jobs(settings))

    def runs_jobs(self, settings: Settings) -> bool:
        if self.jobs != "auto":
            return self.jobs == "on"
        return self.role != "line" or not settings.discord.enabled

    def job_scope(self, settings: Settings) -> frozenset[str] | None:
        """The community keys this process's jobs handle; None for all of them."""
        if self.shard_count is None or self.shard_id is None:
            return None
        return frozenset(c.key for c in _in_shard(settings.communities, self.shard_id, self.shard_count))

    def describe(self, settings: Settings) -> str:
        faces = [
            name
            for name, on in (("discord", self.discord(settings)), ("line", self.line_webhook(settings)))
            if on
        ]
        shard = f" shard {self.shard_id}/{self.shard_count}" if self.shard_count is not None else ""
        jobs = "jobs" if self.runs_jobs(settings) else "no jobs"
        return f"role {self.role}{shard}: {', '.join(faces)}; {jobs}"


def _in_shard(
    communities: Iterable[CommunitySettings], shard_id: int, shard_count: int
) -> list[CommunitySettings]:
    out = []
    for c in communities:
        home = shard_of(c.discord.guild_id, shard_count) if c.discord else 0
        if home == shard_id:
            out.append(c)
    return out
