"""Votes (投票) on Discord: staff open, close and cancel them; members vote with number reactions (or with
buttons on a hidden vote), see results, their weight and the votes open to them.

Staff: /vote create|close|cancel. Everyone: /vote results|weight and /votes. The rules (who may vote, weights,
one ballot per member across platforms, closing once) live in ``bot.community.votes``; this cog translates
between them and Discord. Reactions go through ``VoteReactions`` (one queue, applied in arrival order), and
results are posted by the ``VoteResults`` board when the hub closes a vote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.text import typed_number
from bot.community.vote_rules import NUMBER_EMOJI
from bot.community.votes import VoteDraft, VoteView, WeightExplanation
from bot.discord_bot import guarded, send_private
from bot.i18n import Msg, When
from cogs._limits import CHOICE_NAME_MAX, EmbedParts, Field, shorten
from cogs._pages import page_buttons, send_pages
from cogs._render import BRAND_COLOUR
from cogs._staff import require_staff
from cogs._subcommittee_render import author_scope, subcommittee_options
from cogs._views import ExpiredPanels, OwnedView
from cogs._vote_reactions import Reconcile, VoteReactions
from cogs._vote_render import (
    VoteButton,
    VoteResults,
    closes_text,
    mode_text,
    option_line,
    quorum_text,
    result_embed,
    result_message,
    vote_post,
)

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

ACTION_BUTTONS = ("vote-action:confirm", "vote-action:keep")
PAGES = "votes-pages"
VOTES_LISTED = 100  # /votes shows every open vote, in pages


def vote_id(raw: str) -> int:
    """The vote picked: autocomplete sends its number; 「#12」 or 「12 予算」 typed also work."""
    head = raw.strip().lstrip("#").split(" ")[0] if raw.strip() else ""
    number = typed_number(head)
    if number is None:
        raise DomainError("vote.error.not_found", id=raw.strip()[:30])
    return number


def vote_choice(vote: VoteView, tz: str) -> app_commands.Choice[str]:
    """「#12 島の予算をどこに使う？ (2026/11/25 18:00)」: the closing time in the community's zone."""
    date = vote.closes_at.astimezone(ZoneInfo(tz)).strftime("%Y/%m/%d %H:%M")
    suffix = f" ({date})"
    head = f"#{vote.id} "
    question = shorten(vote.question, CHOICE_NAME_MAX - len(head) - len(suffix))
    return app_commands.Choice(name=f"{head}{question}{suffix}", value=str(vote.id))


def weight_text(weight_milli: int) -> str:
    return f"{weight_milli / 1000:.2f}"


class ActionPanel(OwnedView):
    """Closing early publishes the result at once; cancelling counts nothing. Neither can be undone."""

    def __init__(self, cog: Votes, owner_id: int, lang: str, ref: CommunityRef, vote: VoteView, action: str):
        super().__init__(cog.bot, owner_id, lang)
        self.cog, self.ref, self.vote_id, self.action = cog, ref, vote.id, action
        self.button_item("vote-action:confirm").label = cog.bot.t(
            lang, f"discord.vote.{action}.confirm_button"
        )
        self.button_item("vote-action:keep").label = cog.bot.t(lang, "discord.vote.keep_button")

    @discord.ui.button(custom_id="vote-action:confirm", style=discord.ButtonStyle.danger)
    @guarded
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        require_staff(interaction, self.ref)
        await interaction.response.defer()
        hub = self.bot.hub
        staff = self.bot.identity_of(interaction)
        if self.action == "close":
            vote = await hub.votes.close(self.ref.id, self.vote_id, staff)
            self.stop()
            await hub.vote_closer.publish(vote)  # the result through the board, the ballot points once
        else:
            vote = await hub.votes.cancel(self.ref.id, self.vote_id, staff)
            self.stop()
            await self.cog.board.refresh_post(vote)
        text = self.bot.t(self.lang, f"discord.vote.{self.action}.done", id=vote.id, question=vote.question)
        await interaction.edit_original_response(content=text, view=None)

    @discord.ui.button(custom_id="vote-action:keep", style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, f"discord.vote.{self.action}.kept"), view=None
        )


class Votes(commands.Cog):
    vote_group = app_commands.Group(name="vote", description="Votes", guild_only=True)

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot
        self.board = VoteResults(bot)
        self.reactions = VoteReactions(bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(VoteButton)
        self.bot.add_view(ExpiredPanels(self.bot, ACTION_BUTTONS + page_buttons(PAGES), ()))
        self.bot.hub.notifier.attach_board(self.board)  # replaces one an earlier bot on this hub left
        if self.bot.is_ready():  # loaded into a running bot: on_ready has passed
            self.reactions.submit(Reconcile())

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(VoteButton)
        self.bot.hub.notifier.detach_board(self.board)
        self.reactions.stop()

    # --- gateway events ------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.reactions.submit(Reconcile())

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.reactions.from_payload(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self.reactions.from_payload(payload, added=False)

    # --- autocomplete --------------------------------------------------------------------------------
    async def _choices(
        self, interaction: discord.Interaction[Any], current: str, *, open_only: bool
    ) -> list[app_commands.Choice[str]]:
        ref = self.bot.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return []
        found = await self.bot.hub.votes.search(ref.id, str(current or ""), open_only=open_only)
        return [vote_choice(v, ref.settings.timezone) for v in found]

    async def open_votes(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, open_only=True)

    async def any_votes(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, open_only=False)

    # --- staff ---------------------------------------------------------------------------------------
    @vote_group.command(name="create", description="Open a vote")
    @app_commands.describe(
        question="The question",
        options="2-10 options separated by | or 、",
        closes="Closing time or duration (e.g. 3d, 48h)",
        weighted="Weighted by contribution",
        approval="Members may choose several options",
        min_stage="Minimum stage of involvement (1-4)",
        quorum="Quorum (e.g. 30% or 20)",
        hidden="Hidden: buttons, results after closing",
        subcommittee="Subcommittee (only its members vote)",
    )
    @app_commands.autocomplete(subcommittee=subcommittee_options)
    @guarded
    async def create(
        self,
        interaction: discord.Interaction[Any],
        question: str,
        options: str,
        closes: str,
        weighted: bool = False,
        approval: bool = False,
        min_stage: app_commands.Range[int, 1, 4] = 1,
        quorum: str | None = None,
        hidden: bool = False,
        subcommittee: str | None = None,
    ) -> None:
        ref = self.bot.community_of(interaction)
        hub = self.bot.hub
        staff, sub = await author_scope(hub, interaction, ref, subcommittee)
        lang = await self.bot.language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = VoteDraft(
            question=question,
            options=options,
            closes=closes,
            weighted=weighted,
            approval=approval,
            min_stage=min_stage,
            quorum=quorum,
            hidden=hidden,
            subcommittee_id=sub.id if sub else None,
        )
        vote = await hub.votes.open(ref.id, self.bot.identity_of(interaction), draft, is_staff=staff)
        lines = [self.bot.t(lang, "discord.vote.created", id=vote.id, question=vote.question)]
        lines += self.details(ref, lang, vote)
        lines += await self.post(ref, vote, lang)
        report = await hub.offers.offer_vote(vote)
        lines.append(self.bot.t(lang, "discord.vote.line_offered", count=report.sent))
        if report.over_budget:
            lines.append(self.bot.t(lang, "discord.vote.line_over_budget", count=report.over_budget))
        if report.failed:
            lines.append(self.bot.t(lang, "discord.vote.line_failed", count=report.failed))
        await send_private(interaction, content="\n".join(lines))

    def details(self, ref: CommunityRef, lang: str, vote: VoteView) -> list[str]:
        """What was understood: closing time, mode, who may vote, quorum."""
        tz = ref.settings.timezone
        lines = [
            self.bot.t(lang, "discord.vote.closes_line", tz=tz, closes=When(vote.closes_at)),
            self.bot.t(lang, "discord.vote.mode_line", mode=mode_text(self.bot.hub.tr, lang, vote)),
            self.bot.t(lang, "discord.vote.who_line", stage=vote.min_stage, eligible=vote.eligible),
            self.bot.t(lang, "discord.vote.quorum_line", quorum=quorum_text(self.bot.hub.tr, lang, vote)),
        ]
        if vote.hidden:
            lines.append(self.bot.t(lang, "discord.vote.hidden_line"))
        return lines

    async def post(self, ref: CommunityRef, vote: VoteView, lang: str) -> list[str]:
        """The public post, then its number reactions (after it is stored, so every reaction finds it)."""
        channel_id = ref.settings.discord.announcement_channel_id if ref.settings.discord else None
        if channel_id is None:
            return [self.bot.t(lang, "discord.vote.not_posted_no_channel")]
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return [self.bot.t(lang, "discord.vote.not_posted_failed", channel=f"<#{channel_id}>")]
        embed, buttons = vote_post(self.bot.hub.tr, ref.default_language, vote)
        try:
            message = await (
                channel.send(embed=embed, view=buttons) if buttons is not None else channel.send(embed=embed)
            )
        except discord.HTTPException:
            return [self.bot.t(lang, "discord.vote.not_posted_failed", channel=channel.mention)]
        await self.bot.hub.votes.set_discord_post(
            ref.id, vote.id, channel_id=channel.id, message_id=message.id
        )
        lines = [self.bot.t(lang, "discord.vote.posted", channel=channel.mention)]
        if not vote.hidden:
            try:
                for index in range(len(vote.options)):
                    await message.add_reaction(NUMBER_EMOJI[index])
            except discord.HTTPException:  # Forbidden: no Add Reactions
                lines.append(self.bot.t(lang, "discord.vote.reactions_failed"))
        return lines

    @vote_group.command(name="close", description="Close a vote now")
    @app_commands.describe(vote="Vote")
    @app_commands.autocomplete(vote=open_votes)
    @guarded
    async def close(self, interaction: discord.Interaction[Any], vote: str) -> None:
        await self.ask(interaction, vote, "close")

    @vote_group.command(name="cancel", description="Cancel a vote")
    @app_commands.describe(vote="Vote")
    @app_commands.autocomplete(vote=open_votes)
    @guarded
    async def cancel(self, interaction: discord.Interaction[Any], vote: str) -> None:
        await self.ask(interaction, vote, "cancel")

    async def ask(self, interaction: discord.Interaction[Any], raw: str, action: str) -> None:
        """The confirmation panel for closing or cancelling (staff only, checked again on confirm)."""
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        found = await self.bot.hub.votes.get(ref.id, vote_id(raw))
        if found.status == "cancelled":
            raise DomainError("vote.error.cancelled")
        if not found.is_open:
            raise DomainError("vote.error.closed")
        panel = ActionPanel(self, interaction.user.id, lang, ref, found, action)
        text = self.bot.t(
            lang,
            f"discord.vote.{action}.confirm",
            id=found.id,
            question=found.question,
            voters=found.voters,
            eligible=found.eligible,
        )
        await send_private(interaction, content=text, view=panel)

    # --- everyone ------------------------------------------------------------------------------------
    @vote_group.command(name="results", description="A vote's result")
    @app_commands.describe(vote="Vote")
    @app_commands.autocomplete(vote=any_votes)
    @guarded
    async def results(self, interaction: discord.Interaction[Any], vote: str) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        found = await self.bot.hub.votes.get(ref.id, vote_id(vote))
        tr = self.bot.hub.tr
        params = {"id": found.id, "question": found.question}
        if found.status == "cancelled":
            await send_private(
                interaction, content=self.bot.t(lang, "discord.vote.results.cancelled", **params)
            )
        elif found.is_open and found.result is None:  # hidden until it closes
            text = self.bot.t(lang, "discord.vote.results.hidden", closes=closes_text(found), **params)
            await send_private(interaction, content=text)
        elif found.is_open:
            assert found.result is not None
            await send_private(interaction, embed=result_embed(tr, lang, found, found.result, live=True))
        elif found.result is None:  # being counted this very moment
            await send_private(
                interaction, content=self.bot.t(lang, "discord.vote.results.counting", **params)
            )
        else:
            embed, chart = result_message(tr, lang, found, found.result)
            await interaction.response.send_message(embed=embed, file=chart, ephemeral=True)

    @vote_group.command(name="weight", description="Your voting weight, explained")
    @app_commands.describe(vote="Vote (empty: with your points today)")
    @app_commands.autocomplete(vote=any_votes)
    @guarded
    async def weight(self, interaction: discord.Interaction[Any], vote: str | None = None) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        hub = self.bot.hub
        chosen = await hub.votes.get(ref.id, vote_id(vote)) if vote is not None else None
        explained = await hub.votes.weight(self.bot.identity_of(interaction), chosen.id if chosen else None)
        lines = self.weight_lines(lang, explained)
        if chosen is None:
            lines.append(self.bot.t(lang, "discord.vote.weight.note"))
        elif not explained.eligible:
            lines.append(
                self.bot.t(lang, "discord.vote.weight.not_eligible", id=chosen.id, stage=chosen.min_stage)
            )
        elif not chosen.weighted:
            lines.append(self.bot.t(lang, "discord.vote.weight.equal", id=chosen.id))
        else:
            lines.append(
                self.bot.t(
                    lang,
                    "discord.vote.weight.fixed",
                    id=chosen.id,
                    points=explained.vote_points or 0,
                    weight=weight_text(explained.vote_weight_milli or 0),
                )
            )
        await send_private(interaction, content="\n".join(lines))

    def weight_lines(self, lang: str, e: WeightExplanation) -> list[str]:
        """Today's points through the community's curve: 「min(5, 1 + 0.2 × √100) = 3.00」."""
        curve = Msg(f"discord.vote.weight.curve.{e.curve}", {"points": e.points})
        lines = [
            self.bot.t(lang, "discord.vote.weight.points", points=e.points),
            self.bot.t(
                lang,
                "discord.vote.weight.formula",
                cap=f"{e.cap:g}",
                base=f"{e.base:g}",
                scale=f"{e.scale:g}",
                curve=curve,
                weight=weight_text(e.weight_milli),
            ),
        ]
        if e.capped:
            lines.append(self.bot.t(lang, "discord.vote.weight.capped", cap=f"{e.cap:g}"))
        return lines

    @app_commands.command(name="votes", description="Votes open to you")
    @app_commands.guild_only()
    @guarded
    async def votes(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        items = await self.bot.hub.votes.open_for(self.bot.identity_of(interaction), limit=VOTES_LISTED)
        guild_id = ref.settings.discord.guild_id if ref.settings.discord else None
        separator = self.bot.t(lang, "discord.vote.separator")
        fields: list[Field] = []
        for vote, choices in items:
            lines = [
                self.bot.t(lang, "discord.votes.closes", closes=closes_text(vote)),
                mode_text(self.bot.hub.tr, lang, vote),
            ]
            if guild_id and vote.discord_channel_id and vote.discord_message_id:
                url = f"https://discord.com/channels/{guild_id}/{vote.discord_channel_id}/{vote.discord_message_id}"
                key = "discord.votes.open_hidden" if vote.hidden else "discord.votes.open_post"
                lines.append(self.bot.t(lang, key, url=url))
            if choices:  # last: a long list of choices is what gets shortened if the field is full
                chosen = separator.join(option_line(i, vote.options[i]) for i in choices)
                lines.append(self.bot.t(lang, "discord.votes.your_choice", choices=chosen))
            else:
                lines.append(self.bot.t(lang, "discord.votes.not_voted"))
            fields.append(Field(f"#{vote.id} {vote.question}", "\n".join(lines)))
        pages = EmbedParts(
            title=self.bot.t(lang, "discord.votes.title"),
            description=None if items else self.bot.t(lang, "discord.votes.empty"),
            fields=fields,
            footer=self.bot.t(lang, "discord.votes.footer"),
            colour=BRAND_COLOUR,
        ).pages()
        await send_pages(interaction, pages, self.bot, lang, PAGES)

    # --- hidden votes: the buttons -------------------------------------------------------------------
    async def choose(self, interaction: discord.Interaction[Any], vote_id: int, option: int | None) -> None:
        """A click on a hidden vote's button (called by ``VoteButton``, also after a restart): the member's
        own choice, told only to them."""
        hub = self.bot.hub
        try:
            who = self.bot.identity_of(interaction)
            if option is None:
                result = await hub.votes.withdraw(who, vote_id)
            else:
                result = await hub.votes.cast(who, vote_id, option, "button", toggle=True)
            lang = await self.bot.language_of(interaction)
        except Exception as exc:  # a DynamicItem has no view error handler: answer here, log bugs
            await self.bot.report_error(interaction, exc)
            return
        vote = result.vote
        separator = self.bot.t(lang, "discord.vote.separator")
        chosen = separator.join(option_line(i, vote.options[i]) for i in result.options)
        if not result.options:
            key = "discord.vote.button.none"
        elif result.changed:
            key = "discord.vote.button.recorded"
        else:
            key = "discord.vote.button.unchanged"
        text = self.bot.t(lang, key, id=vote.id, question=vote.question, choices=chosen)
        text += "\n" + self.bot.t(lang, "discord.vote.button.private", closes=closes_text(vote))
        await send_private(interaction, content=text)


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Votes(bot))
