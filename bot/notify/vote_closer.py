"""Closing votes on time and publishing their results: once, whichever process gets there first.

``run_due`` is what the scheduler calls: it closes the votes whose time has come, publishes each result
(the faces that show votes post it; Discord with a chart), records the ballot points, and sends the one
reminder to members who have not voted. Every step is claimed in the database, so a second process, a
restart in the middle or a staff member closing early at the same moment never doubles anything; what a
process that died left half done (a result claimed but not posted, points not recorded) is finished by the
next run anywhere, once its claim has run out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.community.due import Scope
from bot.community.votes import VoteService, VoteView
from bot.i18n import When
from bot.notify.notifier import Notifier

log = logging.getLogger(__name__)


@runtime_checkable
class VoteBoard(Protocol):
    """A face that shows votes in public: it posts the result where the vote was asked."""

    async def post_vote_result(self, vote: VoteView) -> None: ...


@dataclass(frozen=True)
class VoteRun:
    closed: int
    published: int
    reminded: int


class VoteCloser:
    def __init__(self, votes: VoteService, notifier: Notifier) -> None:
        self.votes = votes
        self.notifier = notifier

    async def run_due(self, scope: Scope = None) -> VoteRun:
        """Everything about votes that is due in ``scope`` (None: every community)."""
        closed = await self.votes.close_due(scope)
        seen = {v.id for v in closed}
        # A vote closed by a process that stopped before finishing with it is finished here.
        waiting = closed + [v for v in await self.votes.unfinished(scope) if v.id not in seen]
        published = 0
        for vote in waiting:  # every result out first; the ballot points (slower) after them
            published += await self.post(vote)
        for vote in waiting:
            await self.record_points(vote)
        reminded = 0
        for vote, members in await self.votes.claim_reminder(scope):
            for ambassador_id in members:
                told = await self.notifier.tell(
                    vote.community_id,
                    ambassador_id,
                    "vote.reminder",
                    id=vote.id,
                    question=vote.question,
                    closes=When(vote.closes_at),
                )
                reminded += told is not None
        return VoteRun(len(closed), published, reminded)

    async def publish(self, vote: VoteView) -> bool:
        """Post a closed vote's result (if no one has), then record its ballot points (once)."""
        posted = await self.post(vote)
        await self.record_points(vote)
        return posted

    async def post(self, vote: VoteView) -> bool:
        """Post the result through every face's vote board, if no process has claimed that yet."""
        if not await self.votes.claim_result_post(vote.community_id, vote.id):
            return False
        for board in self.notifier.boards():
            if isinstance(board, VoteBoard):
                try:
                    await board.post_vote_result(vote)
                except Exception:
                    log.exception("vote result not posted", extra={"vote_id": vote.id})
        await self.votes.result_posted(vote.community_id, vote.id)
        return True

    async def record_points(self, vote: VoteView) -> None:
        """The ballot entries in the ledger (once), and the promotions they bring."""
        for change in await self.votes.record_ballot_points(vote.community_id, vote.id):
            await self.notifier.stage_changed(vote.community_id, change)
