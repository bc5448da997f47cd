"""Privacy on Discord: /privacy (fields kept from staff), /mydata (a JSON copy of one's data), and the gate
in front of every slash command that stops a suspended member and asks for consent to a newer notice.

The rules are in ``hub.privacy`` (bot/community/privacy.py); this only shows panels and files.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.identity import Identity
from bot.community.privacy import PRIVATE_FIELDS
from bot.discord_bot import guarded, send_private
from cogs._render import BRAND_COLOUR
from cogs._views import ExpiredPanels, OwnedView

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

# A member who does not accept a newer notice may still leave (and so erase their data).
CONSENT_EXEMPT = ("leave",)
PANEL_BUTTONS = ("privacy:agree", "privacy:decline")
PANEL_SELECTS = ("privacy:fields",)


def fields_text(bot: HubBot, lang: str, fields: tuple[str, ...]) -> str:
    if not fields:
        return bot.t(lang, "discord.privacy.none")
    return bot.t(lang, "profile.list_separator").join(bot.t(lang, f"privacy.field.{f}") for f in fields)


class PrivacyPanel(OwnedView):
    """A select of the fields to keep from staff, the current choice ticked."""

    def __init__(
        self, bot: HubBot, owner_id: int, lang: str, ref: CommunityRef, current: tuple[str, ...]
    ) -> None:
        super().__init__(bot, owner_id, lang)
        self.ref = ref
        select = self.select_item("privacy:fields")
        select.placeholder = bot.t(lang, "discord.privacy.placeholder")
        select.options = [
            discord.SelectOption(label=bot.t(lang, f"privacy.field.{f}"), value=f, default=f in current)
            for f in PRIVATE_FIELDS
        ]
        select.max_values = len(PRIVATE_FIELDS)

    @discord.ui.select(
        custom_id="privacy:fields",
        min_values=0,
        max_values=4,
        options=[discord.SelectOption(label=f, value=f) for f in PRIVATE_FIELDS],
    )
    @guarded
    async def pick(self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]) -> None:
        who = Identity(self.ref.id, "discord", str(interaction.user.id))
        chosen = await self.bot.hub.privacy.set_private_fields(who, select.values)
        fresh = PrivacyPanel(self.bot, self.owner_id, self.lang, self.ref, chosen)
        self.stop()  # before the fresh panel (same custom ids) is stored
        content = (
            self.bot.t(self.lang, "discord.privacy.saved")
            + "\n"
            + self.bot.t(self.lang, "discord.privacy.body", fields=fields_text(self.bot, self.lang, chosen))
        )
        await interaction.response.edit_message(content=content, view=fresh)


class ConsentPanel(OwnedView):
    """The newer privacy notice, with Agree and Decline; agreeing records consent to that version."""

    def __init__(
        self, bot: HubBot, owner_id: int, lang: str, ref: CommunityRef, version: str, url: str
    ) -> None:
        super().__init__(bot, owner_id, lang)
        self.ref, self.version = ref, version
        self.button_item("privacy:agree").label = bot.t(lang, "discord.consent.agree_button")
        self.button_item("privacy:decline").label = bot.t(lang, "discord.consent.decline_button")
        self.add_item(discord.ui.Button(label=bot.t(lang, "discord.consent.notice_button"), url=url))

    @discord.ui.button(custom_id="privacy:agree", style=discord.ButtonStyle.success)
    @guarded
    async def agree(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        who = Identity(self.ref.id, "discord", str(interaction.user.id))
        await self.bot.hub.privacy.accept_notice(who, self.version)
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.consent.accepted"), embed=None, view=None
        )

    @discord.ui.button(custom_id="privacy:decline", style=discord.ButtonStyle.secondary)
    @guarded
    async def decline(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.consent.declined"), embed=None, view=None
        )


class Privacy(commands.Cog):
    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_view(ExpiredPanels(self.bot, PANEL_BUTTONS, PANEL_SELECTS))
        self.bot.command_gates.append(self.gate)

    async def cog_unload(self) -> None:
        if self.gate in self.bot.command_gates:
            self.bot.command_gates.remove(self.gate)

    async def gate(self, interaction: discord.Interaction[Any]) -> bool:
        """Before any slash command: a suspended member is told so; a member who has not accepted the
        community's newer privacy notice is shown it first (and runs the command again after agreeing)."""
        if interaction.type is not discord.InteractionType.application_command:
            return True  # autocomplete: nothing to answer with
        ref = self.bot.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return True
        standing = await self.bot.hub.privacy.standing(Identity(ref.id, "discord", str(interaction.user.id)))
        if not standing.registered:
            return True
        lang = standing.language or ref.default_language
        if standing.suspended:
            await send_private(interaction, content=self.bot.t(lang, "profile.error.suspended"))
            return False
        data: Any = interaction.data or {}
        if not standing.needs_consent or data.get("name") in CONSENT_EXEMPT:
            return True
        assert standing.notice_version is not None
        embed = discord.Embed(
            title=self.bot.t(lang, "discord.consent.title", version=standing.notice_version),
            description=self.bot.t(lang, "discord.consent.body", url=standing.notice_url),
            colour=BRAND_COLOUR,
        )
        panel = ConsentPanel(
            self.bot, interaction.user.id, lang, ref, standing.notice_version, standing.notice_url
        )
        await send_private(interaction, embed=embed, view=panel)
        return False

    @app_commands.command(name="privacy", description="Fields kept from the staff")
    @app_commands.guild_only()
    @guarded
    async def privacy(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        lang = (await self.bot.hub.ambassadors.get(who)).language
        current = await self.bot.hub.privacy.private_fields(who)
        await send_private(
            interaction,
            content=self.bot.t(lang, "discord.privacy.body", fields=fields_text(self.bot, lang, current)),
            view=PrivacyPanel(self.bot, interaction.user.id, lang, ref, current),
        )

    @app_commands.command(name="mydata", description="Export your data (JSON)")
    @app_commands.guild_only()
    @guarded
    async def mydata(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        lang = (await self.bot.hub.ambassadors.get(who)).language
        data = await self.bot.hub.privacy.export(who)
        number = data["profile"]["member_number"]
        body = json.dumps(data, ensure_ascii=False, indent=2).encode()
        file = discord.File(io.BytesIO(body), filename=f"{ref.key}-mydata-{number}.json")
        text = self.bot.t(lang, "discord.mydata.ready", community=ref.name)
        if interaction.response.is_done():
            await interaction.followup.send(content=text, file=file, ephemeral=True)
        else:
            await interaction.response.send_message(content=text, file=file, ephemeral=True)


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Privacy(bot))
