"""Numbers, exports and activity statements on Discord.

Staff: /stats (the programme's numbers as text and a chart), /export kind (a CSV file for Excel, audited),
/statement issue member year (a member's statement, audited). Members: /statement mine [year] (their own
activity statement as a PDF to hand in, and the JSON that anyone with the ledger can check).
Every answer is ephemeral; the rules are in ``bot.community.stats``, ``exports`` and ``statements``.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts.statement_pdf import statement_pdf
from bot.charts.stats_chart import stats_chart
from bot.community.communities import CommunityRef
from bot.community.conversations import category_label
from bot.community.identity import Identity
from bot.community.statements import Statement, statement_json
from bot.community.stats import CommunityStats
from bot.discord_bot import guarded
from bot.discord_translator import fixed_choice
from bot.i18n import Msg
from cogs._limits import FIELD_VALUE_MAX, shorten
from cogs._render import BRAND_COLOUR
from cogs._staff import require_staff

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

DEFAULT_FILE_LIMIT = 10 * 1024 * 1024  # Discord's upload limit for a server without boosts
LINES_MAX = 8


def stats_embed(
    bot: HubBot, ref: CommunityRef, lang: str, stats: CommunityStats, image: str
) -> discord.Embed:
    """The numbers as text beside the chart (``image``, attached with the same name)."""

    def t(key: str, **params: Any) -> str:
        return bot.t(lang, key, **params)

    def field(name: str, lines: list[str]) -> None:
        value = "\n".join(lines[:LINES_MAX]) or t("discord.stats.none")
        embed.add_field(name=t(f"discord.stats.{name}"), value=shorten(value, FIELD_VALUE_MAX), inline=False)

    embed = discord.Embed(title=t("discord.stats.title", community=ref.name), colour=BRAND_COLOUR)
    members = f"{stats.members:,}"
    if stats.goal:
        percent = f"{stats.goal_percent or 0:.1f}"
        members = t("discord.stats.members_goal", members=members, goal=f"{stats.goal:,}", percent=percent)
    else:
        members = t("discord.stats.members_value", members=members)
    joined = stats.joined_by_month[-1].value if stats.joined_by_month else 0
    active = t(
        "discord.stats.active_value", active_30=f"{stats.active_30:,}", active_90=f"{stats.active_90:,}"
    )
    embed.add_field(name=t("discord.stats.members"), value=members)
    embed.add_field(name=t("discord.stats.joined"), value=t("discord.stats.people", count=f"{joined:,}"))
    embed.add_field(name=t("discord.stats.active"), value=active)
    stages = [
        t("discord.stats.stage_line", number=n, stage=Msg(f"profile.stage.{n}"), count=f"{count:,}")
        for n, count in enumerate(stats.stages, start=1)
    ]
    field("stages", stages)
    settings = ref.settings.contributions
    categories = []
    for c in stats.categories:
        name = category_label(bot.hub.tr, lang, settings, c.category)
        line = t(
            "discord.stats.category_line", category=name, entries=f"{c.entries:,}", points=f"{c.points:,}"
        )
        categories.append(line)
    field("categories", categories)
    events = [
        t(
            "discord.stats.event_line",
            id=e.event_id,
            title=shorten(e.title, 60),
            came=e.checked_in,
            going=e.going,
        )
        for e in stats.events
    ]
    if stats.events:
        came, going = f"{stats.events_checked_in:,}", f"{stats.events_going:,}"
        percent = f"{stats.event_percent:.0f}"
        events.append(t("discord.stats.events_total", came=came, going=going, percent=percent))
    field("events", events)
    votes = []
    for v in stats.votes:
        question, percent = shorten(v.question, 60), f"{v.percent:.0f}"
        line = t("discord.stats.vote_line", id=v.vote_id, question=question, voters=v.voters,
                 eligible=v.eligible, percent=percent)  # fmt: skip
        votes.append(line)
    field("votes", votes)
    embed.set_image(url=f"attachment://{image}")
    embed.set_footer(text=t("discord.stats.footer", date=_local_date(ref, stats.as_of)))
    return embed


def _local_date(ref: CommunityRef, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(ref.settings.timezone)).strftime("%Y-%m-%d %H:%M")


def statement_files(bot: HubBot, ref: CommunityRef, statement: Statement) -> list[discord.File]:
    """The PDF (in the member's language) and the JSON of one statement."""
    name = f"{ref.key}-statement-{statement.year}-no{statement.member_number}"
    pdf = statement_pdf(statement, bot.hub.tr, statement.language, ref.settings)
    data = statement_json(statement).encode("utf-8")
    return [
        discord.File(io.BytesIO(pdf), filename=f"{name}.pdf"),
        discord.File(io.BytesIO(data), filename=f"{name}.json"),
    ]


class Reports(commands.Cog):
    statement = app_commands.Group(name="statement", description="Activity statement", guild_only=True)

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    @app_commands.command(name="stats", description="Programme numbers (staff)")
    @app_commands.guild_only()
    @guarded
    async def stats(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        figures = await self.bot.hub.stats.overview(ref.id)
        image = f"{ref.key}-stats.png"
        png = stats_chart(figures, self.bot.hub.tr, lang, ref.settings, _local_date(ref, figures.as_of))
        await interaction.followup.send(
            embed=stats_embed(self.bot, ref, lang, figures, image),
            file=discord.File(io.BytesIO(png), filename=image),
            ephemeral=True,
        )

    @app_commands.command(name="export", description="Export as CSV (staff)")
    @app_commands.describe(kind="What to export")
    @app_commands.choices(
        kind=[
            fixed_choice("Ambassadors", "ambassadors", key="slash.export.option.kind.choice.ambassadors"),
            fixed_choice(
                "Contributions", "contributions", key="slash.export.option.kind.choice.contributions"
            ),
            fixed_choice("Attendance", "attendance", key="slash.export.option.kind.choice.attendance"),
            fixed_choice("Votes", "votes", key="slash.export.option.kind.choice.votes"),
        ]
    )
    @app_commands.guild_only()
    @guarded
    async def export(self, interaction: discord.Interaction[Any], kind: str) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = f"discord:{interaction.user.id}"
        file = await self.bot.hub.exports.export(ref.id, kind, actor, lang, "discord")
        label = self.bot.t(lang, f"export.kind.{file.kind}")
        limit = interaction.guild.filesize_limit if interaction.guild else DEFAULT_FILE_LIMIT
        if len(file.data) > limit:
            text = self.bot.t(
                lang, "discord.export.too_large", kind=label, size=f"{len(file.data) / 1_048_576:.1f}",
                community=ref.key, kind_key=file.kind,
            )  # fmt: skip
            await interaction.followup.send(content=text, ephemeral=True)
            return
        text = self.bot.t(lang, "discord.export.done", kind=label, rows=f"{file.rows:,}")
        attachment = discord.File(io.BytesIO(file.data), filename=file.filename)
        await interaction.followup.send(content=text, file=attachment, ephemeral=True)

    @statement.command(name="mine", description="Your activity statement")
    @app_commands.describe(year="Year (empty: this year)")
    @guarded
    async def mine(
        self, interaction: discord.Interaction[Any], year: app_commands.Range[int, 2000, 2100] | None = None
    ) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        await interaction.response.defer(ephemeral=True, thinking=True)
        made = await self.bot.hub.statements.for_member(who, year)
        text = self.bot.t(made.language, "discord.statement.mine", year=made.year, count=made.count)
        await interaction.followup.send(
            content=text, files=statement_files(self.bot, ref, made), ephemeral=True
        )

    @statement.command(name="issue", description="Issue a statement (staff)")
    @app_commands.describe(member="Member number", year="Year")
    @guarded
    async def issue(
        self,
        interaction: discord.Interaction[Any],
        member: app_commands.Range[int, 1],
        year: app_commands.Range[int, 2000, 2100],
    ) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = f"discord:{interaction.user.id}"
        made = await self.bot.hub.statements.issue(ref.id, member, year, actor, "discord")
        text = self.bot.t(
            lang, "discord.statement.issued", number=made.member_number, name=made.display_name or "",
            year=made.year, count=made.count,
        )  # fmt: skip
        await interaction.followup.send(
            content=text, files=statement_files(self.bot, ref, made), ephemeral=True
        )


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Reports(bot))
