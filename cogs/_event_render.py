"""How an event looks on Discord: the public announcement (embed + RSVP buttons) and shared pieces.

The RSVP buttons are ``DynamicItem``s: their custom id carries the event id and the answer, so a click on an
announcement posted before a restart still reaches the cog (``bot.add_dynamic_items`` in ``cog_load``).
Times in public posts are Discord timestamps (``<t:UNIX:F>``): each reader's client shows their own zone.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

import discord

from bot.community.errors import DomainError
from bot.community.events import RSVP_CHOICES, EventView
from bot.i18n import Msg, Translator
from cogs._limits import EMBED_DESCRIPTION_MAX, EMBED_TITLE_MAX, FIELD_VALUE_MAX, shorten
from cogs._render import BRAND_COLOUR

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

log = logging.getLogger(__name__)

RSVP_TEMPLATE = r"event:(?P<id>[0-9]+):(?P<choice>going|maybe|declined)"
RSVP_STYLES = {
    "going": discord.ButtonStyle.success,
    "maybe": discord.ButtonStyle.secondary,
    "declined": discord.ButtonStyle.danger,
}
CANCELLED_COLOUR = discord.Colour.dark_grey()


def rsvp_custom_id(event_id: int, choice: str) -> str:
    return f"event:{event_id}:{choice}"


def stamp(at: datetime, style: str = "F") -> str:
    """A Discord timestamp: every reader sees it in their own time zone and language."""
    return f"<t:{int(at.timestamp())}:{style}>"


def discord_span(start: datetime, end: datetime) -> str:
    """「<start, full> – <end>」: the end as a time of day when the event lasts less than a day."""
    end_style = "t" if end - start < timedelta(hours=24) else "F"
    return f"{stamp(start)} – {stamp(end, end_style)} ({stamp(start, 'R')})"


def where_text(event: EventView) -> str | None:
    parts = [p for p in (event.place, event.online_url) if p]
    return " / ".join(parts) or None


def joined_fields(fields: tuple[str, ...] | list[str]) -> Msg | str:
    """Field names (``event.field.*``) joined in each reader's own language, as one message parameter."""
    if not fields:
        return ""
    msg = Msg(f"event.field.{fields[-1]}")
    for name in reversed(fields[:-1]):
        msg = Msg("discord.event.list_join", {"head": Msg(f"event.field.{name}"), "tail": msg})
    return msg


class RsvpHandler(Protocol):
    async def rsvp(self, interaction: discord.Interaction[Any], event_id: int, choice: str) -> None: ...


class RsvpButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=RSVP_TEMPLATE):
    """参加 / 検討中 / 不参加 on an announcement; the click is answered by the events cog."""

    def __init__(self, event_id: int, choice: str, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or choice,
                style=RSVP_STYLES[choice],
                custom_id=rsvp_custom_id(event_id, choice),
                disabled=disabled,
            )
        )
        self.event_id = event_id
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RsvpButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(int(match["id"]), match["choice"], label=label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast("HubBot", interaction.client)
        cog = bot.get_cog("Events")
        if cog is None:  # the cog is being reloaded: Discord shows "interaction failed", nothing is stored
            return
        await cast(RsvpHandler, cog).rsvp(interaction, self.event_id, self.choice)


def rsvp_view(tr: Translator, lang: str, event: EventView, now: datetime) -> discord.ui.View:
    """The three buttons; disabled once answers are closed (cancelled, started)."""
    view = discord.ui.View(timeout=None)
    closed = not event.open_for_answers(now)
    for choice in RSVP_CHOICES:
        label = tr.t(lang, f"event.status.{choice}")
        view.add_item(RsvpButton(event.id, choice, label=label, disabled=closed))
    return view


def announcement_embed(tr: Translator, lang: str, event: EventView, now: datetime) -> discord.Embed:
    """The public post: what, when (each reader's zone), where, and how many are coming."""
    if event.cancelled:
        title = tr.t(lang, "discord.event.post.cancelled_title", title=event.title)
        reason = tr.t(lang, "discord.event.post.cancelled_reason", reason=event.cancel_reason or "—")
        description = reason + ("\n\n" + event.description if event.description else "")
    else:
        title, description = event.title, event.description
    embed = discord.Embed(
        title=shorten(title, EMBED_TITLE_MAX),
        description=shorten(description, EMBED_DESCRIPTION_MAX) or None,
        colour=CANCELLED_COLOUR if event.cancelled else BRAND_COLOUR,
    )
    embed.add_field(
        name=tr.t(lang, "discord.event.post.when"),
        value=discord_span(event.starts_at, event.ends_at),
        inline=False,
    )
    if event.place:
        embed.add_field(
            name=tr.t(lang, "discord.event.post.place"), value=shorten(event.place, FIELD_VALUE_MAX)
        )
    if event.online_url:
        embed.add_field(
            name=tr.t(lang, "discord.event.post.online"), value=shorten(event.online_url, FIELD_VALUE_MAX)
        )
    if event.capacity is None:
        going = tr.t(lang, "discord.event.post.count", count=event.going)
    else:
        going = tr.t(
            lang,
            "discord.event.post.going_capacity",
            going=event.going,
            capacity=event.capacity,
            left=event.seats_left or 0,
        )
    embed.add_field(name=tr.t(lang, "event.status.going"), value=going, inline=False)
    if event.capacity is not None or event.waitlist:
        embed.add_field(
            name=tr.t(lang, "event.status.waitlist"),
            value=tr.t(lang, "discord.event.post.count", count=event.waitlist),
        )
    embed.add_field(
        name=tr.t(lang, "event.status.maybe"), value=tr.t(lang, "discord.event.post.count", count=event.maybe)
    )
    footer = (
        "discord.event.post.footer" if event.open_for_answers(now) else "discord.event.post.closed_footer"
    )
    embed.set_footer(text=tr.t(lang, footer, id=event.id))
    return embed


def announcement(
    tr: Translator, lang: str, event: EventView, now: datetime
) -> tuple[discord.Embed, discord.ui.View]:
    return announcement_embed(tr, lang, event, now), rsvp_view(tr, lang, event, now)


class EventAnnouncements:
    """The notifier's event board on Discord: an event's public announcement is edited to its current state
    when its answers or details change (from either platform)."""

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot
        self._refreshing: set[tuple[int, int]] = set()
        self._dirty: set[tuple[int, int]] = set()

    async def refresh_event(self, community_id: int, event_id: int) -> None:
        """Edit the event's announcement to its current state. Never raises (a stale post is logged).

        Refreshes of one event are coalesced: while one runs, further calls only mark it dirty, and it
        runs once more at the end, so a burst of clicks costs two edits and the last one is current."""
        key = (community_id, event_id)
        if key in self._refreshing:
            self._dirty.add(key)
            return
        self._refreshing.add(key)
        try:
            while True:
                self._dirty.discard(key)
                await self._refresh_once(community_id, event_id)
                if key not in self._dirty:
                    return
        finally:
            self._refreshing.discard(key)
            self._dirty.discard(key)

    async def _refresh_once(self, community_id: int, event_id: int) -> None:
        extra = {"community_id": community_id, "event_id": event_id}
        try:
            hub = self.bot.hub
            event = await hub.events.get(community_id, event_id)
            if event.discord_channel_id is None or event.discord_message_id is None:
                return
            lang = hub.communities.by_id(community_id).default_language
            embed, view = announcement(hub.tr, lang, event, hub.clock.now())
            channel = self.bot.get_partial_messageable(event.discord_channel_id)
            await channel.get_partial_message(event.discord_message_id).edit(embed=embed, view=view)
        except DomainError as err:
            log.info("event post not refreshed", extra={**extra, "error": err.key})
        except discord.HTTPException as exc:  # the post was deleted, or the bot lost access
            log.warning("event post not refreshed", extra={**extra, "status": exc.status})
        except Exception:
            log.exception("event post not refreshed", extra=extra)
