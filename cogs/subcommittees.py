"""Subcommittees (分科会) on Discord: each one a role and a private channel only its members see.

Staff: /subcommittee create|lead|archive|restore. Members: /subcommittee join|leave|list. The rules
(unique names, how many, who may join, who leads) live in ``bot.community.subcommittees``; this cog makes,
opens up and closes the Discord side, in an order that never leaves half of a subcommittee behind: everything
is checked first (name, Discord's limits, the bot's permissions), then the role, then the channel, then the
row; a step that fails undoes the ones before it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.subcommittees import SubcommitteeView
from bot.config import DISCORD_CHANNEL_LIMIT, DISCORD_ROLE_LIMIT
from bot.discord_bot import guarded, send_private
from bot.i18n import Msg
from cogs._limits import (
    ROLE_NAME_MAX,
    SELECT_OPTIONS_MAX,
    SELECT_TEXT_MAX,
    TOPIC_MAX,
    EmbedParts,
    Field,
    channel_name,
    shorten,
)
from cogs._pages import page_buttons, send_pages
from cogs._render import BRAND_COLOUR
from cogs._staff import require_staff
from cogs._subcommittee_render import ChannelCounter, change_role, choices, find_subcommittee
from cogs._views import ExpiredPanels, OwnedView

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

log = logging.getLogger(__name__)

PICK_SELECT = "subcommittee:pick"
ARCHIVE_BUTTONS = ("subcommittee-archive:confirm", "subcommittee-archive:keep")
BOT_PERMISSIONS = ("manage_roles", "manage_channels")
PAGES = "subcommittee-pages"


def staff_identity(interaction: discord.Interaction[Any], ref: CommunityRef) -> Identity:
    return Identity(ref.id, "discord", str(interaction.user.id))


def guild_of(interaction: discord.Interaction[Any]) -> discord.Guild:
    if interaction.guild is None:
        raise DomainError("common.error.guild_only")
    return interaction.guild


def joined_permissions(names: list[str]) -> Msg:
    """Permission names in the reader's language: 「ロールの管理、チャンネルの管理」."""
    msg = Msg(f"discord.subcommittee.permission.{names[-1]}")
    for name in reversed(names[:-1]):
        head = Msg(f"discord.subcommittee.permission.{name}")
        msg = Msg("discord.subcommittee.permission.join", {"head": head, "tail": msg})
    return msg


def check_room(guild: discord.Guild, ref: CommunityRef, *, channel: bool) -> None:
    """Refuse before anything is made when the server is near Discord's limits or the bot may not do it."""
    rules = ref.settings.subcommittees
    if channel and len(guild.channels) >= DISCORD_CHANNEL_LIMIT - rules.channel_margin:
        raise DomainError(
            "discord.subcommittee.error.channels_full",
            count=len(guild.channels),
            limit=DISCORD_CHANNEL_LIMIT,
            margin=rules.channel_margin,
        )
    if len(guild.roles) >= DISCORD_ROLE_LIMIT - rules.role_margin:
        raise DomainError(
            "discord.subcommittee.error.roles_full",
            count=len(guild.roles),
            limit=DISCORD_ROLE_LIMIT,
            margin=rules.role_margin,
        )
    granted = guild.me.guild_permissions
    missing = [p for p in BOT_PERMISSIONS if not getattr(granted, p)]
    if missing:
        raise DomainError(
            "discord.subcommittee.error.bot_permission", permissions=joined_permissions(missing)
        )


def category_of(guild: discord.Guild, ref: CommunityRef) -> discord.CategoryChannel | None:
    wanted = ref.settings.subcommittees.discord_category_id
    if wanted is None:
        return None
    found = guild.get_channel(wanted)
    if not isinstance(found, discord.CategoryChannel):
        raise DomainError("discord.subcommittee.error.no_category", id=wanted)
    return found


def member_overwrite() -> discord.PermissionOverwrite:
    return discord.PermissionOverwrite(view_channel=True, send_messages=True, read_message_history=True)


def private_overwrites(
    guild: discord.Guild, ref: CommunityRef, role: discord.Role
) -> dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite]:
    """Nobody sees the channel but the role, the staff role (if configured) and the bot itself."""
    overwrites: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {
        guild.default_role: discord.PermissionOverwrite(view_channel=False),
        role: member_overwrite(),
        guild.me: member_overwrite(),
    }
    staff_role_id = ref.settings.discord.staff_role_id if ref.settings.discord else None
    staff_role = guild.get_role(staff_role_id) if staff_role_id else None
    if staff_role is not None:
        overwrites[staff_role] = member_overwrite()
    return overwrites


async def private_channel(
    guild: discord.Guild,
    ref: CommunityRef,
    role: discord.Role,
    category: discord.CategoryChannel | None,
    name: str,
    description: str,
) -> discord.TextChannel:
    """A Discord-style channel name (「食と農 Club」→ 食と農-club); the name as written heads the topic."""
    fallback = _fallback_name(ref)
    return await guild.create_text_channel(
        name=channel_name(name, fallback),
        category=category,
        overwrites=private_overwrites(guild, ref, role),
        reason="subcommittee channel",
        topic=shorten(f"{name} — {description}" if description else name, TOPIC_MAX),
    )


def _fallback_name(ref: CommunityRef) -> str:
    """The channel name of a subcommittee whose name has no letter or digit Discord keeps."""
    return "分科会" if ref.default_language == "ja" else "subcommittee"


async def undo(*made: discord.Role | discord.abc.GuildChannel) -> None:
    """Delete what was made for a subcommittee that could not be finished (logged if Discord refuses)."""
    for thing in made:
        try:
            await thing.delete(reason="subcommittee not created")
        except discord.HTTPException as exc:
            log.error("could not undo a half-made subcommittee", extra={"id": thing.id, "status": exc.status})


class PickPanel(OwnedView):
    """A menu of subcommittees to join, or of the member's own to leave."""

    def __init__(
        self, cog: Subcommittees, owner_id: int, lang: str, ref: CommunityRef, action: str,
        shown: list[SubcommitteeView],
    ) -> None:  # fmt: skip
        super().__init__(cog.bot, owner_id, lang)
        self.cog, self.ref, self.action = cog, ref, action
        select = self.select_item(PICK_SELECT)
        select.placeholder = cog.bot.t(lang, f"discord.subcommittee.{action}.placeholder")
        select.options = [
            discord.SelectOption(
                label=shorten(s.name, SELECT_TEXT_MAX),
                value=str(s.id),
                description=shorten(s.description, SELECT_TEXT_MAX) or None,
            )
            for s in shown[:SELECT_OPTIONS_MAX]
        ]

    @discord.ui.select(custom_id=PICK_SELECT, options=[discord.SelectOption(label="-", value="-")])
    @guarded
    async def pick(self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]) -> None:
        text = await self.cog.act(interaction, self.ref, self.lang, self.action, int(select.values[0]))
        self.stop()
        await interaction.response.edit_message(content=text, view=None)


class ArchivePanel(OwnedView):
    """Archiving takes the role from every member and closes the channel to new messages: confirm first."""

    def __init__(self, cog: Subcommittees, owner_id: int, lang: str, ref: CommunityRef, sub_id: int) -> None:
        super().__init__(cog.bot, owner_id, lang)
        self.cog, self.ref, self.sub_id = cog, ref, sub_id
        self.button_item(ARCHIVE_BUTTONS[0]).label = cog.bot.t(lang, "discord.subcommittee.archive.button")
        self.button_item(ARCHIVE_BUTTONS[1]).label = cog.bot.t(lang, "discord.subcommittee.archive.keep")

    @discord.ui.button(custom_id=ARCHIVE_BUTTONS[0], style=discord.ButtonStyle.danger)
    @guarded
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        require_staff(interaction, self.ref)
        await interaction.response.defer()
        text = await self.cog.archive_now(interaction, self.ref, self.lang, self.sub_id)
        self.stop()
        await interaction.edit_original_response(content=text, view=None)

    @discord.ui.button(custom_id=ARCHIVE_BUTTONS[1], style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.subcommittee.archive.kept"), view=None
        )


class Subcommittees(commands.Cog):
    group = app_commands.Group(name="subcommittee", description="Subcommittees", guild_only=True)

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot
        self.counter = ChannelCounter(bot)

    async def cog_load(self) -> None:
        self.bot.add_view(ExpiredPanels(self.bot, ARCHIVE_BUTTONS + page_buttons(PAGES), (PICK_SELECT,)))
        self.bot.hub.notifier.attach_board(self.counter)  # the LINE digest counts channel posts with it

    async def cog_unload(self) -> None:
        self.bot.hub.notifier.detach_board(self.counter)

    # --- autocomplete --------------------------------------------------------------------------------
    async def _all(self, interaction: discord.Interaction[Any], archived: bool) -> list[SubcommitteeView]:
        ref = self.bot.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return []
        found = await self.bot.hub.subcommittees.all(ref.id, include_archived=archived)
        return [s for s in found if s.open != archived]

    async def open_ones(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(await self._all(interaction, archived=False), current)

    async def archived_ones(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(await self._all(interaction, archived=True), current)

    async def my_ones(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        ref = self.bot.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return []
        try:
            mine = await self.bot.hub.subcommittees.mine(
                Identity(ref.id, "discord", str(interaction.user.id))
            )
        except DomainError:
            return []
        return choices(mine, current)

    # --- staff: create -------------------------------------------------------------------------------
    @group.command(name="create", description="Create a subcommittee")
    @app_commands.describe(
        name="Name",
        description="Description",
        tags="Tags (interests, comma-separated)",
    )
    @guarded
    async def create(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        description: str | None = None,
        tags: str | None = None,
    ) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        guild = guild_of(interaction)
        hub = self.bot.hub
        new = await hub.subcommittees.check_new(ref.id, name, description or "", tags or "")
        check_room(guild, ref, channel=True)
        category = category_of(guild, ref)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            role = await guild.create_role(
                name=shorten(new.name, ROLE_NAME_MAX), mentionable=True, reason="subcommittee created"
            )
        except discord.HTTPException as exc:
            log.warning("subcommittee role not created", extra={"guild": guild.id, "status": exc.status})
            raise DomainError("discord.subcommittee.error.role_failed") from None
        try:
            channel = await private_channel(guild, ref, role, category, new.name, new.description)
        except discord.HTTPException as exc:
            log.warning("subcommittee channel not created", extra={"guild": guild.id, "status": exc.status})
            await undo(role)
            raise DomainError("discord.subcommittee.error.channel_failed") from None
        try:
            made = await hub.subcommittees.create(new, staff_identity(interaction, ref), channel.id, role.id)
        except BaseException:  # a name taken meanwhile (or the database failed): leave nothing behind
            await undo(channel, role)
            raise
        lines = [
            self.bot.t(
                lang,
                "discord.subcommittee.created",
                name=made.name,
                role=role.mention,
                channel=channel.mention,
            )
        ]
        if category is not None:
            lines.append(self.bot.t(lang, "discord.subcommittee.created_in", category=category.name))
        if made.tags:
            sep = self.bot.t(lang, "profile.list_separator")
            lines.append(self.bot.t(lang, "discord.subcommittee.tags_line", tags=sep.join(made.tags)))
        lines.append(self.bot.t(lang, "discord.subcommittee.created_next"))
        await send_private(interaction, content="\n".join(lines))

    # --- members: join, leave, list ------------------------------------------------------------------
    async def act(
        self, interaction: discord.Interaction[Any], ref: CommunityRef, lang: str, action: str, sub_id: int
    ) -> str:
        """Join or leave (from the command or the menu); the role follows, and a refusal is said."""
        who = Identity(ref.id, "discord", str(interaction.user.id))
        hub = self.bot.hub
        if action == "join":
            done = await hub.subcommittees.join(who, sub_id)
        else:
            done = await hub.subcommittees.leave(who, sub_id)
        sub = done.subcommittee
        if not done.changed:
            return self.bot.t(lang, f"discord.subcommittee.{action}.already", name=sub.name)
        channel = f"<#{sub.discord_channel_id}>" if sub.discord_channel_id else "—"
        text = self.bot.t(lang, f"discord.subcommittee.{action}.done", name=sub.name, channel=channel)
        role_id = sub.discord_role_id if sub.open else None  # an archived one has no role any more
        if not await change_role(guild_of(interaction), interaction.user.id, role_id, give=action == "join"):
            text += "\n" + self.bot.t(lang, f"discord.subcommittee.{action}.role_failed")
        return text

    async def pick_or_act(self, interaction: discord.Interaction[Any], action: str, name: str | None) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        hub = self.bot.hub
        who = Identity(ref.id, "discord", str(interaction.user.id))
        if name is not None:
            sub = await find_subcommittee(hub, ref.id, name)
            await send_private(interaction, content=await self.act(interaction, ref, lang, action, sub.id))
            return
        mine = await hub.subcommittees.mine(who)  # also: "please register first"
        if action == "join":
            joined = {s.id for s in mine}
            shown = [s for s in await hub.subcommittees.all(ref.id) if s.id not in joined]
        else:
            shown = mine
        if not shown:
            await send_private(interaction, content=self.bot.t(lang, f"discord.subcommittee.{action}.none"))
            return
        text = self.bot.t(lang, f"discord.subcommittee.{action}.choose")
        if len(shown) > SELECT_OPTIONS_MAX:
            text += "\n" + self.bot.t(
                lang, "discord.subcommittee.more_by_name", count=len(shown) - SELECT_OPTIONS_MAX
            )
        panel = PickPanel(self, interaction.user.id, lang, ref, action, shown)
        await send_private(interaction, content=text, view=panel)

    @group.command(name="join", description="Join a subcommittee")
    @app_commands.describe(name="Subcommittee (empty: choose from a list)")
    @app_commands.autocomplete(name=open_ones)
    @guarded
    async def join(self, interaction: discord.Interaction[Any], name: str | None = None) -> None:
        await self.pick_or_act(interaction, "join", name)

    @group.command(name="leave", description="Leave a subcommittee")
    @app_commands.describe(name="Subcommittee (empty: choose from a list)")
    @app_commands.autocomplete(name=my_ones)
    @guarded
    async def leave(self, interaction: discord.Interaction[Any], name: str | None = None) -> None:
        await self.pick_or_act(interaction, "leave", name)

    @group.command(name="list", description="The subcommittees")
    @guarded
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        hub = self.bot.hub
        found = await hub.subcommittees.all(ref.id)
        try:
            mine = {
                s.id
                for s in await hub.subcommittees.mine(Identity(ref.id, "discord", str(interaction.user.id)))
            }
        except DomainError:  # not registered: the list is still worth seeing
            mine = set()
        sep = self.bot.t(lang, "profile.list_separator")
        fields: list[Field] = []
        for sub in found:
            lines = [sub.description] if sub.description else []
            if sub.tags:
                lines.append(self.bot.t(lang, "discord.subcommittee.tags_line", tags=sep.join(sub.tags)))
            lines.append(self.bot.t(lang, "discord.subcommittee.list.members", count=sub.members))
            lines.append(
                self.bot.t(lang, "discord.subcommittee.list.lead", lead=await self.lead_text(ref, lang, sub))
            )
            if sub.id in mine and sub.discord_channel_id:
                lines.append(
                    self.bot.t(
                        lang, "discord.subcommittee.list.channel", channel=f"<#{sub.discord_channel_id}>"
                    )
                )
            mark = self.bot.t(lang, "discord.subcommittee.list.joined_mark") if sub.id in mine else ""
            fields.append(Field(f"{mark}{sub.name}", "\n".join(lines)))
        pages = EmbedParts(
            title=self.bot.t(lang, "discord.subcommittee.list.title"),
            description=self.bot.t(
                lang, "discord.subcommittee.list.intro" if found else "discord.subcommittee.list.empty"
            ),
            fields=fields,
            colour=BRAND_COLOUR,
        ).pages()
        await send_pages(interaction, pages, self.bot, lang, PAGES)

    async def lead_text(self, ref: CommunityRef, lang: str, sub: SubcommitteeView) -> str:
        if sub.lead_ambassador_id is None:
            return self.bot.t(lang, "discord.subcommittee.list.no_lead")
        discord_id = await self.bot.hub.ambassadors.external_id(ref.id, sub.lead_ambassador_id, "discord")
        return (
            f"<@{discord_id}>" if discord_id else self.bot.t(lang, "discord.subcommittee.list.lead_on_line")
        )

    # --- staff: lead, archive, restore ---------------------------------------------------------------
    @group.command(name="lead", description="Name a subcommittee's lead")
    @app_commands.describe(name="Subcommittee", member="Lead")
    @app_commands.autocomplete(name=open_ones)
    @guarded
    async def lead(self, interaction: discord.Interaction[Any], name: str, member: discord.Member) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        hub = self.bot.hub
        sub = await find_subcommittee(hub, ref.id, name)
        if member.bot:
            raise DomainError("subcommittee.error.lead_not_member")
        who = Identity(ref.id, "discord", str(member.id))
        led = await hub.subcommittees.set_lead(ref.id, sub.id, who, staff_identity(interaction, ref))
        text = self.bot.t(lang, "discord.subcommittee.lead.done", member=member.mention, name=led.name)
        if not await change_role(guild_of(interaction), member.id, led.discord_role_id, give=True):
            text += "\n" + self.bot.t(lang, "discord.subcommittee.lead.role_failed")
        await send_private(interaction, content=text)

    @group.command(name="archive", description="Archive a subcommittee")
    @app_commands.describe(name="Subcommittee")
    @app_commands.autocomplete(name=open_ones)
    @guarded
    async def archive(self, interaction: discord.Interaction[Any], name: str) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        sub = await find_subcommittee(self.bot.hub, ref.id, name)
        if not sub.open:
            raise DomainError("subcommittee.error.archived", name=sub.name)
        text = self.bot.t(lang, "discord.subcommittee.archive.confirm", name=sub.name, count=sub.members)
        await send_private(
            interaction, content=text, view=ArchivePanel(self, interaction.user.id, lang, ref, sub.id)
        )

    async def archive_now(
        self, interaction: discord.Interaction[Any], ref: CommunityRef, lang: str, sub_id: int
    ) -> str:
        """Archive in the service first (the rule), then close the channel to new messages and delete the role
        (which takes it from every member). The channel and its history stay for a restore."""
        guild = guild_of(interaction)
        hub = self.bot.hub
        sub = await hub.subcommittees.archive(ref.id, sub_id, staff_identity(interaction, ref))
        lines = [self.bot.t(lang, "discord.subcommittee.archive.done", name=sub.name)]
        channel = guild.get_channel(sub.discord_channel_id) if sub.discord_channel_id else None
        role = guild.get_role(sub.discord_role_id) if sub.discord_role_id else None
        try:
            if isinstance(channel, discord.TextChannel):
                if role is not None:  # read-only for the role even if deleting it fails below
                    await channel.set_permissions(
                        role, overwrite=discord.PermissionOverwrite(view_channel=True, send_messages=False)
                    )
                await channel.set_permissions(
                    guild.default_role,
                    overwrite=discord.PermissionOverwrite(view_channel=False, send_messages=False),
                )
        except discord.HTTPException as exc:
            log.warning(
                "archived channel not made read-only", extra={"guild": guild.id, "status": exc.status}
            )
            lines.append(self.bot.t(lang, "discord.subcommittee.archive.channel_failed"))
        if role is not None:
            try:
                await role.delete(reason="subcommittee archived")
                await hub.subcommittees.set_discord(ref.id, sub.id, sub.discord_channel_id, None)
            except discord.HTTPException as exc:
                log.warning("archived role not deleted", extra={"guild": guild.id, "status": exc.status})
                lines.append(self.bot.t(lang, "discord.subcommittee.archive.role_failed", role=role.mention))
        return "\n".join(lines)

    @group.command(name="restore", description="Restore an archived subcommittee")
    @app_commands.describe(name="Subcommittee")
    @app_commands.autocomplete(name=archived_ones)
    @guarded
    async def restore(self, interaction: discord.Interaction[Any], name: str) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        guild = guild_of(interaction)
        hub = self.bot.hub
        sub = await find_subcommittee(hub, ref.id, name)
        if sub.open:
            raise DomainError("subcommittee.error.not_archived", name=sub.name)
        found = guild.get_channel(sub.discord_channel_id) if sub.discord_channel_id else None
        channel = found if isinstance(found, discord.TextChannel) else None
        check_room(guild, ref, channel=channel is None)
        category = category_of(guild, ref) if channel is None else None
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            role = await guild.create_role(
                name=shorten(sub.name, ROLE_NAME_MAX), mentionable=True, reason="subcommittee restored"
            )
        except discord.HTTPException:
            raise DomainError("discord.subcommittee.error.role_failed") from None
        made: list[discord.Role | discord.abc.GuildChannel] = [role]
        try:
            if channel is None:  # deleted while archived: a new private channel
                channel = await private_channel(guild, ref, role, category, sub.name, sub.description)
                made.append(channel)
            else:
                await channel.set_permissions(role, overwrite=member_overwrite())
                await channel.set_permissions(
                    guild.default_role, overwrite=discord.PermissionOverwrite(view_channel=False)
                )
        except discord.HTTPException:
            await undo(*reversed(made))
            raise DomainError("discord.subcommittee.error.channel_failed") from None
        try:
            restored = await hub.subcommittees.restore(
                ref.id, sub.id, staff_identity(interaction, ref), discord_role_id=role.id
            )
            if restored.discord_channel_id != channel.id:
                await hub.subcommittees.set_discord(ref.id, sub.id, channel.id, role.id)
        except BaseException:
            await undo(*reversed(made))
            raise
        given = failed = 0
        for external_id in await hub.subcommittees.discord_members(ref.id, sub.id):
            if await change_role(guild, int(external_id), role.id, give=True):
                given += 1
            else:
                failed += 1
        lines = [
            self.bot.t(
                lang, "discord.subcommittee.restore.done", name=restored.name, role=role.mention,
                channel=channel.mention, count=given,
            )
        ]  # fmt: skip
        if failed:
            lines.append(self.bot.t(lang, "discord.subcommittee.restore.some_failed", count=failed))
        await send_private(interaction, content="\n".join(lines))


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Subcommittees(bot))
