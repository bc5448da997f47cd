"""A list shown in pages: the first page as the reply, with ◀ and ▶ to turn them (only its owner can).

The pages come from ``EmbedParts.pages()`` (cogs/_limits.py), each within Discord's limits. Each cog names
its pager (``prefix``) and lists ``page_buttons(prefix)`` in its ``ExpiredPanels``, so a click on a pager
that timed out or was shown before a restart is answered as expired, like every other panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.discord_bot import send_private
from cogs._views import OwnedView

if TYPE_CHECKING:
    from bot.discord_bot import HubBot


def page_buttons(prefix: str) -> tuple[str, str]:
    """The custom ids of a pager's two buttons."""
    return (f"{prefix}:previous", f"{prefix}:next")


class PagedView(OwnedView):
    def __init__(
        self, bot: HubBot, owner_id: int, lang: str, pages: list[discord.Embed], prefix: str
    ) -> None:
        super().__init__(bot, owner_id, lang)
        self.pages = pages
        self.at = 0
        previous, following = page_buttons(prefix)
        self.previous: discord.ui.Button[Any] = discord.ui.Button(
            custom_id=previous,
            label=bot.t(lang, "discord.pages.previous"),
            style=discord.ButtonStyle.secondary,
        )
        self.following: discord.ui.Button[Any] = discord.ui.Button(
            custom_id=following, label=bot.t(lang, "discord.pages.next"), style=discord.ButtonStyle.secondary
        )
        self.previous.callback = self._previous  # type: ignore[method-assign]
        self.following.callback = self._next  # type: ignore[method-assign]
        self.add_item(self.previous)
        self.add_item(self.following)
        self._enable()

    def _enable(self) -> None:
        self.previous.disabled = self.at == 0
        self.following.disabled = self.at == len(self.pages) - 1

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.at = max(0, min(len(self.pages) - 1, self.at + step))
        self._enable()
        await interaction.response.edit_message(embed=self.pages[self.at], view=self)

    async def _previous(self, interaction: discord.Interaction[Any]) -> None:
        await self._turn(interaction, -1)

    async def _next(self, interaction: discord.Interaction[Any]) -> None:
        await self._turn(interaction, 1)


async def send_pages(
    interaction: discord.Interaction[Any], pages: list[discord.Embed], bot: HubBot, lang: str, prefix: str
) -> None:
    """Answer privately with the first page, and the pager when there is more than one."""
    if len(pages) == 1:
        await send_private(interaction, embed=pages[0])
        return
    await send_private(
        interaction, embed=pages[0], view=PagedView(bot, interaction.user.id, lang, pages, prefix)
    )
