"""Staff on Discord: /review (the contribution review queue) and /stage show|set|auto."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.contributions import PendingItem, ReviewResult
from bot.community.identity import Identity
from bot.discord_bot import guarded, send_private
from bot.i18n import Msg
from cogs._limits import EMBED_DESCRIPTION_MAX, EMBED_TITLE_MAX, MESSAGE_MAX, join_lines, shorten
from cogs._render import BRAND_COLOUR
from cogs._staff import require_staff
from cogs._views import ExpiredPanels, HubModal, OwnedView
from cogs.contributions import category_name, category_param

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

REVIEW_BUTTONS = ("review:approve", "review:reject")
ANNOUNCED_MAX = 1000  # of an approved contribution's description, in the public announcement


def pending_embed(bot: HubBot, ref: CommunityRef, lang: str, item: PendingItem, left: int) -> discord.Embed:
    embed = discord.Embed(
        title=bot.t(lang, "discord.review.title", seq=item.seq, left=left),
        description=shorten(item.description, EMBED_DESCRIPTION_MAX),
        colour=BRAND_COLOUR,
    )
    embed.add_field(
        name=bot.t(lang, "discord.review.member"), value=f"No.{item.member_number} {item.display_name or ''}"
    )
    embed.add_field(
        name=bot.t(lang, "discord.review.category"),
        value=f"{category_name(bot, ref, lang, item.category)} ({item.points}pt)",
    )
    embed.add_field(name=bot.t(lang, "discord.review.date"), value=item.occurred_on)
    if item.link:
        embed.add_field(name=bot.t(lang, "discord.review.link"), value=item.link, inline=False)
    return embed


class ReviewPanel(OwnedView):
    """One pending claim at a time, with Approve and Reject (reason asked in a form)."""

    def __init__(self, bot: HubBot, owner_id: int, lang: str, ref: CommunityRef, seq: int) -> None:
        super().__init__(bot, owner_id, lang)
        self.ref, self.seq = ref, seq
        self.button_item("review:approve").label = bot.t(lang, "discord.review.approve")
        self.button_item("review:reject").label = bot.t(lang, "discord.review.reject")

    @discord.ui.button(custom_id="review:approve", style=discord.ButtonStyle.success)
    @guarded
    async def approve(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        require_staff(interaction, self.ref)
        staff = Identity(self.ref.id, "discord", str(interaction.user.id))
        result = await self.bot.hub.contributions.review(self.ref.id, self.seq, staff, approve=True)
        await self.decided(interaction, result)

    @discord.ui.button(custom_id="review:reject", style=discord.ButtonStyle.danger)
    @guarded
    async def reject(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        require_staff(interaction, self.ref)
        await interaction.response.send_modal(RejectModal(self))

    async def decided(self, interaction: discord.Interaction[Any], result: ReviewResult) -> None:
        """Tell the member, announce an approval, then show the next claim in the same panel."""
        hub, ref = self.bot.hub, self.ref
        member = result.ambassador
        category = category_param(self.bot, ref, result.category)
        if result.approved:
            await hub.notifier.tell(
                ref.id,
                member.id,
                "discord.review.told_approved",
                seq=result.claim_seq,
                category=category,
                points=result.points,
            )
            await self.announce(result)
        else:
            await hub.notifier.tell(
                ref.id,
                member.id,
                "discord.review.told_rejected",
                seq=result.claim_seq,
                category=category,
                reason=result.reason or "",
            )
        if result.promotion is not None:
            await hub.notifier.stage_changed(ref.id, result.promotion)
        done = self.bot.t(
            self.lang,
            "discord.review.approved" if result.approved else "discord.review.rejected",
            seq=result.claim_seq,
            number=member.member_number,
        )
        self.stop()
        queue = await hub.contributions.pending(ref.id, limit=1)
        if not queue:
            await interaction.response.edit_message(
                content=done + "\n" + self.bot.t(self.lang, "discord.review.empty"), embed=None, view=None
            )
            return
        nxt = ReviewPanel(self.bot, self.owner_id, self.lang, ref, queue[0].seq)
        await interaction.response.edit_message(
            content=done,
            embed=pending_embed(self.bot, ref, self.lang, queue[0], await hub.contributions.waiting(ref.id)),
            view=nxt,
        )

    async def announce(self, result: ReviewResult) -> None:
        channel_id = self.ref.settings.contributions.announce_channel_id
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return
        lang = self.ref.default_language
        embed = discord.Embed(
            title=shorten(
                self.bot.t(
                    lang,
                    "discord.review.announce_title",
                    name=result.ambassador.display_name or "",
                    category=category_name(self.bot, self.ref, lang, result.category),
                ),
                EMBED_TITLE_MAX,
            ),
            description=shorten(result.description, ANNOUNCED_MAX),
            colour=BRAND_COLOUR,
        )
        embed.set_footer(
            text=self.bot.t(
                lang, "discord.review.announce_footer", emoji=self.ref.settings.contributions.thanks.emoji
            )
        )
        try:
            await channel.send(embed=embed)
        except discord.HTTPException:
            return


class RejectModal(HubModal):
    def __init__(self, panel: ReviewPanel) -> None:
        super().__init__(panel.bot, panel.bot.t(panel.lang, "discord.review.reject_title"))
        self.panel = panel
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="review:reason",
            label=panel.bot.t(panel.lang, "discord.review.reason"),
            style=discord.TextStyle.paragraph,
            max_length=300,
        )
        self.add_item(self.reason)

    @guarded
    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.panel.ref
        require_staff(interaction, ref)
        staff = Identity(ref.id, "discord", str(interaction.user.id))
        result = await self.bot.hub.contributions.review(
            ref.id, self.panel.seq, staff, approve=False, reason=self.reason.value
        )
        await self.panel.decided(interaction, result)


class Staff(commands.Cog):
    stage = app_commands.Group(name="stage", description="Stage of involvement", guild_only=True)

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_view(ExpiredPanels(self.bot, REVIEW_BUTTONS, ()))

    @app_commands.command(name="review", description="Review contributions (staff)")
    @app_commands.guild_only()
    @guarded
    async def review(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        queue = await self.bot.hub.contributions.pending(ref.id, limit=1)
        if not queue:
            await send_private(interaction, content=self.bot.t(lang, "discord.review.empty"))
            return
        panel = ReviewPanel(self.bot, interaction.user.id, lang, ref, queue[0].seq)
        await send_private(
            interaction,
            embed=pending_embed(
                self.bot, ref, lang, queue[0], await self.bot.hub.contributions.waiting(ref.id)
            ),
            view=panel,
        )

    @stage.command(name="show", description="Your stage")
    @guarded
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        lang = (await self.bot.hub.ambassadors.get(who)).language
        p = await self.bot.hub.stages.progress(who)
        lines = [
            self.bot.t(
                lang,
                "discord.stage.current",
                number=p.stage,
                stage=Msg(f"profile.stage.{p.stage}"),
                points=p.points,
            )
        ]
        if p.next_stage is None:
            lines.append(self.bot.t(lang, "discord.stage.top"))
        else:
            lines.append(
                self.bot.t(
                    lang,
                    "discord.stage.next",
                    number=p.next_stage,
                    stage=Msg(f"profile.stage.{p.next_stage}"),
                )
            )
            if p.points_needed:
                lines.append("・" + self.bot.t(lang, "discord.stage.points_needed", points=p.points_needed))
            for key, count in p.counts_needed.items():
                lines.append(
                    "・"
                    + self.bot.t(
                        lang,
                        "discord.stage.count_needed",
                        count=count,
                        category=category_name(self.bot, ref, lang, key),
                    )
                )
        if p.perks:
            lines.append(
                self.bot.t(lang, "discord.stage.perks") + "\n" + "\n".join(f"・{x}" for x in p.perks)
            )
        await send_private(interaction, content=join_lines(lines, MESSAGE_MAX))

    @stage.command(name="set", description="Set a stage (staff)")
    @app_commands.describe(member="Member", stage="Stage (1-4)", reason="Reason")
    @guarded
    async def set_stage(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member,
        stage: app_commands.Range[int, 1, 4],
        reason: str,
    ) -> None:
        await self._set(interaction, member, stage, reason)

    @stage.command(name="auto", description="Back to the rules (staff)")
    @app_commands.describe(member="Member", reason="Reason")
    @guarded
    async def auto_stage(
        self, interaction: discord.Interaction[Any], member: discord.Member, reason: str
    ) -> None:
        await self._set(interaction, member, None, reason)

    async def _set(
        self, interaction: discord.Interaction[Any], member: discord.Member, stage: int | None, reason: str
    ) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        target = await self.bot.hub.ambassadors.get(Identity(ref.id, "discord", str(member.id)))
        view, change = await self.bot.hub.stages.set_stage(
            ref.id, target.member_number, stage, reason, f"discord:{interaction.user.id}"
        )
        await self.bot.hub.notifier.stage_changed(ref.id, change)
        await send_private(
            interaction,
            content=self.bot.t(
                lang,
                "discord.stage.set_done",
                number=view.member_number,
                name=view.display_name or "",
                stage=view.stage,
            ),
        )


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Staff(bot))
