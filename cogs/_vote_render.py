"""How a vote looks on Discord: the public post (embed, number reactions or hidden-vote buttons), the
result (embed + bar chart) and the board that posts results when a vote closes.

Hidden votes are cast with ``VoteButton``s, ``DynamicItem``s whose custom id carries the vote and the
option (``vote:12:0``), so a click on a post made before a restart still reaches the cog. Times in public
posts are Discord timestamps: each reader's client shows their own zone.
"""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING, Any, Protocol, cast

import discord

from bot.charts.vote_chart import vote_chart
from bot.community.vote_rules import NUMBER_EMOJI
from bot.community.votes import VoteResult, VoteView
from bot.i18n import Msg, Translator
from cogs._event_render import stamp
from cogs._limits import BUTTON_LABEL_MAX, EMBED_TITLE_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX, shorten
from cogs._render import BRAND_COLOUR

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

log = logging.getLogger(__name__)

VOTE_TEMPLATE = r"vote:(?P<id>[0-9]+):(?P<option>[0-9]|clear)"
CLEAR = "clear"
CLOSED_COLOUR = discord.Colour.dark_grey()
RESULT_COLOUR = discord.Colour(0xE87722)  # the chart's winner colour


def vote_custom_id(vote_id: int, option: int | None) -> str:
    return f"vote:{vote_id}:{CLEAR if option is None else option}"


def option_line(index: int, label: str) -> str:
    return f"{NUMBER_EMOJI[index]} {label}"


def milli_text(weight_milli: int) -> str:
    """A weighted total as people read it: one decimal (12345 → 「12.3」)."""
    return f"{weight_milli / 1000:.1f}"


def mode_text(tr: Translator, lang: str, vote: VoteView) -> str:
    weighting = tr.t(lang, "vote.mode.weighted" if vote.weighted else "vote.mode.equal")
    choosing = tr.t(lang, "vote.mode.approval" if vote.approval else "vote.mode.single")
    return tr.t(lang, "discord.vote.post.mode_value", weighting=weighting, choosing=choosing)


def quorum_text(tr: Translator, lang: str, vote: VoteView) -> str:
    if not vote.quorum_needed:
        return tr.t(lang, "discord.vote.post.no_quorum")
    if vote.quorum_percent is not None:
        return tr.t(
            lang, "discord.vote.post.quorum_percent", needed=vote.quorum_needed, percent=vote.quorum_percent
        )
    return tr.t(lang, "discord.vote.post.quorum_count", needed=vote.quorum_needed)


def closes_text(vote: VoteView) -> str:
    return f"{stamp(vote.closes_at)} ({stamp(vote.closes_at, 'R')})"


def vote_embed(tr: Translator, lang: str, vote: VoteView) -> discord.Embed:
    """The public post: the question, the numbered options, how to vote and who may, until when."""
    if vote.status == "cancelled":
        title, colour = tr.t(lang, "discord.vote.post.cancelled_title", question=vote.question), CLOSED_COLOUR
    elif vote.is_open:
        title, colour = tr.t(lang, "discord.vote.post.title", question=vote.question), BRAND_COLOUR
    else:
        title, colour = tr.t(lang, "discord.vote.post.closed_title", question=vote.question), CLOSED_COLOUR
    embed = discord.Embed(
        title=shorten(title, EMBED_TITLE_MAX),
        description="\n".join(option_line(i, label) for i, label in enumerate(vote.options)),
        colour=colour,
    )
    embed.add_field(name=tr.t(lang, "discord.vote.post.mode"), value=mode_text(tr, lang, vote), inline=False)
    embed.add_field(
        name=tr.t(lang, "discord.vote.post.who"),
        value=tr.t(
            lang,
            "discord.vote.post.who_value",
            stage=vote.min_stage,
            stage_name=Msg(f"profile.stage.{vote.min_stage}"),
            eligible=vote.eligible,
        ),
        inline=False,
    )
    embed.add_field(name=tr.t(lang, "discord.vote.post.quorum"), value=quorum_text(tr, lang, vote))
    embed.add_field(name=tr.t(lang, "discord.vote.post.closes"), value=closes_text(vote))
    if vote.status == "cancelled":
        footer = "discord.vote.post.footer_cancelled"
    elif not vote.is_open:
        footer = "discord.vote.post.footer_closed"
    elif vote.hidden:
        footer = "discord.vote.post.footer_hidden"
    elif vote.approval:
        footer = "discord.vote.post.footer_approval"
    else:
        footer = "discord.vote.post.footer_single"
    embed.set_footer(text=tr.t(lang, footer, id=vote.id))
    return embed


class ChoiceHandler(Protocol):
    async def choose(
        self, interaction: discord.Interaction[Any], vote_id: int, option: int | None
    ) -> None: ...


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=VOTE_TEMPLATE):
    """One option of a hidden vote (or 「選択を取り消す」); the click is answered by the votes cog."""

    def __init__(self, vote_id: int, option: int | None, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=shorten(label or str(option), BUTTON_LABEL_MAX),
                style=discord.ButtonStyle.secondary if option is None else discord.ButtonStyle.primary,
                custom_id=vote_custom_id(vote_id, option),
                disabled=disabled,
            )
        )
        self.vote_id = vote_id
        self.option = option

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        option = None if match["option"] == CLEAR else int(match["option"])
        return cls(int(match["id"]), option, label=label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast("HubBot", interaction.client)
        cog = bot.get_cog("Votes")
        if cog is None:  # the cog is being reloaded: Discord shows "interaction failed", nothing is stored
            return
        await cast(ChoiceHandler, cog).choose(interaction, self.vote_id, self.option)


def vote_buttons(tr: Translator, lang: str, vote: VoteView) -> discord.ui.View:
    """A hidden vote's buttons: one per option, then 「選択を取り消す」; disabled once it is not open."""
    view = discord.ui.View(timeout=None)
    for index, label in enumerate(vote.options):
        view.add_item(VoteButton(vote.id, index, label=option_line(index, label), disabled=not vote.is_open))
    clear = tr.t(lang, "discord.vote.post.clear_button")
    view.add_item(VoteButton(vote.id, None, label=clear, disabled=not vote.is_open))
    return view


def vote_post(tr: Translator, lang: str, vote: VoteView) -> tuple[discord.Embed, discord.ui.View | None]:
    return vote_embed(tr, lang, vote), vote_buttons(tr, lang, vote) if vote.hidden else None


def outcome_text(tr: Translator, lang: str, vote: VoteView, result: VoteResult) -> str:
    winners = result.winners
    if not result.voters or not winners:
        return tr.t(lang, "discord.vote.result.no_ballots")
    named = tr.t(lang, "discord.vote.result.separator").join(option_line(i, vote.options[i]) for i in winners)
    key = "discord.vote.result.tie" if len(winners) > 1 else "discord.vote.result.winner"
    return tr.t(lang, key, options=named)


def result_embed(
    tr: Translator, lang: str, vote: VoteView, result: VoteResult, *, live: bool = False
) -> discord.Embed:
    """Counts (and weighted totals), turnout, quorum and the outcome; ``live`` for an open vote."""
    title_key = "discord.vote.result.live_title" if live else "discord.vote.result.title"
    embed = discord.Embed(
        title=shorten(tr.t(lang, title_key, id=vote.id, question=vote.question), EMBED_TITLE_MAX),
        description=None if live else outcome_text(tr, lang, vote, result),
        colour=BRAND_COLOUR if live else RESULT_COLOUR,
    )
    winners = set(result.winners) if not live else set()
    for option in result.options:
        if result.weighted:
            value = tr.t(
                lang,
                "discord.vote.result.weighted",
                count=option.count,
                weight=milli_text(option.weight_milli),
            )
        else:
            value = tr.t(lang, "discord.vote.result.count", count=option.count)
        name = option_line(option.index, option.label) + (" 🏆" if option.index in winners else "")
        embed.add_field(
            name=shorten(name, FIELD_NAME_MAX), value=shorten(value, FIELD_VALUE_MAX), inline=False
        )
    embed.add_field(
        name=tr.t(lang, "discord.vote.result.turnout"),
        value=tr.t(
            lang,
            "discord.vote.result.turnout_value",
            voters=result.voters,
            eligible=result.eligible,
            percent=f"{result.turnout_percent:.0f}",
        ),
    )
    if result.quorum_needed:
        met = "discord.vote.result.quorum_met" if result.quorum_met else "discord.vote.result.quorum_not_met"
        quorum = tr.t(lang, met, needed=result.quorum_needed)
    else:
        quorum = tr.t(lang, "discord.vote.post.no_quorum")
    embed.add_field(name=tr.t(lang, "discord.vote.post.quorum"), value=quorum)
    if live:
        embed.add_field(name=tr.t(lang, "discord.vote.post.closes"), value=closes_text(vote), inline=False)
    else:
        embed.set_image(url=f"attachment://{chart_name(vote)}")
    return embed


def chart_name(vote: VoteView) -> str:
    return f"vote-{vote.id}.png"


def result_message(
    tr: Translator, lang: str, vote: VoteView, result: VoteResult
) -> tuple[discord.Embed, discord.File]:
    """The closed vote's result embed with its bar chart attached (shown as the embed's image)."""
    chart = discord.File(io.BytesIO(vote_chart(result)), filename=chart_name(vote))
    return result_embed(tr, lang, vote, result), chart


class VoteResults:
    """The notifier's vote board on Discord: when a vote closes, its result is posted as a reply to the vote
    (with the chart), and the vote's own post is edited to say it closed."""

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    def serves(self, vote: VoteView) -> bool:
        """True for a vote posted on Discord in a server this bot is in."""
        if vote.discord_channel_id is None or vote.discord_message_id is None:
            return False
        ref = self.bot.hub.communities.by_id(vote.community_id)
        return (
            ref.settings.discord is not None and self.bot.get_guild(ref.settings.discord.guild_id) is not None
        )

    async def post_vote_result(self, vote: VoteView) -> None:
        if not self.serves(vote) or vote.result is None:
            return
        assert vote.discord_channel_id is not None and vote.discord_message_id is not None
        hub = self.bot.hub
        lang = hub.communities.by_id(vote.community_id).default_language
        embed, chart = result_message(hub.tr, lang, vote, vote.result)
        reference = discord.MessageReference(
            message_id=vote.discord_message_id, channel_id=vote.discord_channel_id, fail_if_not_exists=False
        )
        extra = {"community_id": vote.community_id, "vote_id": vote.id}
        try:
            channel = self.bot.get_partial_messageable(vote.discord_channel_id)
            await channel.send(embed=embed, file=chart, reference=reference)
        except discord.HTTPException as exc:  # the channel was deleted, or the bot lost access
            log.warning("vote result not posted", extra={**extra, "status": exc.status})
        await self.refresh_post(vote)

    async def refresh_post(self, vote: VoteView) -> bool:
        """Edit the vote's post to its state (closed, cancelled; hidden-vote buttons disabled)."""
        if not self.serves(vote):
            return False
        assert vote.discord_channel_id is not None and vote.discord_message_id is not None
        hub = self.bot.hub
        lang = hub.communities.by_id(vote.community_id).default_language
        embed, view = vote_post(hub.tr, lang, vote)
        try:
            message = self.bot.get_partial_messageable(vote.discord_channel_id).get_partial_message(
                vote.discord_message_id
            )
            await message.edit(embed=embed, view=view)
        except discord.HTTPException as exc:
            log.warning(
                "vote post not refreshed",
                extra={"community_id": vote.community_id, "vote_id": vote.id, "status": exc.status},
            )
            return False
        return True
