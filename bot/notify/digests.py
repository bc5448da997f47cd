"""A bundled LINE digest of the subcommittees' Discord channels, for members who are only on LINE.

Staff turn it on per community (``[communities.subcommittees] line_digest``). Every ``digest_every_hours``
each subcommittee with new messages is claimed once (a second process takes none of them), and each LINE
member gets ONE push covering all their subcommittees with news: how many new posts by how many people,
and to ask a linked friend or staff, or link Discord, to read them. The channel's content is not read (the
bot runs without the message content intent); the Discord face counts the posts.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.community.communities import CommunityDirectory
from bot.community.due import Scope
from bot.community.subcommittees import SubcommitteeService
from bot.i18n import Msg
from bot.notify.notifier import Notifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Activity:
    posts: int
    people: int


@runtime_checkable
class ChannelActivity(Protocol):
    """A face that can count a channel's posts since a time (the Discord face)."""

    async def channel_activity(self, channel_id: int, since: datetime) -> Activity | None: ...


@dataclass(frozen=True)
class DigestRun:
    subcommittees: int  # with news
    sent: int  # pushes (one per member)
    unreached: int  # the budget was spent or LINE refused


class Digests:
    def __init__(
        self, directory: CommunityDirectory, subcommittees: SubcommitteeService, notifier: Notifier
    ) -> None:
        self.directory = directory
        self.subcommittees = subcommittees
        self.notifier = notifier

    async def run(self, scope: Scope = None) -> DigestRun:
        source = next((b for b in self.notifier.boards() if isinstance(b, ChannelActivity)), None)
        if source is None:
            return DigestRun(0, 0, 0)  # no Discord face in this process: another one will do it
        with_news = sent = unreached = 0
        for ref in self.directory.all():
            if scope is not None and ref.id not in scope:
                continue  # another process's (a Discord shard's) community
            rules = ref.settings.subcommittees
            if not rules.line_digest:
                continue
            news: defaultdict[int, list[Msg]] = defaultdict(list)
            for due in await self.subcommittees.claim_digests(
                ref.id, timedelta(hours=rules.digest_every_hours)
            ):
                sub = due.subcommittee
                assert sub.discord_channel_id is not None
                activity = await source.channel_activity(sub.discord_channel_id, due.since)
                if activity is None or activity.posts == 0:
                    continue
                with_news += 1
                line = Msg(
                    "subcommittee.digest.line",
                    {"name": sub.name, "posts": activity.posts, "people": activity.people},
                )
                for member in await self.subcommittees.line_only_members(ref.id, sub.id):
                    news[member].append(line)
            for member, lines in news.items():
                told = await self.notifier.tell(ref.id, member, "subcommittee.digest.message", lines=lines)
                if told is None:
                    unreached += 1
                else:
                    sent += 1
        if unreached:
            log.warning("subcommittee digests not delivered to everyone", extra={"unreached": unreached})
        return DigestRun(with_news, sent, unreached)
