"""Ballot taps in a storm: queued per community and cast many at a time.

A vote card goes to thousands of members at once and many tap within the same minute. Handled one by one,
each tap is five transactions queued behind the vote row, and replies arrive after LINE's reply token has
expired (bench/line_storm.py). Here the taps waiting in the queue are taken together: their webhook event
ids claimed in one statement, the members who may act at once found in one query, and each vote's taps
cast in one transaction (``VoteService.cast_taps``: the same rules as a single tap), then every member gets
the same reply as before. A tap that needs more than that (not registered, a newer privacy notice to accept,
a closed vote, a button that does not parse) goes through the usual conversation, one at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from linebot.v3.webhooks import Event

from bot.community.communities import CommunityRef
from bot.community.votes import Tap, TapOutcome
from bot.hub import Hub
from bot.line import render
from bot.line.client import LineClient
from bot.line.privacy import postback_params
from bot.line.votes import LineVotes, number_of

log = logging.getLogger(__name__)

BATCH_MAX = 500  # taps taken from the queue at once
REPLIES_AT_ONCE = 32  # replies in flight to the Messaging API at once


@dataclass(frozen=True)
class QueuedTap:
    raw: dict[str, Any]  # the webhook event as LINE sent it
    event_id: str
    reply_token: str
    user_id: str
    vote_id: int
    option: int

    def event(self) -> Event:
        """The SDK's model of it, for the usual path (built only when needed: it is most of the cost)."""
        return Event.from_dict(self.raw)


def ballot_tap(raw: object) -> QueuedTap | None:
    """The tap, if ``raw`` (one event of a verified webhook body) is a well-formed ballot button pressed by a
    person; anything else (or anything odd) goes to the SDK's parser and the usual path."""
    if not isinstance(raw, dict) or raw.get("type") != "postback" or raw.get("mode", "active") != "active":
        return None
    source, postback = raw.get("source"), raw.get("postback")
    event_id, token = raw.get("webhookEventId"), raw.get("replyToken")
    if not isinstance(source, dict) or source.get("type") != "user" or not isinstance(postback, dict):
        return None
    user_id, data = source.get("userId"), postback.get("data")
    if not (isinstance(user_id, str) and isinstance(data, str) and isinstance(event_id, str)):
        return None
    if not (isinstance(token, str) and user_id and token and event_id):
        return None
    params = postback_params(data)
    if params.get("action") != "ballot":
        return None
    vote_id, option = number_of(params.get("v")), number_of(params.get("o"))
    if vote_id is None or option is None:
        return None
    return QueuedTap(raw, event_id, token, user_id, vote_id, option)


class BallotBatcher:
    """One per community. ``add`` queues a tap; one worker at a time drains the queue in batches."""

    def __init__(
        self,
        hub: Hub,
        ref: CommunityRef,
        client: LineClient,
        votes: LineVotes,
        one_by_one: Callable[[QueuedTap], Awaitable[None]],
        spawn: Callable[[Awaitable[None]], None],
        slots: asyncio.Semaphore,
    ) -> None:
        self.hub = hub
        self.ref = ref
        self.client = client
        self.votes = votes
        self.one_by_one = one_by_one  # the usual path for one event (its id already claimed)
        self.spawn = spawn
        self.slots = slots  # shared with the usual path: events handled at once
        self.queue: list[QueuedTap] = []
        self.working = False

    def add(self, tap: QueuedTap) -> None:
        self.queue.append(tap)
        if not self.working:
            self.working = True
            self.spawn(self._drain())

    async def _drain(self) -> None:
        try:
            while self.queue:
                batch, self.queue = self.queue[:BATCH_MAX], self.queue[BATCH_MAX:]
                try:
                    async with self.slots:
                        usual = await self.cast(batch)
                except Exception:  # nothing of it was cast: each tap goes the usual way
                    log.exception("LINE ballot taps failed", extra={"community": self.ref.key})
                    usual = batch
                for tap in usual:  # outside the slot: the usual path takes its own
                    await self.one_by_one(tap)
        finally:
            self.working = False

    async def cast(self, batch: list[QueuedTap]) -> list[QueuedTap]:
        """Cast what can be cast at once and reply; returns the taps for the usual path."""
        hub, ref = self.hub, self.ref
        ids = [t.event_id for t in batch]
        fresh = await hub.webhook_events.claim_many(ref.id, sorted(set(ids)))
        taps: list[QueuedTap] = []
        for tap, event_id in zip(batch, ids, strict=True):
            if event_id in fresh:
                fresh.discard(event_id)  # a repeat within the batch is a redelivery too
                taps.append(tap)
            else:
                log.info("LINE event already handled", extra={"community": ref.key, "event": event_id})
        ready = await hub.privacy.ready_members(ref.id, "line", [t.user_id for t in taps])
        by_vote: dict[int, list[QueuedTap]] = {}
        usual: list[QueuedTap] = []
        for tap in taps:
            if tap.user_id in ready:
                by_vote.setdefault(tap.vote_id, []).append(tap)
            else:
                usual.append(tap)
        replies: list[tuple[QueuedTap, TapOutcome]] = []
        for vote_id, on_vote in by_vote.items():
            outcomes = await hub.votes.cast_taps(ref.id, vote_id, [Tap(t.user_id, t.option) for t in on_vote])
            for tap, outcome in zip(on_vote, outcomes, strict=True):
                if outcome.result is None:
                    usual.append(tap)  # the error is told by the usual path (nothing was changed)
                else:
                    replies.append((tap, outcome))
        self.spawn(self._reply_all(replies, ready))  # the next batch is cast while these go out
        return usual

    async def _reply_all(
        self, replies: list[tuple[QueuedTap, TapOutcome]], ready: dict[str, tuple[str, str]]
    ) -> None:
        gate = asyncio.Semaphore(REPLIES_AT_ONCE)
        quick: dict[tuple[int, str], Any] = {}  # the quick replies, in JSON, per vote and language

        async def reply(tap: QueuedTap, outcome: TapOutcome) -> None:
            assert outcome.result is not None
            lang, tz = ready[tap.user_id]
            vote = outcome.result.vote
            if (vote.id, lang) not in quick:
                items = self.votes.ballot_quick(vote, lang)
                quick[vote.id, lang] = render.text("-", items).to_dict()["quickReply"]
            body = render.clip(self.votes.ballot_text(outcome.result, tap.option, lang, tz))
            message = {"type": "text", "text": body, "quickReply": quick[vote.id, lang]}
            async with gate:
                await self.client.reply_json(tap.reply_token, [message])

        await asyncio.gather(*(reply(t, o) for t, o in replies))
