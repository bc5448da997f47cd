"""Contributions on Discord: /contribute, /thanks (and the thanks reaction), /contributions, /leaderboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.discord_bot import guarded, send_private
from bot.discord_translator import fixed_choice
from bot.i18n import Msg
from cogs._limits import (
    CHOICES_MAX,
    EMBED_DESCRIPTION_MAX,
    EMBED_TITLE_MAX,
    EmbedParts,
    Field,
    join_lines,
    shorten,
)
from cogs._pages import page_buttons, send_pages
from cogs._render import BRAND_COLOUR
from cogs._views import ExpiredPanels

if TYPE_CHECKING:
    from bot.discord_bot import HubBot


def category_name(bot: HubBot, ref: CommunityRef, lang: str, key: str) -> str:
    """A category's name: configured for the community's own ones, from the catalogs for the six."""
    configured = ref.settings.contributions.category(key)
    if configured is not None and (configured.name_ja or configured.name_en):
        return (configured.name_ja if lang == "ja" else configured.name_en) or key
    return bot.t(lang, f"contribution.category.{key}")


def category_param(bot: HubBot, ref: CommunityRef, key: str) -> Msg | str:
    """A category name for a message to a member: translated in their language where the catalog has it."""
    if bot.hub.tr.has(f"contribution.category.{key}"):
        return Msg(f"contribution.category.{key}")
    return category_name(bot, ref, ref.default_language, key)


PAGES = "contributions-pages"


class Contributions(commands.Cog):
    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_view(ExpiredPanels(self.bot, page_buttons(PAGES), ()))

    async def categories(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        ref = self.bot.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return []
        lang = await self.bot.language_of(interaction)
        wanted = current.casefold()
        choices = [
            app_commands.Choice(name=category_name(self.bot, ref, lang, c.key), value=c.key)
            for c in ref.settings.contributions.categories
        ]
        return [c for c in choices if wanted in c.name.casefold() or wanted in c.value][:CHOICES_MAX]

    @app_commands.command(name="contribute", description="Log a contribution")
    @app_commands.describe(
        category="Kind of contribution",
        what="What you did",
        when="When (e.g. 2026-11-20, today)",
        link="A related link",
        attachment="A photo or document",
    )
    @app_commands.autocomplete(category=categories)
    @app_commands.guild_only()
    @guarded
    async def contribute(
        self,
        interaction: discord.Interaction[Any],
        category: str,
        what: str,
        when: str = "",
        link: str | None = None,
        attachment: discord.Attachment | None = None,
    ) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        result = await self.bot.hub.contributions.log(
            who, category, what, when, link or (attachment.url if attachment else None)
        )
        lang = result.ambassador.language
        name = category_name(self.bot, ref, lang, result.category)
        if result.status == "pending":
            text = self.bot.t(
                lang, "discord.contribute.pending", seq=result.seq, category=name, points=result.points
            )
        else:
            total = await self.bot.hub.contributions.points(who)
            text = self.bot.t(
                lang,
                "discord.contribute.approved",
                seq=result.seq,
                category=name,
                points=result.points,
                total=total,
            )
        if result.promotion is not None:
            await self.bot.hub.notifier.stage_changed(ref.id, result.promotion, tell=False)
            text += "\n" + self.bot.t(
                lang,
                "stage.promoted_message",
                stage=Msg(f"profile.stage.{result.promotion.new}"),
                number=result.promotion.new,
            )
        await send_private(interaction, content=text)

    @app_commands.command(name="thanks", description="Thank a member")
    @app_commands.describe(member="Who", reason="What for")
    @app_commands.guild_only()
    @guarded
    async def thanks(
        self, interaction: discord.Interaction[Any], member: discord.Member, reason: str
    ) -> None:
        ref = self.bot.community_of(interaction)
        if member.bot:
            raise DomainError("thanks.error.bot")
        giver = Identity(ref.id, "discord", str(interaction.user.id))
        receiver = Identity(ref.id, "discord", str(member.id))
        result = await self.bot.hub.contributions.thank(giver, receiver, reason)
        await self._after_thanks(ref, result.receiver.id, result.giver.display_name or "", reason, result)
        lang = result.giver.language
        await send_private(
            interaction,
            content=self.bot.t(
                lang, "discord.thanks.sent", name=result.receiver.display_name or "", points=result.points
            ),
        )

    async def _after_thanks(
        self, ref: CommunityRef, receiver_id: int, giver_name: str, reason: str, result: Any
    ) -> None:
        await self.bot.hub.notifier.tell(
            ref.id,
            receiver_id,
            "discord.thanks.received",
            name=giver_name,
            reason=reason,
            points=result.points,
        )
        if result.promotion is not None:
            await self.bot.hub.notifier.stage_changed(ref.id, result.promotion)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """The configured emoji (🙏) on a member's message is a thanks, counted once per message and giver."""
        ref = self.bot.hub.communities.by_guild(payload.guild_id)
        if ref is None or str(payload.emoji) != ref.settings.contributions.thanks.emoji:
            return
        if payload.member is not None and payload.member.bot:
            return
        author_id = payload.message_author_id or await self._author_of(payload)
        if author_id is None:
            return
        giver = Identity(ref.id, "discord", str(payload.user_id))
        receiver = Identity(ref.id, "discord", str(author_id))
        try:
            result = await self.bot.hub.contributions.thank(
                giver,
                receiver,
                self.bot.t(ref.default_language, "discord.thanks.reaction_reason"),
                source=f"discord-msg:{payload.message_id}",
            )
        except DomainError as err:
            # Only limits are worth a word to the giver; self, strangers and repeats stay quiet.
            if err.key in ("thanks.error.daily_limit", "thanks.error.pair_cap"):
                view = await self.bot.hub.ambassadors.find(giver)
                if view is not None:
                    await self.bot.hub.notifier.tell(ref.id, view.id, err.key, **err.params)
            return
        await self._after_thanks(
            ref,
            result.receiver.id,
            result.giver.display_name or "",
            self.bot.t(result.receiver.language, "discord.thanks.reaction_reason"),
            result,
        )

    async def _author_of(self, payload: discord.RawReactionActionEvent) -> int | None:
        """Discord normally says who wrote the message; if not, the cache, else one fetch."""
        cached = discord.utils.get(self.bot.cached_messages, id=payload.message_id)
        if cached is not None:
            return cached.author.id
        channel = self.bot.get_channel(payload.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return None
        try:
            return (await channel.fetch_message(payload.message_id)).author.id
        except discord.HTTPException:
            return None

    @app_commands.command(name="contributions", description="Your contributions")
    @app_commands.guild_only()
    @guarded
    async def contributions(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        view = await self.bot.hub.ambassadors.get(who)
        lang = view.language
        items = await self.bot.hub.contributions.history(who, limit=10)
        total = await self.bot.hub.contributions.points(who)
        pending = await self.bot.hub.contributions.pending_count(who)
        fields = [] if items else [Field("—", self.bot.t(lang, "discord.history.empty"))]
        for item in items:
            status = self.bot.t(lang, f"contribution.status.{item.status}")
            name = category_name(self.bot, ref, lang, item.category)
            value = item.description or "—"
            if item.reason:
                value += "\n" + self.bot.t(lang, "discord.history.reason", reason=item.reason)
            fields.append(Field(f"#{item.seq} {item.occurred_on} {name} · {item.points}pt · {status}", value))
        pages = EmbedParts(
            title=self.bot.t(lang, "discord.history.title", name=view.display_name or ""),
            description=self.bot.t(lang, "discord.history.summary", total=total, pending=pending),
            fields=fields,
            colour=BRAND_COLOUR,
        ).pages()
        await send_pages(interaction, pages, self.bot, lang, PAGES)

    @app_commands.command(name="leaderboard", description="Contribution ranking")
    @app_commands.describe(period="Period", category="Kind of contribution")
    @app_commands.choices(
        period=[
            fixed_choice("All time", "all", key="slash.leaderboard.option.period.choice.all"),
            fixed_choice("This month", "month", key="slash.leaderboard.option.period.choice.month"),
        ]
    )
    @app_commands.autocomplete(category=categories)
    @app_commands.guild_only()
    @guarded
    async def leaderboard(
        self, interaction: discord.Interaction[Any], period: str = "all", category: str | None = None
    ) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        rows = await self.bot.hub.contributions.leaderboard(ref.id, period, category)
        title = self.bot.t(
            lang, "discord.leaderboard.title_month" if period == "month" else "discord.leaderboard.title_all"
        )
        if category:
            title += f" · {category_name(self.bot, ref, lang, category)}"
        lines = [f"{r.rank}. No.{r.member_number} {r.display_name or ''} — {r.points}pt" for r in rows]
        embed = discord.Embed(
            title=shorten(title, EMBED_TITLE_MAX),
            description=join_lines(lines, EMBED_DESCRIPTION_MAX)
            or self.bot.t(lang, "discord.leaderboard.empty"),
            colour=BRAND_COLOUR,
        )
        await send_private(interaction, embed=embed)


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Contributions(bot))
