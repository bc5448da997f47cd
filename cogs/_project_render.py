"""How a project looks on Discord: the public post with its Apply button, autocomplete choices, and the
option parser.

The Apply button is a ``DynamicItem``: its custom id carries the project id, so a click on a post made before
a restart still reaches the projects cog (``bot.add_dynamic_items`` in ``cog_load``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol, cast
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.community.errors import DomainError
from bot.community.projects import ProjectView
from bot.community.text import typed_number
from bot.i18n import Translator
from cogs._event_render import stamp
from cogs._limits import CHOICE_NAME_MAX, EMBED_DESCRIPTION_MAX, EMBED_TITLE_MAX, FIELD_VALUE_MAX, shorten
from cogs._render import BRAND_COLOUR

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

APPLY_TEMPLATE = r"project:(?P<id>[0-9]+):apply"


def apply_custom_id(project_id: int) -> str:
    return f"project:{project_id}:apply"


def project_id(raw: str) -> int:
    """The project picked: autocomplete sends its number; 「#12」 or 「12 授業」 typed also work."""
    head = raw.strip().lstrip("#").split(" ")[0] if raw.strip() else ""
    number = typed_number(head)
    if number is None:
        raise DomainError("project.error.not_found", id=raw.strip()[:30])
    return number


def project_choice(project: ProjectView, tz: str) -> app_commands.Choice[str]:
    """「#12 島の高校の情報授業 (〆 2026/12/20)」: the deadline in the community's zone."""
    date = project.deadline.astimezone(ZoneInfo(tz)).strftime("%Y/%m/%d")
    suffix = f" (〆 {date})"
    head = f"#{project.id} "
    title = shorten(project.title, CHOICE_NAME_MAX - len(head) - len(suffix))
    return app_commands.Choice(name=f"{head}{title}{suffix}", value=str(project.id))


def project_embed(
    tr: Translator, lang: str, project: ProjectView, subcommittee: str | None = None
) -> discord.Embed:
    """The public call for help: what is needed, which skills, by when (each reader's zone), where."""
    embed = discord.Embed(
        title=shorten(project.title, EMBED_TITLE_MAX),
        description=shorten(project.needs, EMBED_DESCRIPTION_MAX),
        colour=BRAND_COLOUR,
    )
    sep = tr.t(lang, "profile.list_separator")
    embed.add_field(
        name=tr.t(lang, "discord.project.post.skills"),
        value=shorten(sep.join(project.skills), FIELD_VALUE_MAX),
        inline=False,
    )
    embed.add_field(
        name=tr.t(lang, "discord.project.post.deadline"),
        value=f"{stamp(project.deadline)} ({stamp(project.deadline, 'R')})",
        inline=False,
    )
    if project.place:
        embed.add_field(
            name=tr.t(lang, "discord.project.post.place"), value=shorten(project.place, FIELD_VALUE_MAX)
        )
    if project.online:
        embed.add_field(
            name=tr.t(lang, "discord.project.post.online"), value=tr.t(lang, "discord.project.post.online_ok")
        )
    if subcommittee:
        embed.add_field(
            name=tr.t(lang, "discord.project.post.subcommittee"), value=shorten(subcommittee, FIELD_VALUE_MAX)
        )
    embed.set_footer(text=tr.t(lang, "discord.project.post.footer", id=project.id))
    return embed


class ApplyHandler(Protocol):
    async def open_apply(self, interaction: discord.Interaction[Any], project_id: int) -> None: ...


class ApplyButton(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=APPLY_TEMPLATE):
    """応募する on a project's post; the click is answered by the projects cog (a form for a message)."""

    def __init__(self, project_id: int, *, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or "Apply",
                style=discord.ButtonStyle.success,
                custom_id=apply_custom_id(project_id),
            )
        )
        self.project_id = project_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ApplyButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(int(match["id"]), label=label or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast("HubBot", interaction.client)
        cog = bot.get_cog("Projects")
        if cog is None:  # the cog is being reloaded: Discord shows "interaction failed", nothing is stored
            return
        await cast(ApplyHandler, cog).open_apply(interaction, self.project_id)


def apply_view(tr: Translator, lang: str, project: ProjectView) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ApplyButton(project.id, label=tr.t(lang, "discord.project.post.apply_button")))
    return view
