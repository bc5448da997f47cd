"""Votes (投票): staff open them, members cast ballots from Discord or LINE, the hub closes and counts.

Who may vote and with what weight is fixed when the vote opens (``vote_weights``). Every ballot change is
taken under the vote's row lock, so the same member on Discord and LINE at once, or a double click, is one
ballot. Closing is a conditional UPDATE (``status = 'open'``): exactly one process closes a vote and stores
its tally; posting the result, the reminder and the ballot points are each claimed the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit
from bot.community.ambassadors import ambassador_for
from bot.community.communities import CommunityDirectory
from bot.community.contributions import BALLOT, ContributionService
from bot.community.due import DueSignal, Scope, scoped
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.profile_rules import clean_timezone
from bot.community.stages import StageChange
from bot.community.subcommittees import check_lead
from bot.community.text import query_text, typed_number
from bot.community.vote_rules import (
    Quorum,
    clean_options,
    clean_question,
    curve_value,
    parse_closing,
    parse_quorum,
    weight_milli,
)
from bot.config import VoteSettings
from storage.database import Database, in_values
from storage.models import (
    Ambassador,
    Ballot,
    PlatformIdentity,
    PointTotal,
    SubcommitteeMember,
    Vote,
    VoteNotice,
    VoteWeight,
)

log = logging.getLogger(__name__)

SOURCES = ("reaction", "button", "postback")
POINTS_CHUNK = 2000  # ballot entries written per transaction when a vote closes


@dataclass(frozen=True)
class VoteDraft:
    question: str
    options: str | list[str]
    closes: str  # a closing time or a duration
    weighted: bool = False
    approval: bool = False
    min_stage: int = 1
    quorum: str | None = None
    hidden: bool = False
    timezone: str | None = None
    subcommittee_id: int | None = None  # only that subcommittee's members may vote


@dataclass(frozen=True)
class OptionTally:
    index: int
    label: str
    count: int
    weight_milli: int


@dataclass(frozen=True)
class VoteResult:
    options: tuple[OptionTally, ...]
    voters: int
    eligible: int
    quorum_needed: int
    weighted: bool

    @property
    def turnout_percent(self) -> float:
        return 100.0 * self.voters / self.eligible if self.eligible else 0.0

    @property
    def quorum_met(self) -> bool:
        return self.voters >= self.quorum_needed

    @property
    def winners(self) -> tuple[int, ...]:
        """The leading option(s) (by weight in a weighted vote, by count otherwise); none without ballots."""
        scores = [o.weight_milli if self.weighted else o.count for o in self.options]
        top = max(scores, default=0)
        return tuple(
            o.index for o, score in zip(self.options, scores, strict=True) if top > 0 and score == top
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "options": [[o.index, o.label, o.count, o.weight_milli] for o in self.options],
            "voters": self.voters,
            "eligible": self.eligible,
            "quorum_needed": self.quorum_needed,
            "weighted": self.weighted,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VoteResult:
        return cls(
            tuple(OptionTally(int(i), str(label), int(c), int(w)) for i, label, c, w in data["options"]),
            int(data["voters"]),
            int(data["eligible"]),
            int(data["quorum_needed"]),
            bool(data["weighted"]),
        )


@dataclass(frozen=True)
class VoteView:
    id: int
    community_id: int
    question: str
    options: tuple[str, ...]
    weighted: bool
    approval: bool
    hidden: bool
    min_stage: int
    quorum_needed: int
    quorum_percent: int | None
    eligible: int
    voters: int
    status: str
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    discord_channel_id: int | None
    discord_message_id: int | None
    result: VoteResult | None  # final once closed; live while open unless hidden
    subcommittee_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class BallotResult:
    vote: VoteView
    ambassador_id: int
    options: tuple[int, ...]  # the member's choices now
    previous: tuple[int, ...]
    weight_milli: int

    @property
    def changed(self) -> bool:
        return self.options != self.previous

    @property
    def moved_from(self) -> tuple[int, ...]:
        """Options the member no longer holds (a single-choice ballot moved: remove those reactions)."""
        return tuple(o for o in self.previous if o not in self.options)


@dataclass(frozen=True)
class WeightExplanation:
    points: int
    curve: str
    base: float
    scale: float
    cap: float
    weight_milli: int  # with today's points
    capped: bool
    vote_id: int | None = None
    vote_weight_milli: int | None = None  # fixed when that vote opened
    vote_points: int | None = None
    eligible: bool | None = None


@dataclass(frozen=True)
class VotePost:
    """What a reaction needs to know of the vote behind a Discord message (none of it ever changes)."""

    id: int
    community_id: int
    options: int
    hidden: bool
    approval: bool


@dataclass(frozen=True)
class ReactionChange:
    """One reaction added or removed on a vote's post: the Discord account, and the option (None: an emoji
    that is no option of the vote)."""

    user_id: str
    option: int | None
    added: bool


@dataclass(frozen=True)
class ReactionOutcome:
    change: ReactionChange
    error: DomainError | None = None  # why an added reaction does not count
    moved_from: tuple[int, ...] = ()  # a single-choice ballot moved: these reactions are to come off


@dataclass(frozen=True)
class Tap:
    """One ballot button tapped on LINE: the member's LINE account and the option (0-based)."""

    external_id: str
    option: int


@dataclass(frozen=True)
class TapOutcome:
    tap: Tap
    result: BallotResult | None = None
    error: DomainError | None = None  # why it does not count (the same errors as ``cast``)


@dataclass(frozen=True)
class Reconciled:
    added: int
    removed: int


async def lock_vote(s: AsyncSession, community_id: int, vote_id: int) -> Vote:
    """The vote, locked for this transaction; one of another community is "not found"."""
    locked = await s.execute(
        update(Vote)
        .where(Vote.id == vote_id, Vote.community_id == community_id)
        .values(revision=Vote.revision)
    )
    if locked.rowcount != 1:  # type: ignore[attr-defined]
        raise DomainError("vote.error.not_found", id=vote_id)
    vote = await s.get(Vote, vote_id, populate_existing=True)
    assert vote is not None
    return vote


async def _tally(s: AsyncSession, vote: Vote) -> VoteResult:
    # ``vote`` was read within its community, so its id alone scopes the ballots; adding the community to
    # the filter made SQLite walk every ballot of the community (bench/data_scale.py: 100,000 ballots'
    # tally 403-411 -> 87-105 ms on SQLite, PostgreSQL unchanged).
    rows = (
        await s.execute(
            select(Ballot.option, func.count(), func.coalesce(func.sum(VoteWeight.weight_milli), 0))
            .join(
                VoteWeight,
                (VoteWeight.vote_id == Ballot.vote_id) & (VoteWeight.ambassador_id == Ballot.ambassador_id),
            )
            .where(Ballot.vote_id == vote.id)
            .group_by(Ballot.option)
        )
    ).all()
    by_option = {int(o): (int(c), int(w)) for o, c, w in rows}
    voters = await s.scalar(
        select(func.count(func.distinct(Ballot.ambassador_id))).where(Ballot.vote_id == vote.id)
    )
    options = tuple(OptionTally(i, label, *by_option.get(i, (0, 0))) for i, label in enumerate(vote.options))
    return VoteResult(
        options, int(voters or 0), vote.eligible, _quorum(vote).needed(vote.eligible), vote.weighted
    )


def _choose(choices: set[int], option: int, *, approval: bool, toggle: bool) -> None:
    """A member picks ``option`` (in place): single choice moves the ballot; approval adds the option, or
    with ``toggle`` (a tap on a button) takes it back when it was chosen."""
    if option in choices:
        if toggle and approval:
            choices.discard(option)
    elif approval:
        choices.add(option)
    else:
        choices.clear()
        choices.add(option)


async def _members_by_account(
    s: AsyncSession, community_id: int, platform: str, accounts: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """The active members behind these platform accounts: account → (ambassador id, stage)."""
    rows = await s.execute(
        select(PlatformIdentity.external_id, Ambassador.id, Ambassador.stage)
        .join(Ambassador, Ambassador.id == PlatformIdentity.ambassador_id)
        .where(
            PlatformIdentity.community_id == community_id,
            PlatformIdentity.platform == platform,
            PlatformIdentity.active.is_(True),
            in_values(PlatformIdentity.external_id, list(set(accounts)), s.get_bind().dialect.name),
            Ambassador.status == "active",
        )
    )
    return {ext: (aid, stage) for ext, aid, stage in rows.all()}


async def _held_ballots(s: AsyncSession, vote: Vote, ids: Sequence[int]) -> dict[int, set[int]]:
    """Each of these members' chosen options in the vote (an empty set for none)."""
    held: dict[int, set[int]] = {aid: set() for aid in ids}
    rows = await s.execute(
        select(Ballot.ambassador_id, Ballot.option).where(
            Ballot.vote_id == vote.id, in_values(Ballot.ambassador_id, list(ids), s.get_bind().dialect.name)
        )
    )
    for aid, option in rows.all():
        held[aid].add(option)
    return held


async def _write_ballots(
    s: AsyncSession,
    vote: Vote,
    before: Mapping[int, set[int]],
    held: Mapping[int, set[int]],
    source: str,
    now: datetime,
) -> None:
    """Store the difference between the choices ``before`` a batch and those ``held`` after it."""
    gone = [(aid, o) for aid, options in before.items() for o in options - held[aid]]
    new = [(aid, o) for aid, options in held.items() for o in options - before[aid]]
    if gone:
        await s.execute(
            delete(Ballot).where(
                Ballot.vote_id == vote.id, tuple_(Ballot.ambassador_id, Ballot.option).in_(gone)
            )
        )
    if new:
        await s.execute(
            insert(Ballot),
            [
                {"vote_id": vote.id, "ambassador_id": aid, "option": o, "community_id": vote.community_id,
                 "source": source, "cast_at": now}
                for aid, o in new
            ],
        )  # fmt: skip


def _quorum(vote: Vote) -> Quorum:
    return Quorum(vote.quorum_count, vote.quorum_percent)


async def _view(s: AsyncSession, vote: Vote, *, reveal: bool = False) -> VoteView:
    if vote.result is not None:
        result: VoteResult | None = VoteResult.from_json(vote.result)
        voters = result.voters if result else 0
    else:
        live = await _tally(s, vote)
        voters = live.voters
        result = live if vote.status != "cancelled" and (reveal or not vote.hidden) else None
    return VoteView(
        id=vote.id, community_id=vote.community_id, question=vote.question, options=tuple(vote.options),
        weighted=vote.weighted, approval=vote.approval, hidden=vote.hidden, min_stage=vote.min_stage,
        quorum_needed=_quorum(vote).needed(vote.eligible), quorum_percent=vote.quorum_percent,
        eligible=vote.eligible, voters=voters, status=vote.status, opened_at=vote.opened_at,
        closes_at=vote.closes_at, closed_at=vote.closed_at, discord_channel_id=vote.discord_channel_id,
        discord_message_id=vote.discord_message_id, result=result, subcommittee_id=vote.subcommittee_id,
    )  # fmt: skip


class VoteService(DueSignal):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        directory: CommunityDirectory,
        contributions: ContributionService,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        super().__init__()
        self.db = db
        self.clock = clock
        self.directory = directory
        self.contributions = contributions
        self.lease = lease  # how long a claim to post a result holds before another process may take it

    def settings(self, community_id: int) -> VoteSettings:
        return self.directory.by_id(community_id).settings.votes

    # --- staff --------------------------------------------------------------------------------------
    async def open(
        self, community_id: int, staff: Identity, draft: VoteDraft, *, is_staff: bool = True
    ) -> VoteView:
        """Check everything, then store the vote with its eligible members and their weights at once.

        Staff may open any vote; a subcommittee's lead (``is_staff=False``) only one for their own, where
        only the subcommittee's members may vote."""
        rules = self.settings(community_id)
        now = self.clock.now()
        tz = (
            clean_timezone(draft.timezone)
            if draft.timezone
            else self.directory.by_id(community_id).settings.timezone
        )
        question = clean_question(draft.question)
        options = clean_options(draft.options)
        closes = parse_closing(draft.closes, now, tz, rules)
        quorum = parse_quorum(draft.quorum)
        if not 1 <= draft.min_stage <= 4:
            raise DomainError("vote.error.stage_range")
        async with self.db.transaction() as s:
            await check_lead(s, staff, draft.subcommittee_id, is_staff)
            scope = Ambassador.community_id == community_id
            if draft.subcommittee_id is not None:
                scope = scope & Ambassador.id.in_(
                    select(SubcommitteeMember.ambassador_id).where(
                        SubcommitteeMember.subcommittee_id == draft.subcommittee_id
                    )
                )
            members = (
                await s.execute(
                    select(Ambassador.id, func.coalesce(PointTotal.points, 0))
                    .outerjoin(
                        PointTotal,
                        (PointTotal.community_id == Ambassador.community_id)
                        & (PointTotal.ambassador_id == Ambassador.id)
                        & (PointTotal.month == "*")
                        & (PointTotal.category == "*"),
                    )
                    .where(scope, Ambassador.status == "active", Ambassador.stage >= draft.min_stage)
                )
            ).all()
            if not members:
                raise DomainError("vote.error.nobody_eligible", stage=draft.min_stage)
            if quorum.count is not None and quorum.count > len(members):
                raise DomainError(
                    "vote.error.quorum_above_eligible", count=quorum.count, eligible=len(members)
                )
            vote = Vote(
                community_id=community_id, question=question, options=options, weighted=draft.weighted,
                approval=draft.approval, hidden=draft.hidden, min_stage=draft.min_stage,
                quorum_count=quorum.count, quorum_percent=quorum.percent, eligible=len(members),
                status="open", opened_at=now, closes_at=closes, revision=1,
                subcommittee_id=draft.subcommittee_id,
                created_by=f"{staff.platform}:{staff.external_id}",
            )  # fmt: skip
            s.add(vote)
            await s.flush()
            rows = [
                {
                    "vote_id": vote.id,
                    "ambassador_id": aid,
                    "community_id": community_id,
                    "points": int(points),
                    "weight_milli": weight_milli(int(points), rules) if draft.weighted else 1000,
                }
                for aid, points in members
            ]
            for start in range(0, len(rows), 5000):
                await s.execute(insert(VoteWeight), rows[start : start + 5000])
            audit.record(
                s, community_id=community_id, action="vote.opened", at=now, platform=staff.platform,
                detail=f"vote={vote.id} eligible={len(members)}", actor=audit.actor_of(staff),
            )  # fmt: skip
            view = await _view(s, vote)
        self.armed(min(closes, self._reminder_time(community_id, closes) or closes))
        return view

    def _reminder_time(self, community_id: int, closes: datetime) -> datetime | None:
        hours = self.settings(community_id).reminder_hours_before_close
        return closes - timedelta(hours=hours) if hours else None

    async def close(self, community_id: int, vote_id: int, staff: Identity) -> VoteView:
        """Close early (staff): counted at once, like a vote reaching its time."""
        async with self.db.transaction() as s:
            vote = await lock_vote(s, community_id, vote_id)
            self._still_open(vote)
            closed = await self._close(s, vote)
            audit.record(
                s, community_id=community_id, action="vote.closed_early", at=self.clock.now(),
                platform=staff.platform, detail=f"vote={vote.id}", actor=audit.actor_of(staff),
            )  # fmt: skip
            return closed

    async def cancel(self, community_id: int, vote_id: int, staff: Identity) -> VoteView:
        """Cancel: nothing is counted; the ballots stay in the database as they were."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            vote = await lock_vote(s, community_id, vote_id)
            self._still_open(vote)
            vote.status = "cancelled"
            vote.closed_at = now
            audit.record(
                s, community_id=community_id, action="vote.cancelled", at=now, platform=staff.platform,
                detail=f"vote={vote.id}", actor=audit.actor_of(staff),
            )  # fmt: skip
            return await _view(s, vote)

    def _still_open(self, vote: Vote) -> None:
        if vote.status == "cancelled":
            raise DomainError("vote.error.cancelled")
        if vote.status != "open":
            raise DomainError("vote.error.closed")

    async def _close(self, s: AsyncSession, vote: Vote) -> VoteView:
        vote.status = "closed"
        vote.closed_at = self.clock.now()
        vote.result = (await _tally(s, vote)).to_json()
        await s.flush()
        return await _view(s, vote)

    async def close_due(self, scope: Scope = None) -> list[VoteView]:
        """Close each vote whose time has come, by exactly one process; returns those this one closed."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            due = (
                await s.execute(
                    select(Vote.id, Vote.community_id).where(
                        Vote.status == "open", Vote.closes_at <= now, *scoped(Vote.community_id, scope)
                    )
                )
            ).all()
        closed: list[VoteView] = []
        for vote_id, community_id in due:
            async with self.db.transaction() as s:
                claimed = await s.execute(
                    update(Vote).where(Vote.id == vote_id, Vote.status == "open").values(status="closing")
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another process closed it
                vote = await s.get(Vote, vote_id, populate_existing=True)
                assert vote is not None and vote.community_id == community_id
                closed.append(await self._close(s, vote))
        return closed

    async def next_due(self, scope: Scope = None) -> datetime | None:
        """The next closing or reminder time of any open vote (the scheduler wakes the process then), or
        when a claim to post a result, held by a process that stopped, runs out."""
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(Vote.community_id, Vote.closes_at, Vote.reminded_at).where(
                        Vote.status == "open", *scoped(Vote.community_id, scope)
                    )
                )
            ).all()
            held = await s.scalar(
                select(func.min(Vote.result_claimed_at)).where(
                    Vote.status == "closed",
                    Vote.result_posted_at.is_(None),
                    *scoped(Vote.community_id, scope),
                )
            )
        times = [closes for _, closes, _ in rows]
        if held is not None:
            times.append(held + self.lease)
        for community_id, closes, reminded in rows:
            remind = self._reminder_time(community_id, closes) if reminded is None else None
            if remind is not None:
                times.append(remind)
        return min(times, default=None)

    async def claim_result_post(self, community_id: int, vote_id: int) -> bool:
        """True for the one caller that is to post this vote's result (then ``result_posted``). The claim
        is a lease: if that caller's process dies before posting, another may claim it once it runs out."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            claimed = await s.execute(
                update(Vote)
                .where(
                    Vote.id == vote_id,
                    Vote.community_id == community_id,
                    Vote.status == "closed",
                    Vote.result_posted_at.is_(None),
                    or_(Vote.result_claimed_at.is_(None), Vote.result_claimed_at <= now - self.lease),
                )
                .values(result_claimed_at=now)
            )
            return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

    async def result_posted(self, community_id: int, vote_id: int) -> None:
        """The result this caller claimed is out."""
        async with self.db.transaction() as s:
            await s.execute(
                update(Vote)
                .where(Vote.id == vote_id, Vote.community_id == community_id, Vote.result_posted_at.is_(None))
                .values(result_posted_at=self.clock.now())
            )

    async def unfinished(self, scope: Scope = None) -> list[VoteView]:
        """Closed votes whose result is not out (no live claim on it) or whose ballot points are not
        recorded: what a process that stopped between closing and finishing left behind."""
        expired = self.clock.now() - self.lease
        async with self.db.transaction() as s:
            votes = (
                await s.scalars(
                    select(Vote)
                    .where(
                        Vote.status == "closed",
                        or_(
                            and_(
                                Vote.result_posted_at.is_(None),
                                or_(Vote.result_claimed_at.is_(None), Vote.result_claimed_at <= expired),
                            ),
                            Vote.points_recorded_at.is_(None),
                        ),
                        *scoped(Vote.community_id, scope),
                    )
                    .order_by(Vote.id)
                )
            ).all()
            return [await _view(s, v) for v in votes]

    async def record_ballot_points(
        self, community_id: int, vote_id: int, chunk: int = POINTS_CHUNK
    ) -> list[StageChange]:
        """Once per vote, after it closed: a ``ballot`` ledger entry for each member holding a ballot.

        Written ``chunk`` members at a time in member-number order, each chunk its own transaction holding
        the vote row, which remembers how far it got (``points_through``): a long vote never holds the
        database for seconds, a second process waits for the chunk and carries on after it, and a process
        stopped in the middle leaves whole chunks that the next run continues. Returns the promotions."""
        promotions: list[StageChange] = []
        recorded = 0
        while True:
            async with self.db.transaction() as s:
                vote = await self._lock_unrecorded(s, community_id, vote_id)
                if vote is None:
                    break  # recorded already (by this loop, or another process)
                voters: Sequence[Ambassador] = []
                if self.contributions.settings(community_id).ballot_points > 0:
                    voters = (
                        await s.scalars(
                            select(Ambassador)
                            .where(
                                Ambassador.community_id == community_id,
                                Ambassador.status == "active",
                                Ambassador.member_number > (vote.points_through or 0),
                                Ambassador.id.in_(  # the vote row is this community's (locked above)
                                    select(Ballot.ambassador_id).where(Ballot.vote_id == vote_id)
                                ),
                            )
                            .order_by(Ambassador.member_number)
                            .limit(chunk)
                        )
                    ).all()
                if voters:
                    promotions += await self.contributions.append_automatic_many(
                        s, voters, BALLOT, f"vote #{vote_id}"
                    )
                    vote.points_through = voters[-1].member_number
                    recorded += len(voters)
                if len(voters) < chunk:
                    vote.points_recorded_at = self.clock.now()
                    log.info("ballot points recorded", extra={"vote_id": vote_id, "voters": recorded})
                    break
        return promotions

    async def _lock_unrecorded(self, s: AsyncSession, community_id: int, vote_id: int) -> Vote | None:
        """The closed vote, its row locked for this transaction, if its ballot points are not all written."""
        touched = await s.execute(  # takes the row (and SQLite's write lock) before reading the cursor
            update(Vote)
            .where(
                Vote.id == vote_id,
                Vote.community_id == community_id,
                Vote.status == "closed",
                Vote.points_recorded_at.is_(None),
            )
            .values(points_through=Vote.points_through)
        )
        if touched.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return await s.get(Vote, vote_id, populate_existing=True)

    async def claim_reminder(self, scope: Scope = None) -> list[tuple[VoteView, list[int]]]:
        """Votes whose reminder time has come, each claimed once, with the eligible members not yet voted."""
        now = self.clock.now()
        out: list[tuple[VoteView, list[int]]] = []
        async with self.db.transaction() as s:
            candidates = (
                await s.scalars(
                    select(Vote).where(
                        Vote.status == "open",
                        Vote.reminded_at.is_(None),
                        Vote.closes_at > now,
                        *scoped(Vote.community_id, scope),
                    )
                )
            ).all()
        for vote in candidates:
            hours = self.settings(vote.community_id).reminder_hours_before_close
            if hours == 0 or vote.closes_at - timedelta(hours=hours) > now:
                continue
            async with self.db.transaction() as s:
                claimed = await s.execute(
                    update(Vote)
                    .where(Vote.id == vote.id, Vote.status == "open", Vote.reminded_at.is_(None))
                    .values(reminded_at=now)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                voted = select(Ballot.ambassador_id).where(Ballot.vote_id == vote.id)
                waiting = (
                    await s.scalars(
                        select(VoteWeight.ambassador_id)
                        .join(Ambassador, Ambassador.id == VoteWeight.ambassador_id)
                        .where(
                            VoteWeight.vote_id == vote.id,
                            VoteWeight.community_id == vote.community_id,
                            Ambassador.status == "active",
                            VoteWeight.ambassador_id.not_in(voted),
                        )
                        .order_by(Ambassador.member_number)
                    )
                ).all()
                fresh = await s.get(Vote, vote.id, populate_existing=True)
                assert fresh is not None
                out.append((await _view(s, fresh), list(waiting)))
        return out

    async def set_discord_post(
        self, community_id: int, vote_id: int, channel_id: int, message_id: int
    ) -> None:
        async with self.db.transaction() as s:
            await s.execute(
                update(Vote)
                .where(Vote.community_id == community_id, Vote.id == vote_id)
                .values(discord_channel_id=channel_id, discord_message_id=message_id)
            )

    # --- members ------------------------------------------------------------------------------------
    async def cast(
        self, who: Identity, vote_id: int, option: int, source: str, *, toggle: bool = False
    ) -> BallotResult:
        """Choose ``option`` (0-based). Single choice: the ballot moves. Approval: the option is added, or
        with ``toggle`` (a LINE tap, a button) removed if it was already chosen."""
        if source not in SOURCES:
            raise ValueError(source)
        now = self.clock.now()
        async with self.db.transaction() as s:
            vote, member, weight = await self._voter(s, who, vote_id, now)
            if not 0 <= option < len(vote.options):
                raise DomainError("vote.error.bad_option", count=len(vote.options))
            previous = await self._choices(s, vote.id, member.id)
            if option in previous:
                if toggle and vote.approval:
                    await s.execute(
                        delete(Ballot).where(
                            Ballot.vote_id == vote.id,
                            Ballot.ambassador_id == member.id,
                            Ballot.option == option,
                        )
                    )
            else:
                if not vote.approval and previous:
                    await s.execute(
                        delete(Ballot).where(Ballot.vote_id == vote.id, Ballot.ambassador_id == member.id)
                    )
                s.add(
                    Ballot(
                        vote_id=vote.id, ambassador_id=member.id, option=option,
                        community_id=who.community_id, source=source, cast_at=now,
                    )
                )  # fmt: skip
                await s.flush()
            now_choices = await self._choices(s, vote.id, member.id)
            return BallotResult(await _view(s, vote), member.id, now_choices, previous, weight.weight_milli)

    async def withdraw(self, who: Identity, vote_id: int, option: int | None = None) -> BallotResult:
        """Take back one option (a removed reaction) or the whole ballot (``option=None``)."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            vote, member, weight = await self._voter(s, who, vote_id, now)
            previous = await self._choices(s, vote.id, member.id)
            stmt = delete(Ballot).where(Ballot.vote_id == vote.id, Ballot.ambassador_id == member.id)
            if option is not None:
                stmt = stmt.where(Ballot.option == option)
            await s.execute(stmt)
            now_choices = await self._choices(s, vote.id, member.id)
            return BallotResult(await _view(s, vote), member.id, now_choices, previous, weight.weight_milli)

    async def _voter(
        self, s: AsyncSession, who: Identity, vote_id: int, now: datetime
    ) -> tuple[Vote, Ambassador, VoteWeight]:
        vote = await lock_vote(s, who.community_id, vote_id)
        if vote.status == "cancelled":
            raise DomainError("vote.error.cancelled")
        if vote.status != "open" or now >= vote.closes_at:
            raise DomainError("vote.error.closed")
        member = await ambassador_for(s, who)
        if member is None:
            raise DomainError("vote.error.not_member")
        weight = await s.get(VoteWeight, (vote.id, member.id))
        if weight is None:
            if member.stage < vote.min_stage:
                raise DomainError("vote.error.below_stage", stage=vote.min_stage)
            raise DomainError("vote.error.joined_after")
        return vote, member, weight

    async def _choices(self, s: AsyncSession, vote_id: int, ambassador_id: int) -> tuple[int, ...]:
        rows = await s.scalars(
            select(Ballot.option)
            .where(Ballot.vote_id == vote_id, Ballot.ambassador_id == ambassador_id)
            .order_by(Ballot.option)
        )
        return tuple(rows.all())

    async def ballot_of(self, who: Identity, vote_id: int) -> tuple[int, ...]:
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                return ()
            vote = await s.scalar(
                select(Vote.id).where(Vote.community_id == who.community_id, Vote.id == vote_id)
            )
            if vote is None:
                raise DomainError("vote.error.not_found", id=vote_id)
            return await self._choices(s, vote_id, member.id)

    async def note_refusal(self, community_id: int, vote_id: int, platform: str, external_id: str) -> bool:
        """True the first time this person is to be told why their reaction does not count (once per vote)."""
        async with self.db.transaction() as s:
            exists = await s.scalar(
                select(VoteNotice.told_at).where(
                    VoteNotice.vote_id == vote_id,
                    VoteNotice.platform == platform,
                    VoteNotice.external_id == external_id,
                    VoteNotice.community_id == community_id,
                )
            )
            if exists is not None:
                return False
            s.add(
                VoteNotice(
                    vote_id=vote_id, platform=platform, external_id=external_id,
                    community_id=community_id, told_at=self.clock.now(),
                )
            )  # fmt: skip
        return True

    async def weight(self, who: Identity, vote_id: int | None = None) -> WeightExplanation:
        """A member's weight and why: today's points through the curve; for a vote, the weight fixed then."""
        rules = self.settings(who.community_id)
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            points = await self.contributions.points_of(s, who.community_id, member.id)
            raw = rules.weight_base + rules.weight_scale * curve_value(points, rules)
            explanation = WeightExplanation(
                points, rules.weight_curve, rules.weight_base, rules.weight_scale, rules.weight_cap,
                weight_milli(points, rules), raw > rules.weight_cap,
            )  # fmt: skip
            if vote_id is None:
                return explanation
            vote = await s.scalar(
                select(Vote).where(Vote.community_id == who.community_id, Vote.id == vote_id)
            )
            if vote is None:
                raise DomainError("vote.error.not_found", id=vote_id)
            fixed = await s.get(VoteWeight, (vote.id, member.id))
            return replace(
                explanation,
                vote_id=vote.id,
                vote_weight_milli=fixed.weight_milli if fixed else None,
                vote_points=fixed.points if fixed else None,
                eligible=fixed is not None,
            )

    # --- reading ------------------------------------------------------------------------------------
    async def get(self, community_id: int, vote_id: int) -> VoteView:
        """A vote with its result: final once closed, live while open (none while open and hidden)."""
        async with self.db.transaction() as s:
            vote = await s.scalar(select(Vote).where(Vote.community_id == community_id, Vote.id == vote_id))
            if vote is None:
                raise DomainError("vote.error.not_found", id=vote_id)
            return await _view(s, vote)

    async def search(
        self, community_id: int, text: str = "", *, open_only: bool = False, limit: int = 25
    ) -> list[VoteView]:
        query = select(Vote).where(Vote.community_id == community_id)
        if open_only:
            query = query.where(Vote.status == "open")
        wanted = query_text(text)
        if wanted:
            number = typed_number(wanted)
            query = query.where(
                Vote.question.ilike(f"%{wanted}%") | (Vote.id == number if number is not None else False)
            )
        async with self.db.transaction() as s:
            votes = (
                await s.scalars(query.order_by(Vote.opened_at.desc(), Vote.id.desc()).limit(limit))
            ).all()
            return [await _view(s, v) for v in votes]

    async def open_for(self, who: Identity, limit: int = 10) -> list[tuple[VoteView, tuple[int, ...]]]:
        """Open votes this member may vote on, with their current choices."""
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            votes = (
                await s.scalars(
                    select(Vote)
                    .join(VoteWeight, VoteWeight.vote_id == Vote.id)
                    .where(
                        Vote.community_id == who.community_id,
                        Vote.status == "open",
                        VoteWeight.ambassador_id == member.id,
                    )
                    .order_by(Vote.closes_at, Vote.id)
                    .limit(limit)
                )
            ).all()
            return [(await _view(s, v), await self._choices(s, v.id, member.id)) for v in votes]

    async def post_of(self, community_id: int, message_id: int) -> VotePost | None:
        """The vote behind a Discord message, in a form cheap enough for every reaction (one indexed read)."""
        async with self.db.transaction() as s:
            row = (
                await s.execute(
                    select(Vote.id, Vote.options, Vote.hidden, Vote.approval).where(
                        Vote.community_id == community_id, Vote.discord_message_id == message_id
                    )
                )
            ).first()
        return VotePost(row.id, community_id, len(row.options), row.hidden, row.approval) if row else None

    async def apply_reactions(
        self, community_id: int, vote_id: int, changes: list[ReactionChange]
    ) -> list[ReactionOutcome]:
        """A batch of reactions on one vote's post, in arrival order, in one transaction (a storm of them
        costs a few statements, not a few per reaction). The same rules as ``cast`` and ``withdraw``."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            vote = await lock_vote(s, community_id, vote_id)
            closed: DomainError | None = None
            if vote.status == "cancelled":
                closed = DomainError("vote.error.cancelled")
            elif vote.status != "open" or now >= vote.closes_at:
                closed = DomainError("vote.error.closed")
            dialect = s.get_bind().dialect.name
            members = await _members_by_account(s, community_id, "discord", [c.user_id for c in changes])
            ids = [aid for aid, _ in members.values()]
            eligible = set(
                (
                    await s.scalars(
                        select(VoteWeight.ambassador_id).where(
                            VoteWeight.vote_id == vote.id, in_values(VoteWeight.ambassador_id, ids, dialect)
                        )
                    )
                ).all()
            )
            held = await _held_ballots(s, vote, ids)
            before = {aid: set(options) for aid, options in held.items()}
            outcomes: list[ReactionOutcome] = []
            for change in changes:
                member = members.get(change.user_id)
                if change.option is None or not 0 <= change.option < len(vote.options):
                    outcomes.append(ReactionOutcome(change))
                    continue
                if not change.added:
                    if member is not None and closed is None:
                        held[member[0]].discard(change.option)
                    outcomes.append(ReactionOutcome(change))
                    continue
                error = closed
                if error is None and member is None:
                    error = DomainError("vote.error.not_member")
                elif error is None and member is not None and member[0] not in eligible:
                    error = (
                        DomainError("vote.error.below_stage", stage=vote.min_stage)
                        if member[1] < vote.min_stage
                        else DomainError("vote.error.joined_after")
                    )
                if error is not None or member is None:
                    outcomes.append(ReactionOutcome(change, error))
                    continue
                choices = held[member[0]]
                previous = set(choices)
                _choose(choices, change.option, approval=vote.approval, toggle=False)
                outcomes.append(ReactionOutcome(change, None, tuple(sorted(previous - choices))))
            await _write_ballots(s, vote, before, held, "reaction", now)
            return outcomes

    async def cast_taps(self, community_id: int, vote_id: int, taps: Sequence[Tap]) -> list[TapOutcome]:
        """Many LINE ballot taps on one vote, in arrival order, in one transaction (a storm of them costs a
        few statements, not a few per tap). The same rules as ``cast(..., "postback", toggle=True)``: single
        choice moves the ballot, approval adds the option or takes it back."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            vote = await lock_vote(s, community_id, vote_id)
            closed: DomainError | None = None
            if vote.status == "cancelled":
                closed = DomainError("vote.error.cancelled")
            elif vote.status != "open" or now >= vote.closes_at:
                closed = DomainError("vote.error.closed")
            if closed is not None:
                return [TapOutcome(t, error=closed) for t in taps]
            dialect = s.get_bind().dialect.name
            members = await _members_by_account(s, community_id, "line", [t.external_id for t in taps])
            ids = [aid for aid, _ in members.values()]
            weights = {
                aid: weight
                for aid, weight in (
                    await s.execute(
                        select(VoteWeight.ambassador_id, VoteWeight.weight_milli).where(
                            VoteWeight.vote_id == vote.id, in_values(VoteWeight.ambassador_id, ids, dialect)
                        )
                    )
                ).all()
            }
            held = await _held_ballots(s, vote, ids)
            before = {aid: set(options) for aid, options in held.items()}
            pending: list[tuple[Tap, int, tuple[int, ...], tuple[int, ...]] | TapOutcome] = []
            for tap in taps:
                member = members.get(tap.external_id)
                error: DomainError | None = None
                if member is None:
                    error = DomainError("vote.error.not_member")
                elif member[0] not in weights:
                    error = (
                        DomainError("vote.error.below_stage", stage=vote.min_stage)
                        if member[1] < vote.min_stage
                        else DomainError("vote.error.joined_after")
                    )
                elif not 0 <= tap.option < len(vote.options):
                    error = DomainError("vote.error.bad_option", count=len(vote.options))
                if error is not None or member is None:
                    pending.append(TapOutcome(tap, error=error))
                    continue
                choices = held[member[0]]
                previous = tuple(sorted(choices))
                _choose(choices, tap.option, approval=vote.approval, toggle=True)
                pending.append((tap, member[0], previous, tuple(sorted(choices))))
            await _write_ballots(s, vote, before, held, "postback", now)
            view = await _view(s, vote)
            out: list[TapOutcome] = []
            for item in pending:
                if isinstance(item, TapOutcome):
                    out.append(item)
                    continue
                tap, aid, previous, options = item
                out.append(TapOutcome(tap, BallotResult(view, aid, options, previous, weights[aid])))
            return out

    async def by_discord_message(self, community_id: int, message_id: int) -> VoteView | None:
        """The vote posted as this Discord message in this community (a reaction's vote), if any."""
        async with self.db.transaction() as s:
            vote = await s.scalar(
                select(Vote).where(Vote.community_id == community_id, Vote.discord_message_id == message_id)
            )
            return await _view(s, vote) if vote is not None else None

    async def open_on_discord(self) -> list[VoteView]:
        """Open votes that have a Discord message (to reconcile its reactions at start)."""
        async with self.db.transaction() as s:
            votes = (
                await s.scalars(
                    select(Vote).where(
                        Vote.status == "open", Vote.discord_message_id.is_not(None), Vote.hidden.is_(False)
                    )
                )
            ).all()
            return [await _view(s, v) for v in votes]

    async def line_audience(self, vote: VoteView) -> list[tuple[int, str, str, str]]:
        """Eligible members who opted in to votes on LINE: (ambassador id, LINE user id, language, zone)."""
        async with self.db.transaction() as s:
            rows = (
                await s.execute(
                    select(
                        Ambassador.id, PlatformIdentity.external_id, Ambassador.language, Ambassador.timezone
                    )
                    .join(VoteWeight, VoteWeight.ambassador_id == Ambassador.id)
                    .join(PlatformIdentity, PlatformIdentity.ambassador_id == Ambassador.id)
                    .where(
                        VoteWeight.vote_id == vote.id,
                        VoteWeight.community_id == vote.community_id,
                        Ambassador.status == "active",
                        Ambassador.vote_news.is_(True),
                        PlatformIdentity.platform == "line",
                        PlatformIdentity.active.is_(True),
                    )
                    .order_by(Ambassador.member_number)
                )
            ).all()
        return [(int(a), str(e), str(lang), str(tz)) for a, e, lang, tz in rows]

    async def set_vote_news(self, who: Identity, on: bool) -> bool:
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            member.vote_news = on
            return on

    async def vote_news(self, who: Identity) -> bool:
        """Whether this member opted in to new-vote cards on LINE."""
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            return member.vote_news

    # --- restart-time reconciliation with the reactions Discord holds ------------------------------
    async def reconcile(
        self, community_id: int, vote_id: int, reactions: Mapping[int, Iterable[str]]
    ) -> Reconciled:
        """Make the reaction ballots match the reactions on the vote's message (``{option: {discord user
        id, …}}``): reactions added while the hub was down count, removed ones stop counting. Ballots cast
        another way (LINE, buttons) are left alone; ineligible reactions are ignored."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            vote = await lock_vote(s, community_id, vote_id)
            if vote.status != "open":
                return Reconciled(0, 0)
            wanted: dict[str, set[int]] = {}
            for option, users in reactions.items():
                if 0 <= option < len(vote.options):
                    for user in users:
                        wanted.setdefault(str(user), set()).add(option)
            accounts = dict(
                (
                    await s.execute(
                        select(PlatformIdentity.external_id, PlatformIdentity.ambassador_id)
                        .join(VoteWeight, VoteWeight.ambassador_id == PlatformIdentity.ambassador_id)
                        .where(
                            VoteWeight.vote_id == vote.id,
                            PlatformIdentity.community_id == community_id,
                            PlatformIdentity.platform == "discord",
                        )
                    )
                ).all()
            )
            held: dict[int, set[int]] = {}
            sources: dict[int, str] = {}
            for aid, option, source in (
                await s.execute(
                    select(Ballot.ambassador_id, Ballot.option, Ballot.source).where(
                        Ballot.vote_id == vote.id
                    )
                )
            ).all():
                held.setdefault(aid, set()).add(option)
                sources[aid] = source
            added = removed = 0
            for external_id, ambassador_id in accounts.items():
                if sources.get(ambassador_id, "reaction") != "reaction":
                    continue  # voted on LINE or by button: not the reactions' business
                want = wanted.get(external_id, set())
                have = held.get(ambassador_id, set())
                if not vote.approval and len(want) > 1:
                    want = {min(have & want)} if have & want else {min(want)}
                for option in have - want:
                    await s.execute(
                        delete(Ballot).where(
                            Ballot.vote_id == vote.id,
                            Ballot.ambassador_id == ambassador_id,
                            Ballot.option == option,
                        )
                    )
                    removed += 1
                for option in want - have:
                    s.add(
                        Ballot(
                            vote_id=vote.id, ambassador_id=ambassador_id, option=option,
                            community_id=community_id, source="reaction", cast_at=now,
                        )
                    )  # fmt: skip
                    added += 1
            if added or removed:
                log.info(
                    "vote reconciled with its reactions",
                    extra={
                        "community_id": community_id,
                        "vote_id": vote.id,
                        "added": added,
                        "removed": removed,
                    },
                )
            return Reconciled(added, removed)
