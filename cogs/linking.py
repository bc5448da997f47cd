"""/link on Discord: show a one-time code for LINE, or enter a code that came from LINE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.identity import Identity
from bot.discord_bot import guarded, send_private
from cogs._roles import set_ambassador_role

if TYPE_CHECKING:
    from bot.discord_bot import HubBot


class Linking(commands.Cog):
    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    @app_commands.command(name="link", description="Link your LINE account")
    @app_commands.describe(code="A code you got on LINE, if any")
    @app_commands.guild_only()
    @guarded
    async def link(self, interaction: discord.Interaction[Any], code: str | None = None) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        lang = await self.bot.language_of(interaction)
        if code is None:
            issued = await self.bot.hub.links.issue(who)
            minutes = self.bot.hub.settings.registration.link_code_minutes
            embed = discord.Embed(
                title=self.bot.t(lang, "discord.link.issued_title"),
                description=self.bot.t(
                    lang,
                    "discord.link.issued_body",
                    code=issued.code,
                    minutes=minutes,
                    expires=discord.utils.format_dt(issued.expires_at, "t"),
                ),
            )
            await send_private(interaction, embed=embed)
            return
        view = await self.bot.hub.links.redeem(who, code)
        role_ok = await set_ambassador_role(interaction, ref, give=True)
        lang = view.language
        text = self.bot.t(lang, "discord.link.linked", number=view.member_number)
        if not role_ok:
            text += "\n" + self.bot.t(lang, "discord.role.not_given")
        await send_private(interaction, content=text)


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Linking(bot))
