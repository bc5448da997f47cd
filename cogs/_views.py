"""Shared pieces for cog views: owner-only panels whose errors go to the bot's one handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

PANEL_TIMEOUT = 600.0


class OwnedView(discord.ui.View):
    """An ephemeral panel for one member: others cannot press it, errors become localised replies."""

    def __init__(self, bot: HubBot, owner_id: int, lang: str, timeout: float = PANEL_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.owner_id = owner_id
        self.lang = lang

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                self.bot.t(self.lang, "common.error.not_yours"), ephemeral=True
            )
            return False
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await self.bot.report_error(interaction, error)

    def select_item(self, custom_id: str) -> discord.ui.Select[Any]:
        """The select menu with this custom id (typed; the decorator's attribute is not, for mypy)."""
        for child in self.children:
            if isinstance(child, discord.ui.Select) and child.custom_id == custom_id:
                return child
        raise KeyError(custom_id)

    def button_item(self, custom_id: str) -> discord.ui.Button[Any]:
        for child in self.children:
            if isinstance(child, discord.ui.Button) and child.custom_id == custom_id:
                return child
        raise KeyError(custom_id)


class HubModal(discord.ui.Modal):
    def __init__(self, bot: HubBot, title: str) -> None:
        super().__init__(title=title, timeout=PANEL_TIMEOUT)
        self.bot = bot

    # discord.py's own Modal.on_error drops BaseView's ``item`` argument; we match Modal, not BaseView.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await self.bot.report_error(interaction, error)


class ExpiredPanels(discord.ui.View):
    """Catches clicks on panels that timed out or were shown before a restart.

    It is a persistent view (no message, no timeout) holding every panel custom_id. discord.py routes a
    click to the live panel on that message first, and only falls back here when there is none, so a
    stale "Leave" button never acts: it says the panel expired and to run the command again.
    """

    def __init__(self, bot: HubBot, buttons: tuple[str, ...], selects: tuple[str, ...]) -> None:
        super().__init__(timeout=None)
        self.bot = bot
        for custom_id in selects:
            select: discord.ui.Select[Any] = discord.ui.Select(
                custom_id=custom_id, options=[discord.SelectOption(label="-", value="-")]
            )
            select.callback = self._expired  # type: ignore[method-assign]
            self.add_item(select)
        for custom_id in buttons:
            button: discord.ui.Button[Any] = discord.ui.Button(custom_id=custom_id, label="-")
            button.callback = self._expired  # type: ignore[method-assign]
            self.add_item(button)

    async def _expired(self, interaction: discord.Interaction[Any]) -> None:
        lang = await self.bot.language_of(interaction)
        await interaction.response.send_message(self.bot.t(lang, "common.error.expired"), ephemeral=True)
