"""Staff moderation on Discord: /ambassador search|show|suspend|reinstate, /contribution remove and /audit.

Each command checks staff on the server side (``require_staff``: the staff role or Manage Server); a refusal
is audited by the bot's one error handler. The rules and the audit entries are in ``hub.moderation``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.moderation import AuditLine, Member, StaffProfile
from bot.community.privacy import staff_labels
from bot.discord_bot import guarded, send_private
from bot.i18n import Msg
from bot.i18n.times import JAPAN
from cogs._limits import CHOICES_MAX, EMBED_DESCRIPTION_MAX, EmbedParts, Field, join_lines, shorten
from cogs._pages import page_buttons, send_pages
from cogs._render import BRAND_COLOUR
from cogs._staff import require_staff
from cogs._views import ExpiredPanels
from cogs.contributions import category_param

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

DETAIL_MAX = 80
REASON_SHOWN_MAX = 120
PAGES = "ambassador-pages"
QUERY_SHOWN_MAX = 50
# Suggestions for /audit's action (a prefix takes every action under it, e.g. ambassador.suspended).
AUDIT_ACTIONS = (
    "ambassador", "contribution", "privacy", "stage", "staff", "event", "vote", "subcommittee", "project",
    "identity",
)  # fmt: skip


def who_label(bot: HubBot, lang: str, actor: str | None) -> str:
    """An audit actor as staff read it: a Discord mention, a shortened LINE id, or "system"."""
    if not actor or actor == "system":
        return bot.t(lang, "discord.audit.system")
    platform, _, external = actor.partition(":")
    if platform == "discord" and external.isdigit():
        return f"<@{external}>"
    if platform == "line":
        return f"LINE {external[:9]}…"
    return actor[:40]


def audit_line(bot: HubBot, lang: str, line: AuditLine) -> str:
    when = line.at.astimezone(ZoneInfo(JAPAN)).strftime("%Y-%m-%d %H:%M")
    what = f"**{line.action}**"
    if line.member_number is not None:
        what += f" No.{line.member_number}"
    if line.detail:
        what += f" `{shorten(line.detail, DETAIL_MAX)}`"
    text = f"`{when}` {who_label(bot, lang, line.actor)} · {what}"
    if line.reason:
        text += " · " + bot.t(lang, "discord.audit.why", reason=shorten(line.reason, REASON_SHOWN_MAX))
    return text


def staff_profile_embed(bot: HubBot, ref: CommunityRef, lang: str, p: StaffProfile) -> discord.Embed:
    v = p.view
    none = bot.t(lang, "profile.none")
    status = bot.t(lang, f"discord.ambassador.status.{v.status}")
    if p.suspended_at is not None:
        since = p.suspended_at.astimezone(ZoneInfo(JAPAN)).strftime("%Y-%m-%d %H:%M")
        status += " " + bot.t(lang, "discord.ambassador.since", when=since)
    stage = bot.t(lang, f"profile.stage.{v.stage}")
    if p.stage_manual:
        stage += " " + bot.t(lang, "discord.ambassador.stage_manual")
    labels = staff_labels(bot.hub.tr, lang, v)
    fields = [
        (bot.t(lang, "discord.ambassador.status_field"), status),
        (bot.t(lang, "profile.field.stage").capitalize(), f"{v.stage} {stage}"),
        (bot.t(lang, "discord.ambassador.points"), f"{p.points} pt"),
        (bot.t(lang, "profile.field.residence").capitalize(), labels["residence"]),
        (bot.t(lang, "profile.field.connection").capitalize(), labels["connection"]),
        (bot.t(lang, "profile.field.interests").capitalize(), labels["interests"]),
        (bot.t(lang, "profile.field.skills").capitalize(), labels["skills"]),
        (bot.t(lang, "profile.field.language").capitalize(), bot.t(lang, f"profile.language.{v.language}")),
        (bot.t(lang, "profile.field.timezone").capitalize(), v.timezone),
        (
            bot.t(lang, "profile.field.platforms").capitalize(),
            " / ".join(bot.t(lang, f"profile.platform.{x}") for x in v.platforms) or none,
        ),
        (
            bot.t(lang, "profile.field.registered_at").capitalize(),
            v.registered_at.astimezone(ZoneInfo(JAPAN)).strftime("%Y-%m-%d"),
        ),
    ]
    return EmbedParts(
        title=bot.t(
            lang, "discord.ambassador.show_title", number=v.member_number, name=v.display_name or none
        ),
        description=ref.name,
        fields=[Field(name, value, inline=True) for name, value in fields],
        colour=BRAND_COLOUR,
    ).one()


class Moderation(commands.Cog):
    ambassador = app_commands.Group(
        name="ambassador",
        description="Manage ambassadors (staff)",
        guild_only=True,
    )
    contribution = app_commands.Group(
        name="contribution",
        description="Manage contributions (staff)",
        guild_only=True,
    )

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_view(ExpiredPanels(self.bot, page_buttons(PAGES), ()))

    async def _staff(self, interaction: discord.Interaction[Any]) -> tuple[CommunityRef, Identity, str]:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        return ref, Identity(ref.id, "discord", str(interaction.user.id)), lang

    @staticmethod
    def _member(ref: CommunityRef, member: discord.Member | None, number: int | None) -> Member:
        if (member is None) == (number is None):
            raise DomainError("moderation.error.pick_member")
        if member is not None:
            return Identity(ref.id, "discord", str(member.id))
        assert number is not None
        return number

    # --- /ambassador ---------------------------------------------------------------------------------
    @ambassador.command(name="search", description="Find members")
    @app_commands.describe(text="Name, member number, interest or skill")
    @guarded
    async def search(self, interaction: discord.Interaction[Any], text: str) -> None:
        ref, staff, lang = await self._staff(interaction)
        found = await self.bot.hub.moderation.search(ref.id, text, staff)
        query = shorten(text.strip(), QUERY_SHOWN_MAX)
        if not found:
            await send_private(
                interaction, content=self.bot.t(lang, "discord.ambassador.search_empty", query=query)
            )
            return
        lines = [
            self.bot.t(
                lang,
                "discord.ambassador.search_line",
                number=f.member_number,
                name=f.display_name or self.bot.t(lang, "profile.none"),
                stage=Msg(f"profile.stage.{f.stage}"),
                status=Msg(f"discord.ambassador.status.{f.status}"),
                matched=Msg(f"discord.ambassador.matched.{f.matched}"),
            )
            for f in found
        ]
        pages = EmbedParts(
            title=self.bot.t(lang, "discord.ambassador.search_title", query=query, count=len(found)),
            colour=BRAND_COLOUR,
        ).line_pages(lines)
        await send_pages(interaction, pages, self.bot, lang, PAGES)

    @ambassador.command(name="show", description="A member's profile (staff)")
    @app_commands.describe(member="Member", number="Member number")
    @guarded
    async def show(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | None = None,
        number: app_commands.Range[int, 1] | None = None,
    ) -> None:
        ref, staff, lang = await self._staff(interaction)
        profile = await self.bot.hub.moderation.show(ref.id, self._member(ref, member, number), staff)
        await send_private(interaction, embed=staff_profile_embed(self.bot, ref, lang, profile))

    @ambassador.command(name="suspend", description="Suspend a member (staff)")
    @app_commands.describe(reason="Reason", member="Member", number="Member number")
    @guarded
    async def suspend(
        self,
        interaction: discord.Interaction[Any],
        reason: str,
        member: discord.Member | None = None,
        number: app_commands.Range[int, 1] | None = None,
    ) -> None:
        ref, staff, lang = await self._staff(interaction)
        view = await self.bot.hub.moderation.suspend(ref.id, self._member(ref, member, number), staff, reason)
        await send_private(
            interaction,
            content=self.bot.t(
                lang,
                "discord.ambassador.suspended",
                number=view.member_number,
                name=view.display_name or "",
                reason=reason.strip(),
            ),
        )

    @ambassador.command(name="reinstate", description="Reinstate a member (staff)")
    @app_commands.describe(reason="Reason", member="Member", number="Member number")
    @guarded
    async def reinstate(
        self,
        interaction: discord.Interaction[Any],
        reason: str,
        member: discord.Member | None = None,
        number: app_commands.Range[int, 1] | None = None,
    ) -> None:
        ref, staff, lang = await self._staff(interaction)
        view = await self.bot.hub.moderation.reinstate(
            ref.id, self._member(ref, member, number), staff, reason
        )
        await self.bot.hub.notifier.tell(ref.id, view.id, "moderation.told_reinstated")
        await send_private(
            interaction,
            content=self.bot.t(
                lang,
                "discord.ambassador.reinstated",
                number=view.member_number,
                name=view.display_name or "",
                reason=reason.strip(),
            ),
        )

    # --- /contribution remove --------------------------------------------------------------------------
    @contribution.command(name="remove", description="Take back an entry (staff)")
    @app_commands.describe(seq="Entry number", reason="Reason")
    @guarded
    async def remove(
        self, interaction: discord.Interaction[Any], seq: app_commands.Range[int, 1], reason: str
    ) -> None:
        ref, staff, lang = await self._staff(interaction)
        removed = await self.bot.hub.moderation.remove_contribution(ref.id, seq, staff, reason)
        await self.bot.hub.notifier.tell(
            ref.id,
            removed.ambassador.id,
            "moderation.told_removed",
            seq=removed.removed_seq,
            points=removed.points,
            reason=removed.reason,
        )
        await send_private(
            interaction,
            content=self.bot.t(
                lang,
                "discord.contribution.removed",
                seq=removed.removed_seq,
                number=removed.ambassador.member_number,
                points=removed.points,
                category=category_param(self.bot, ref, removed.category),
                correction=removed.seq,
            ),
        )

    # --- /audit ----------------------------------------------------------------------------------------
    @app_commands.command(name="audit", description="The audit log (staff)")
    @app_commands.guild_only()
    @app_commands.describe(
        member="Member",
        number="Member number",
        action="Kind of action (e.g. ambassador)",
        page="Page",
    )
    @guarded
    async def audit(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member | None = None,
        number: app_commands.Range[int, 1] | None = None,
        action: str | None = None,
        page: app_commands.Range[int, 1, 1000] = 1,
    ) -> None:
        ref, staff, lang = await self._staff(interaction)
        target = None if member is None and number is None else self._member(ref, member, number)
        found = await self.bot.hub.moderation.audit_log(ref.id, staff, target, action, page)
        if not found.lines:
            await send_private(interaction, content=self.bot.t(lang, "discord.audit.empty"))
            return
        embed = discord.Embed(
            title=self.bot.t(lang, "discord.audit.title", page=found.page),
            description=join_lines(
                [audit_line(self.bot, lang, line) for line in found.lines], EMBED_DESCRIPTION_MAX
            ),
            colour=BRAND_COLOUR,
        )
        footer = self.bot.t(lang, "discord.audit.footer")
        if found.has_more:
            footer += " " + self.bot.t(lang, "discord.audit.more", next=found.page + 1)
        embed.set_footer(text=footer)
        await send_private(interaction, embed=embed)

    @audit.autocomplete("action")
    async def _actions(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        return [app_commands.Choice(name=a, value=a) for a in AUDIT_ACTIONS if typed in a][:CHOICES_MAX]


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Moderation(bot))
