"""Broadcasts: news staff send to everyone or to a segment of the members, on both apps.

Staff first get a draft with its preview (how many it reaches on each platform, the LINE pushes it costs
and what is left of the month's budget); nothing is sent until they confirm. Then:

- with no segment and an announcement channel, one post in that channel reaches everyone on Discord;
  with a segment (or no channel), each Discord member of it gets a DM;
- members who are only on LINE get it as multicasts (at most 500 recipients each). Members on both apps
  are reached on Discord only: no push is spent on them and nobody reads the news twice.

Every recipient is claimed in ``deliveries`` (kind "broadcast", item = the broadcast id) before anything is
sent, and the LINE pushes are claimed against the budget all at once first: a broadcast that does not fit
is refused with the numbers, and a retry (``resume``), a second process or a double click never sends
anyone the same broadcast twice. Recipients whose send failed are unclaimed (their push given back), and
the broadcast stays "sending" so staff can retry them.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import select, update

from bot.clock import Clock
from bot.community import audit
from bot.community.communities import CommunityDirectory, CommunityRef
from bot.community.errors import DomainError
from bot.community.places import residence_label
from bot.community.segments import JAPAN, Recipient, Segment, SegmentPreview, Segments
from bot.i18n import Msg, Translator
from bot.line.limits import MULTICAST_MAX
from bot.notify.budget import PushBudget
from bot.notify.deliveries import DeliveryClaims
from bot.notify.notifier import Notifier
from storage.database import Database
from storage.models import Broadcast

log = logging.getLogger(__name__)

KIND = "broadcast"
BODY_MAX = 1500  # leaves room for the heading within Discord's 2,000 characters
BATCH = MULTICAST_MAX  # LINE recipients per multicast (read at send time, so tests can make it small)


@runtime_checkable
class AnnouncementBoard(Protocol):
    """A face with a public announcement channel (Discord)."""

    async def post_broadcast(self, community_id: int, text: str) -> int | None:
        """Post ``text`` in the community's announcement channel; the message id, or None if it failed."""
        ...


@runtime_checkable
class TextMulticastSink(Protocol):
    """A face that sends one text to many at once (LINE multicast, up to 500 per request)."""

    async def multicast_text(self, community_id: int, external_ids: Sequence[str], text: str) -> bool: ...


@dataclass(frozen=True)
class BroadcastView:
    id: int
    community_id: int
    body: str
    segment: Segment
    status: str  # draft | sending | sent | cancelled
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    discord_recipients: int
    line_recipients: int
    line_sent: int
    discord_message_id: int | None


def _view(row: Broadcast) -> BroadcastView:
    return BroadcastView(
        id=row.id,
        community_id=row.community_id,
        body=row.body,
        segment=Segment.from_json(row.segment),
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        sent_at=row.sent_at,
        discord_recipients=row.discord_recipients,
        line_recipients=row.line_recipients,
        line_sent=row.line_sent,
        discord_message_id=row.discord_message_id,
    )


@dataclass(frozen=True)
class BroadcastDraft:
    broadcast: BroadcastView
    preview: SegmentPreview
    in_channel: bool  # one post in the announcement channel instead of DMs


@dataclass(frozen=True)
class BroadcastReport:
    broadcast: BroadcastView
    posted: bool | None  # the announcement channel post: None when there was none to make
    dms: int
    dm_failed: int
    line_sent: int
    line_failed: int

    @property
    def complete(self) -> bool:
        return self.posted is not False and not self.dm_failed and not self.line_failed


def describe_segment(tr: Translator, lang: str, segment: Segment, subcommittee: str | None = None) -> str:
    """The segment's filters in the reader's language: 「関わりの段階：3以上／関心：食」."""
    if segment.empty:
        return tr.t(lang, "broadcast.segment.everyone")
    parts: list[str] = []
    if segment.min_stage is not None:
        parts.append(tr.t(lang, "broadcast.segment.min_stage", stage=segment.min_stage))
    if segment.interest is not None:
        parts.append(tr.t(lang, "broadcast.segment.interest", interest=segment.interest))
    if segment.subcommittee_id is not None:
        parts.append(
            tr.t(lang, "broadcast.segment.subcommittee", name=subcommittee or f"#{segment.subcommittee_id}")
        )
    if segment.residence is not None:
        code = segment.residence
        kind = "prefecture" if code.startswith("JP-") else "country"
        place = tr.t(lang, "broadcast.segment.japan") if code == JAPAN else residence_label(kind, code, lang)
        parts.append(tr.t(lang, "broadcast.segment.residence", place=place))
    if segment.connection is not None:
        parts.append(
            tr.t(
                lang,
                "broadcast.segment.connection",
                connection=Msg(f"profile.connection.{segment.connection}"),
            )
        )
    if segment.language is not None:
        parts.append(
            tr.t(lang, "broadcast.segment.language", language=Msg(f"profile.language.{segment.language}"))
        )
    return tr.t(lang, "broadcast.segment.separator").join(parts)


def clean_body(raw: str) -> str:
    body = raw.strip()
    if not body:
        raise DomainError("broadcast.error.empty")
    if len(body) > BODY_MAX:
        raise DomainError("broadcast.error.too_long", max=BODY_MAX, length=len(body))
    return body


class Broadcasts:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        directory: CommunityDirectory,
        tr: Translator,
        budget: PushBudget,
        segments: Segments,
        notifier: Notifier,
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.tr = tr
        self.budget = budget
        self.segments = segments
        self.notifier = notifier
        self.claims = DeliveryClaims(db, clock, KIND)

    @staticmethod
    def in_channel(ref: CommunityRef, segment: Segment) -> bool:
        discord = ref.settings.discord
        return segment.empty and discord is not None and discord.announcement_channel_id is not None

    def text(self, ref: CommunityRef, lang: str, body: str) -> str:
        return self.tr.t(lang, "broadcast.message", community=ref.name, body=body)

    # --- staff ----------------------------------------------------------------------------------------
    async def draft(self, community_id: int, actor: str, body: str, segment: Segment) -> BroadcastDraft:
        """Check the text and the segment, count who it reaches and what it costs, and keep it as a draft.

        A segment that reaches nobody (``broadcast.error.nobody``) or needs more LINE pushes than are left
        this month (``broadcast.error.over_budget``, with the numbers) is refused here: nothing is kept."""
        ref = self.directory.by_id(community_id)
        text = clean_body(body)
        preview = await self.segments.preview(community_id, segment)
        if preview.reachable == 0:
            raise DomainError("broadcast.error.nobody", members=preview.members)
        if not preview.fits:
            raise DomainError(
                "broadcast.error.over_budget",
                needed=preview.pushes,
                left=preview.budget_left,
                limit=preview.budget_limit,
            )
        async with self.db.transaction() as s:
            row = Broadcast(
                community_id=community_id, body=text, segment=segment.to_json(), status="draft",
                created_by=actor, created_at=self.clock.now(), discord_recipients=preview.discord,
                line_recipients=preview.line, line_sent=0,
            )  # fmt: skip
            s.add(row)
            await s.flush()
            return BroadcastDraft(_view(row), preview, self.in_channel(ref, segment))

    async def get(self, community_id: int, broadcast_id: int) -> BroadcastView:
        async with self.db.transaction() as s:
            row = await s.scalar(
                select(Broadcast).where(Broadcast.community_id == community_id, Broadcast.id == broadcast_id)
            )
            if row is None:
                raise DomainError("broadcast.error.not_found", id=broadcast_id)
            return _view(row)

    async def cancel(self, community_id: int, broadcast_id: int, actor: str) -> BroadcastView:
        """Drop a draft (nothing was sent)."""
        async with self.db.transaction() as s:
            done = await s.execute(
                update(Broadcast)
                .where(
                    Broadcast.community_id == community_id,
                    Broadcast.id == broadcast_id,
                    Broadcast.status == "draft",
                )
                .values(status="cancelled")
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise DomainError("broadcast.error.already_sent", id=broadcast_id)
            audit.record(
                s, community_id=community_id, action="broadcast.cancelled", at=self.clock.now(), actor=actor,
                detail=f"broadcast={broadcast_id}",
            )  # fmt: skip
        return await self.get(community_id, broadcast_id)

    async def send(self, community_id: int, broadcast_id: int, actor: str) -> BroadcastReport:
        """Send a draft (staff confirmed it). A second confirm of the same draft is refused."""
        found = await self.get(community_id, broadcast_id)
        if found.status == "cancelled":
            raise DomainError("broadcast.error.cancelled", id=broadcast_id)
        if found.status != "draft":
            raise DomainError("broadcast.error.already_sent", id=broadcast_id)
        return await self._deliver(found, actor, starting=True)

    async def resume(self, community_id: int, broadcast_id: int, actor: str) -> BroadcastReport:
        """Try again for the recipients a send did not reach (it stays "sending" until all are)."""
        found = await self.get(community_id, broadcast_id)
        if found.status != "sending":
            raise DomainError(
                "broadcast.error.not_sending" if found.status == "draft" else "broadcast.error.already_sent",
                id=broadcast_id,
            )
        return await self._deliver(found, actor, starting=False)

    # --- sending --------------------------------------------------------------------------------------
    async def _deliver(self, b: BroadcastView, actor: str, *, starting: bool) -> BroadcastReport:
        cid = b.community_id
        ref = self.directory.by_id(cid)
        people = [p for p in await self.segments.members(cid, b.segment) if p.platform is not None]
        if not people:
            raise DomainError("broadcast.error.nobody", members=0)
        done = await self.claims.claimed(cid, b.id)
        channel = self.in_channel(ref, b.segment)
        dm_wanted = (
            [] if channel else [p for p in people if p.platform == "discord" and p.ambassador_id not in done]
        )
        line_wanted = [p for p in people if p.platform == "line" and p.ambassador_id not in done]
        if line_wanted and not await self.budget.claim(cid, len(line_wanted)):
            limit = self.budget.limit(cid) or 0
            left = max(0, limit - await self.budget.used(cid))
            raise DomainError("broadcast.error.over_budget", needed=len(line_wanted), left=left, limit=limit)
        discord_total = sum(1 for p in people if p.platform == "discord")
        line_total = len(people) - discord_total
        if not await self._start(b, actor, starting, discord_total, line_total):
            await self.budget.release(cid, len(line_wanted))
            raise DomainError("broadcast.error.already_sent", id=b.id)
        mine = await self.claims.claim(cid, b.id, [p.ambassador_id for p in (*dm_wanted, *line_wanted)])
        line_mine = [p for p in line_wanted if p.ambassador_id in mine]
        if len(line_mine) < len(line_wanted):  # another process is sending to some of them
            await self.budget.release(cid, len(line_wanted) - len(line_mine))
        posted = await self._post(ref, b) if channel else None
        dms, dm_failed = await self._dms(ref, b, [p for p in dm_wanted if p.ambassador_id in mine])
        line_sent, line_failed = await self._multicasts(ref, b, line_mine)
        report = BroadcastReport(b, posted, dms, dm_failed, line_sent, line_failed)
        async with self.db.transaction() as s:
            values: dict[str, object] = {"line_sent": Broadcast.line_sent + line_sent}
            if report.complete:
                values.update(status="sent", sent_at=self.clock.now())
            await s.execute(update(Broadcast).where(Broadcast.id == b.id).values(**values))
        if not report.complete:
            log.warning(
                "broadcast not delivered to everyone",
                extra={
                    "community_id": cid,
                    "broadcast": b.id,
                    "dm_failed": dm_failed,
                    "line_failed": line_failed,
                },
            )
        return BroadcastReport(await self.get(cid, b.id), posted, dms, dm_failed, line_sent, line_failed)

    async def _start(self, b: BroadcastView, actor: str, starting: bool, discord: int, line: int) -> bool:
        """Draft → sending, once (a second confirm finds it taken), audited with who sent it."""
        async with self.db.transaction() as s:
            if starting:
                moved = await s.execute(
                    update(Broadcast)
                    .where(Broadcast.id == b.id, Broadcast.status == "draft")
                    .values(status="sending", discord_recipients=discord, line_recipients=line)
                )
                if moved.rowcount != 1:  # type: ignore[attr-defined]
                    return False
            verb = "sent" if starting else "resumed"
            audit.record(
                s, community_id=b.community_id, action=f"broadcast.{verb}", at=self.clock.now(), actor=actor,
                detail=json.dumps(
                    {"broadcast": b.id, "segment": b.segment.to_json(), "discord": discord, "line": line},
                    ensure_ascii=False,
                ),
            )  # fmt: skip
            return True

    async def _post(self, ref: CommunityRef, b: BroadcastView) -> bool:
        """The one post in the announcement channel, claimed on the row so it is never made twice."""
        async with self.db.transaction() as s:
            claimed = await s.execute(
                update(Broadcast)
                .where(Broadcast.id == b.id, Broadcast.discord_message_id.is_(None))
                .values(discord_message_id=0)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return True  # posted before (or being posted by another process)
        board = next((x for x in self.notifier.boards() if isinstance(x, AnnouncementBoard)), None)
        message_id = None
        if board is not None:
            message_id = await board.post_broadcast(ref.id, self.text(ref, ref.default_language, b.body))
        async with self.db.transaction() as s:
            await s.execute(
                update(Broadcast).where(Broadcast.id == b.id).values(discord_message_id=message_id)
            )
        return message_id is not None

    async def _dms(self, ref: CommunityRef, b: BroadcastView, people: list[Recipient]) -> tuple[int, int]:
        sink = self.notifier.sink("discord")
        sent = 0
        failed: list[int] = []
        for p in people:
            assert p.discord_id is not None
            if sink is not None and await sink.send(ref.id, p.discord_id, self.text(ref, p.language, b.body)):
                sent += 1
            else:
                failed.append(p.ambassador_id)
        await self.claims.unclaim(ref.id, b.id, failed)
        return sent, len(failed)

    async def _multicasts(
        self, ref: CommunityRef, b: BroadcastView, people: list[Recipient]
    ) -> tuple[int, int]:
        """One multicast per language and batch; a refused batch is unclaimed and its pushes given back."""
        sink = self.notifier.sink("line")
        groups: defaultdict[str, list[Recipient]] = defaultdict(list)
        for p in people:
            groups[p.language].append(p)
        sent = failed = 0
        for lang, group in groups.items():
            text = self.text(ref, lang, b.body)
            for start in range(0, len(group), BATCH):
                batch = group[start : start + BATCH]
                ids = [p.line_id for p in batch if p.line_id is not None]
                if isinstance(sink, TextMulticastSink) and await sink.multicast_text(ref.id, ids, text):
                    sent += len(batch)
                    continue
                failed += len(batch)
                await self.budget.release(ref.id, len(batch))
                await self.claims.unclaim(ref.id, b.id, [p.ambassador_id for p in batch])
        return sent, failed
