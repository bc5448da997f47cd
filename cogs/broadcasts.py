"""Broadcasts, the LINE push budget and the weekly digest on Discord.

Staff: /announce (a preview with the counts per platform and the LINE pushes it costs, then Send or Cancel;
Retry for those a send did not reach) and /budget (this month's pushes, the messages held for the digest,
the next digest). Members: /digest on|off. The rules (segments, who gets what on which app, the budget,
sending once) live in ``bot.community.segments`` and ``bot.notify``; this cog asks and shows.

``StaffNotices`` is the Discord face's board for them: it posts a broadcast in the announcement channel and
tells staff in ``staff_channel_id`` when the month's LINE budget has run out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.identity import Identity
from bot.community.profile_rules import CONNECTIONS, LANGUAGES
from bot.community.segments import build_segment
from bot.discord_bot import guarded, send_private
from bot.notify.broadcasts import BroadcastDraft, BroadcastReport, describe_segment
from cogs._limits import MESSAGE_MAX, shorten
from cogs._render import BRAND_COLOUR
from cogs._staff import require_staff
from cogs._subcommittee_render import find_subcommittee, subcommittee_options
from cogs._views import ExpiredPanels, OwnedView

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

log = logging.getLogger(__name__)

ANNOUNCE_BUTTONS = ("announce:confirm", "announce:cancel", "announce:retry")


def actor(interaction: discord.Interaction[Any]) -> str:
    return f"discord:{interaction.user.id}"


def timestamp(when: Any) -> str:
    """A time every reader sees in their own zone."""
    return f"<t:{int(when.timestamp())}:F>"


class StaffNotices:
    """The channels the hub speaks in for staff: the announcement channel (broadcasts to everyone) and the
    staff channel (the LINE budget ran out). Attached to the notifier as a board."""

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    def _channels(self, community_id: int) -> tuple[int | None, int | None]:
        settings = self.bot.hub.communities.by_id(community_id).settings.discord
        if settings is None:
            return None, None
        return settings.announcement_channel_id, settings.staff_channel_id

    async def post_broadcast(self, community_id: int, text: str) -> int | None:
        return await self._post(self._channels(community_id)[0], text)

    async def post_staff_notice(self, community_id: int, text: str) -> bool:
        return await self._post(self._channels(community_id)[1], text) is not None

    async def _post(self, channel_id: int | None, text: str) -> int | None:
        if channel_id is None:
            return None
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            log.warning("channel not found for a hub notice", extra={"channel_id": channel_id})
            return None
        try:
            message = await channel.send(
                shorten(text, MESSAGE_MAX), allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as exc:
            log.warning("hub notice not posted", extra={"channel_id": channel_id, "status": exc.status})
            return None
        return message.id


class AnnouncePanel(OwnedView):
    """The preview of an announcement: nothing is sent until staff press Send."""

    def __init__(self, cog: Broadcasts, owner_id: int, lang: str, ref: CommunityRef, broadcast_id: int):
        super().__init__(cog.bot, owner_id, lang)
        self.cog, self.ref, self.broadcast_id = cog, ref, broadcast_id
        self.button_item("announce:confirm").label = cog.bot.t(lang, "discord.announce.confirm_button")
        self.button_item("announce:cancel").label = cog.bot.t(lang, "discord.announce.cancel_button")

    @discord.ui.button(custom_id="announce:confirm", style=discord.ButtonStyle.primary)
    @guarded
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        require_staff(interaction, self.ref)
        await interaction.response.defer()
        report = await self.bot.hub.broadcasts.send(self.ref.id, self.broadcast_id, actor(interaction))
        self.stop()
        await self.cog.show_report(interaction, self.ref, self.lang, report)

    @discord.ui.button(custom_id="announce:cancel", style=discord.ButtonStyle.secondary)
    @guarded
    async def cancel(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        require_staff(interaction, self.ref)
        await self.bot.hub.broadcasts.cancel(self.ref.id, self.broadcast_id, actor(interaction))
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.announce.cancelled"), embed=None, view=None
        )


class RetryPanel(OwnedView):
    """After a send that did not reach everyone: send again to those it missed (never twice to anyone)."""

    def __init__(self, cog: Broadcasts, owner_id: int, lang: str, ref: CommunityRef, broadcast_id: int):
        super().__init__(cog.bot, owner_id, lang)
        self.cog, self.ref, self.broadcast_id = cog, ref, broadcast_id
        self.button_item("announce:retry").label = cog.bot.t(lang, "discord.announce.retry_button")

    @discord.ui.button(custom_id="announce:retry", style=discord.ButtonStyle.primary)
    @guarded
    async def retry(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        require_staff(interaction, self.ref)
        await interaction.response.defer()
        report = await self.bot.hub.broadcasts.resume(self.ref.id, self.broadcast_id, actor(interaction))
        self.stop()
        await self.cog.show_report(interaction, self.ref, self.lang, report)


class Broadcasts(commands.Cog):
    digest = app_commands.Group(name="digest", description="Weekly digest", guild_only=True)

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot
        self.board = StaffNotices(bot)

    async def cog_load(self) -> None:
        self.bot.add_view(ExpiredPanels(self.bot, ANNOUNCE_BUTTONS, ()))
        self.bot.hub.notifier.attach_board(self.board)

    async def cog_unload(self) -> None:
        self.bot.hub.notifier.detach_board(self.board)

    # --- autocomplete --------------------------------------------------------------------------------
    async def _offered(
        self, interaction: discord.Interaction[Any], prefix: str, values: tuple[str, ...], current: str
    ) -> list[app_commands.Choice[str]]:
        """The values whose key or name in either language (catalog ``prefix + value``) holds what was typed,
        named in the staff member's language."""
        lang = await self.bot.language_of(interaction)
        typed = (current or "").casefold()
        offered = []
        for value in values:
            names = [self.bot.t(each, prefix + value) for each in ("ja", "en")]
            if typed in value or any(typed in name.casefold() for name in names):
                offered.append(app_commands.Choice(name=self.bot.t(lang, prefix + value), value=value))
        return offered

    async def connections(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._offered(interaction, "profile.connection.", CONNECTIONS, current)

    async def languages(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._offered(interaction, "profile.language.", LANGUAGES, current)

    # --- staff: announcements ------------------------------------------------------------------------
    @app_commands.command(name="announce", description="Send an announcement (staff)")
    @app_commands.describe(
        text="The text",
        min_stage="Only members at this stage or higher",
        interest="Only members with this interest",
        subcommittee="Only this subcommittee's members",
        residence="Where they live (e.g. Shimane, JP-32, FR)",
        connection="Connection to the region",
        language="Only members who chose this language",
    )
    @app_commands.autocomplete(subcommittee=subcommittee_options, connection=connections, language=languages)
    @app_commands.guild_only()
    @guarded
    async def announce(
        self,
        interaction: discord.Interaction[Any],
        text: str,
        min_stage: app_commands.Range[int, 1, 4] | None = None,
        interest: str | None = None,
        subcommittee: str | None = None,
        residence: str | None = None,
        connection: str | None = None,
        language: str | None = None,
    ) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        hub = self.bot.hub
        sub = await find_subcommittee(hub, ref.id, subcommittee) if subcommittee else None
        segment = build_segment(
            min_stage=min_stage,
            interest=interest,
            subcommittee_id=sub.id if sub else None,
            residence=residence,
            connection=connection,
            language=language,
        )
        draft = await hub.broadcasts.draft(ref.id, actor(interaction), text, segment)
        panel = AnnouncePanel(self, interaction.user.id, lang, ref, draft.broadcast.id)
        embed = discord.Embed(
            title=self.bot.t(lang, "discord.announce.preview_title"),
            description=hub.broadcasts.text(ref, ref.default_language, draft.broadcast.body),
            colour=BRAND_COLOUR,
        )
        content = self.preview_lines(ref, lang, draft, sub.name if sub else None)
        await send_private(interaction, content=content, embed=embed, view=panel)

    def preview_lines(self, ref: CommunityRef, lang: str, draft: BroadcastDraft, sub: str | None) -> str:
        p = draft.preview
        t = self.bot.t
        lines = [
            t(
                lang,
                "discord.announce.segment",
                segment=describe_segment(self.bot.hub.tr, lang, draft.broadcast.segment, sub),
            )
        ]
        if draft.in_channel:
            channel_id = ref.settings.discord.announcement_channel_id if ref.settings.discord else None
            lines.append(t(lang, "discord.announce.channel", channel=f"<#{channel_id}>", count=p.discord))
        else:
            lines.append(t(lang, "discord.announce.dms", count=p.discord))
        lines.append(t(lang, "discord.announce.line", count=p.line, pushes=p.pushes))
        if p.budget_left is None:
            lines.append(t(lang, "discord.announce.budget_unlimited"))
        else:
            lines.append(t(lang, "discord.announce.budget", left=p.budget_left, limit=p.budget_limit))
        if p.unreachable:
            lines.append(t(lang, "discord.announce.unreachable", count=p.unreachable))
        lines.append(t(lang, "discord.announce.both_apps"))
        return shorten("\n".join(lines), MESSAGE_MAX)

    async def show_report(
        self, interaction: discord.Interaction[Any], ref: CommunityRef, lang: str, report: BroadcastReport
    ) -> None:
        t = self.bot.t
        lines = [t(lang, "discord.announce.sent", id=report.broadcast.id)]
        if report.posted is not None:
            lines.append(
                t(lang, "discord.announce.posted" if report.posted else "discord.announce.not_posted")
            )
        if report.dms:
            lines.append(t(lang, "discord.announce.dms_sent", count=report.dms))
        if report.dm_failed:
            lines.append(t(lang, "discord.announce.dms_failed", count=report.dm_failed))
        if report.line_sent:
            lines.append(t(lang, "discord.announce.line_sent", count=report.line_sent))
        if report.line_failed:
            lines.append(t(lang, "discord.announce.line_failed", count=report.line_failed))
        view = None
        if not report.complete:
            lines.append(t(lang, "discord.announce.retry_hint"))
            view = RetryPanel(self, interaction.user.id, lang, ref, report.broadcast.id)
        await interaction.edit_original_response(content="\n".join(lines), embed=None, view=view)

    # --- staff: the budget ---------------------------------------------------------------------------
    @app_commands.command(name="budget", description="LINE push budget (staff)")
    @app_commands.guild_only()
    @guarded
    async def budget(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        hub, t = self.bot.hub, self.bot.t
        used = await hub.notifier.budget.used(ref.id)
        limit = hub.notifier.budget.limit(ref.id)
        lines = [f"**{t(lang, 'discord.budget.title', month=hub.held.month(ref.id))}**"]
        if limit is None:
            lines.append(t(lang, "discord.budget.unlimited", used=used))
        else:
            lines.append(t(lang, "discord.budget.used", used=used, limit=limit, left=max(0, limit - used)))
        lines.append(t(lang, "discord.budget.held", count=await hub.held.waiting(ref.id)))
        nxt = hub.weekly_digest.next_at(ref.id)
        if nxt is None:
            lines.append(t(lang, "discord.budget.digest_off"))
        else:
            lines.append(t(lang, "discord.budget.next_digest", when=timestamp(nxt)))
        await send_private(interaction, content="\n".join(lines))

    # --- members: the weekly digest ------------------------------------------------------------------
    @digest.command(name="on", description="Get the weekly digest")
    @guarded
    async def digest_on(self, interaction: discord.Interaction[Any]) -> None:
        await self._set_digest(interaction, True)

    @digest.command(name="off", description="Stop the weekly digest")
    @guarded
    async def digest_off(self, interaction: discord.Interaction[Any]) -> None:
        await self._set_digest(interaction, False)

    async def _set_digest(self, interaction: discord.Interaction[Any], on: bool) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        member = await self.bot.hub.ambassadors.get(who)
        now_on = await self.bot.hub.weekly_digest.set_digest(who, on)
        if not now_on:
            text = self.bot.t(member.language, "discord.digest.off")
        else:
            nxt = self.bot.hub.weekly_digest.next_at(ref.id)
            when = timestamp(nxt) if nxt else self.bot.t(member.language, "digest.paused")
            text = self.bot.t(member.language, "discord.digest.on", when=when)
        await send_private(interaction, content=text)


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Broadcasts(bot))
