"""Votes cast with number reactions: gateway events queued in arrival order and applied one at a time.

The gateway handlers only put an event in the queue and return. One drain task applies them in order (it is
started when an event arrives and ends when the queue is empty, so nothing waits idle). The order matters:
when a single-choice ballot moves from 1️⃣ to 2️⃣ the bot removes the 1️⃣ reaction, and the removal event
that follows only withdraws option 1 — which the ballot no longer holds — so the new choice stays.

``apply`` handles one event; the restart-time reconciliation goes through the same queue, so a reaction that
arrives while the reactions on a post are being read is applied after them, never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.vote_rules import NUMBER_EMOJI, option_of_emoji
from bot.community.votes import ReactionChange, VotePost, VoteView
from bot.discord_bot import DiscordSink
from bot.i18n import Msg

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

log = logging.getLogger(__name__)

# Why a reaction does not count: told once per vote (``note_refusal``), the reaction taken off.
REFUSALS = frozenset(
    {
        "vote.error.not_member",
        "vote.error.below_stage",
        "vote.error.joined_after",
        "vote.error.closed",
        "vote.error.cancelled",
    }
)
# A second, separate "told once" slot per vote for reactions that are no option (or on a hidden vote), so
# that one does not use up the explanation of why someone may not vote.
REFUSAL_NOTICE = "discord"
BATCH_MAX = 500  # reaction events applied in one transaction
POST_CACHE_MAX = 10_000
EMOJI_NOTICE = "discord:emoji"


@dataclass(frozen=True)
class ReactionEvent:
    added: bool
    guild_id: int
    channel_id: int
    message_id: int
    user_id: int
    emoji: str  # 「1️⃣」, or 「<:name:id>」 for a server emoji


@dataclass(frozen=True)
class Reconcile:
    """Read the reactions on every open vote's post and make the ballots match (at start)."""


Job = ReactionEvent | Reconcile


class VoteReactions:
    def __init__(self, bot: HubBot) -> None:
        self.bot = bot
        self._posts: dict[tuple[int, int], VotePost] = {}
        self._queue: deque[Job] = deque()
        self._drain: asyncio.Task[None] | None = None

    # --- the queue ----------------------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        """Queue a job; start the drain task unless it is running. Returns at once."""
        self._queue.append(job)
        if self._drain is None or self._drain.done():
            self._drain = asyncio.get_running_loop().create_task(self._run(), name="vote-reactions")

    def from_payload(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        """A gateway reaction event, queued unless a bot (this one or another) made it, or not in a server."""
        me = self.bot.user
        if payload.guild_id is None or (me is not None and payload.user_id == me.id):
            return
        if payload.member is not None and payload.member.bot:
            return
        if payload.message_author_id is not None and me is not None and payload.message_author_id != me.id:
            return  # not a post of this bot: not a vote (removal events carry no author)
        self.submit(
            ReactionEvent(
                added, payload.guild_id, payload.channel_id, payload.message_id, payload.user_id,
                str(payload.emoji),
            )
        )  # fmt: skip

    async def _run(self) -> None:
        while self._queue:
            job = self._queue.popleft()
            try:
                if isinstance(job, ReactionEvent):
                    batch = [job]  # the events that follow on the same post go in one transaction
                    while (
                        len(batch) < BATCH_MAX
                        and self._queue
                        and isinstance(nxt := self._queue[0], ReactionEvent)
                        and (nxt.guild_id, nxt.message_id) == (job.guild_id, job.message_id)
                    ):
                        batch.append(nxt)
                        self._queue.popleft()
                    await self.apply_batch(batch)
                else:
                    await self.reconcile_all()
            except Exception:  # one bad event must not stop the ones behind it
                log.exception("vote reaction not applied", extra={"job": type(job).__name__})

    def stop(self) -> None:
        self._queue.clear()
        if self._drain is not None:
            self._drain.cancel()

    # --- events -------------------------------------------------------------------------------------
    async def post_of(self, ref: CommunityRef, message_id: int) -> VotePost | None:
        """The vote behind a post (cached: a post's vote, its options and mode never change)."""
        key = (ref.id, message_id)
        if key not in self._posts:
            post = await self.bot.hub.votes.post_of(ref.id, message_id)
            if post is None:
                return None  # not (yet) a vote: not cached, a vote may be posted there in a moment
            if len(self._posts) >= POST_CACHE_MAX:
                self._posts.clear()
            self._posts[key] = post
        return self._posts[key]

    async def apply(self, event: ReactionEvent) -> None:
        """Apply one reaction event (a batch of one)."""
        await self.apply_batch([event])

    async def apply_batch(self, events: list[ReactionEvent]) -> None:
        """Reaction events on one post, in arrival order: cast, move, withdraw, or refuse each with a
        private explanation. The ballots of the whole batch are written in one transaction."""
        hub = self.bot.hub
        first = events[0]
        ref = hub.communities.by_guild(first.guild_id)
        if ref is None:
            return
        post = await self.post_of(ref, first.message_id)
        if post is None:
            return
        changes = [
            ReactionChange(
                str(e.user_id), None if post.hidden else option_of_emoji(e.emoji, post.options), e.added
            )
            for e in events
        ]
        outcomes = await hub.votes.apply_reactions(ref.id, post.id, changes)
        vote: VoteView | None = None
        for event, outcome in zip(events, outcomes, strict=True):
            if not event.added:
                continue
            if outcome.change.option is None:
                vote = vote or await hub.votes.get(ref.id, post.id)
                await self.not_an_option(ref, vote, event)
            elif outcome.error is not None:
                vote = vote or await hub.votes.get(ref.id, post.id)
                await self.refuse(ref, vote, event, outcome.error)
            elif not post.approval:
                for old in outcome.moved_from:  # the ballot moved: take the old number off (if it is on)
                    await self.remove(event, NUMBER_EMOJI[old])

    async def not_an_option(self, ref: CommunityRef, vote: VoteView, event: ReactionEvent) -> None:
        await self.remove(event)
        if await self.bot.hub.votes.note_refusal(ref.id, vote.id, EMOJI_NOTICE, str(event.user_id)):
            who = Identity(ref.id, "discord", str(event.user_id))
            key = "discord.vote.reaction.hidden" if vote.hidden else "discord.vote.reaction.not_option"
            await self.explain(
                ref, who, key, id=vote.id, question=vote.question,
                last=NUMBER_EMOJI[len(vote.options) - 1], emoji=event.emoji,
            )  # fmt: skip

    async def refuse(self, ref: CommunityRef, vote: VoteView, event: ReactionEvent, err: DomainError) -> None:
        if err.key not in REFUSALS:
            log.warning("vote reaction refused", extra={"vote_id": vote.id, "error": err.key})
            return
        await self.remove(event)
        if await self.bot.hub.votes.note_refusal(ref.id, vote.id, REFUSAL_NOTICE, str(event.user_id)):
            who = Identity(ref.id, "discord", str(event.user_id))
            reason = Msg(err.key, dict(err.params))  # in the reader's language
            await self.explain(
                ref, who, "discord.vote.reaction.refused", id=vote.id, question=vote.question, reason=reason
            )

    async def remove(self, event: ReactionEvent, emoji: str | None = None) -> bool:
        """Take a member's reaction off the post, if the bot may (it needs Manage Messages)."""
        channel = self.bot.get_partial_messageable(event.channel_id, guild_id=event.guild_id)
        try:
            await channel.get_partial_message(event.message_id).remove_reaction(
                emoji or event.emoji, discord.Object(id=event.user_id)
            )
        except discord.HTTPException as exc:  # Forbidden: no Manage Messages; NotFound: already off
            log.info(
                "vote reaction not removed", extra={"status": exc.status, "message_id": event.message_id}
            )
            return False
        return True

    async def language(self, ref: CommunityRef, who: Identity) -> str:
        member = await self.bot.hub.ambassadors.peek(who)  # a suspended member is told in their language
        return member.language if member is not None else ref.default_language

    async def explain(self, ref: CommunityRef, who: Identity, key: str, **params: Any) -> bool:
        """A direct message on Discord (free; never a LINE push); strangers get the community's language."""
        lang = await self.language(ref, who)
        text = self.bot.t(lang, key, **params)
        return await DiscordSink(self.bot).send(ref.id, who.external_id, text)

    # --- at start -----------------------------------------------------------------------------------
    async def reconcile_all(self) -> None:
        """Count the reactions added, and stop counting those removed, while the bot was not listening."""
        hub = self.bot.hub
        for vote in await hub.votes.open_on_discord():
            ref = hub.communities.by_id(vote.community_id)
            if ref.settings.discord is None or self.bot.get_guild(ref.settings.discord.guild_id) is None:
                continue  # another bot's server
            assert vote.discord_channel_id is not None and vote.discord_message_id is not None
            extra = {"community_id": vote.community_id, "vote_id": vote.id}
            try:
                channel = self.bot.get_partial_messageable(
                    vote.discord_channel_id, guild_id=ref.settings.discord.guild_id
                )
                message = await channel.fetch_message(vote.discord_message_id)
                reactions: dict[int, set[str]] = {}
                for reaction in message.reactions:
                    option = option_of_emoji(str(reaction.emoji), len(vote.options))
                    if option is not None:
                        reactions[option] = {str(u.id) async for u in reaction.users() if not u.bot}
            except discord.HTTPException as exc:  # the post was deleted, or the bot lost access
                log.warning("vote reactions not reconciled", extra={**extra, "status": exc.status})
                continue
            done = await hub.votes.reconcile(vote.community_id, vote.id, reactions)
            log.info(
                "vote reactions reconciled", extra={**extra, "added": done.added, "removed": done.removed}
            )
