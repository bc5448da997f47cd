"""The Discord face: ``create_discord_bot(settings, hub=None)`` builds a ready-to-start bot.

Cogs in ``cogs/`` only translate between Discord and the services in ``bot/community``. Errors from the
services (``DomainError``) become a localised ephemeral reply here, in one place, for commands and views.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.config import Settings
from bot.discord_translator import CommandTranslator
from bot.hub import Hub, open_hub
from bot.i18n import pick_language
from cogs._limits import MESSAGE_MAX, shorten

log = logging.getLogger(__name__)

COGS = (
    "cogs.registration",
    "cogs.linking",
    "cogs.contributions",
    "cogs.staff",
    "cogs.events",
    "cogs.votes",
    "cogs.subcommittees",
    "cogs.projects",
    "cogs.broadcasts",
    "cogs.moderation",
    "cogs.privacy",
    "cogs.reports",
)

Gate = Callable[[discord.Interaction[Any]], Coroutine[Any, Any, bool]]


def intents() -> discord.Intents:
    """No message content and no presences: slash commands, components and reactions do without them.

    The members intent is on for role sync later; members are not chunked at start (cached as seen).
    """
    i = discord.Intents.default()
    i.message_content = False
    i.presences = False
    i.members = True
    return i


class HubTree(app_commands.CommandTree["HubBot"]):
    """The command tree with the bot's gates in front of every slash command (a suspended member, a newer
    privacy notice to accept first): a gate that says no has answered the member itself."""

    async def interaction_check(self, interaction: discord.Interaction[HubBot], /) -> bool:
        for gate in self.client.command_gates:
            try:
                allowed = await gate(interaction)
            except Exception as exc:  # discord.py would only log it: answer here, like a command's error
                if interaction.type is discord.InteractionType.application_command:
                    await self.client.report_error(interaction, exc)
                return False
            if not allowed:
                return False
        return True


class HubBot(commands.Bot):
    def __init__(
        self,
        settings: Settings,
        hub: Hub | None = None,
        *,
        shard_id: int | None = None,
        shard_count: int | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            chunk_guilds_at_startup=False,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=HubTree,
            shard_id=shard_id,
            shard_count=shard_count,
        )
        self.settings = settings
        self.command_gates: list[Gate] = []  # cogs add theirs when they load (cogs/privacy.py)
        self._hub = hub
        self._owns_hub = hub is None
        self.tree.error(self.on_app_command_error)

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            raise RuntimeError("the hub is opened in setup_hook; the bot has not started yet")
        return self._hub

    async def setup_hook(self) -> None:
        if self._hub is None:
            self._hub = await open_hub(self.settings)
        self.hub.notifier.attach(DiscordSink(self))
        # Japanese and English names and descriptions of the commands, sent with them when they are synced.
        await self.tree.set_translator(CommandTranslator(self.hub.tr))
        for name in COGS:
            await self.load_extension(name)
        if self.settings.discord.sync_commands and self.shard_id in (None, 0):  # one shard registers them
            await self.sync_commands()

    async def sync_commands(self) -> None:
        """Register the slash commands in every configured server (instant, unlike global commands)."""
        for ref in self.hub.communities.all():
            if ref.settings.discord is None:
                continue
            guild = discord.Object(id=ref.settings.discord.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def close(self) -> None:
        if self._hub is not None:
            self._hub.notifier.detach("discord")
        await super().close()
        if self._owns_hub and self._hub is not None:
            await self._hub.close()

    # --- helpers for cogs ------------------------------------------------------------------------
    def community_of(self, interaction: discord.Interaction[Any]) -> CommunityRef:
        ref = self.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            raise DomainError(
                "common.error.guild_only" if interaction.guild_id is None else "common.error.unknown_guild"
            )
        return ref

    def identity_of(self, interaction: discord.Interaction[Any]) -> Identity:
        return Identity(self.community_of(interaction).id, "discord", str(interaction.user.id))

    async def language_of(self, interaction: discord.Interaction[Any]) -> str:
        """The member's chosen language, else one from the Discord client locale."""
        ref = self.hub.communities.by_guild(interaction.guild_id)
        default = ref.default_language if ref else "ja"
        if ref is not None:
            view = await self.hub.ambassadors.peek(Identity(ref.id, "discord", str(interaction.user.id)))
            if view is not None:
                return view.language
        return pick_language(str(interaction.locale.value) if interaction.locale else None, default)

    def t(self, lang: str, key: str, /, **params: Any) -> str:
        return self.hub.tr.t(lang, key, **params)

    # --- one error handler for commands and components --------------------------------------------
    async def on_app_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        await self.report_error(interaction, original)

    async def report_error(self, interaction: discord.Interaction[Any], error: BaseException) -> None:
        lang = await self._safe_language(interaction)
        if isinstance(error, DomainError):
            if error.key == "staff.error.not_staff":
                await self._audit_refusal(interaction)
            text = self.hub.tr.error(lang, error)
        elif isinstance(error, app_commands.CheckFailure):
            text = self.t(lang, "discord.error.not_allowed")
        else:
            log.error(
                "unexpected error in an interaction",
                exc_info=error,
                extra={"guild": interaction.guild_id, "command": _command_name(interaction)},
            )
            text = self.t(lang, "common.error.unexpected")
        await send_private(interaction, content=text)

    async def _audit_refusal(self, interaction: discord.Interaction[Any]) -> None:
        """Every staff command or button a non-staff member tried goes in the audit log, from here only."""
        ref = self.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return
        data: Any = interaction.data or {}
        what = _command_name(interaction) or str(data.get("custom_id", "?"))
        try:
            who = Identity(ref.id, "discord", str(interaction.user.id))
            await self.hub.moderation.refused(ref.id, who, what)
        except Exception:  # the refusal itself must still be answered
            log.exception("staff refusal not audited", extra={"guild": interaction.guild_id, "command": what})

    async def _safe_language(self, interaction: discord.Interaction[Any]) -> str:
        try:
            return await self.language_of(interaction)
        except Exception:  # the database itself may be what failed: go by the client's locale
            locale = str(interaction.locale.value) if interaction.locale else None
            return pick_language(locale, "ja")


class DiscordSink:
    """The notifier's way to reach a member on Discord: a direct message."""

    platform: Literal["discord"] = "discord"

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    async def send(
        self, community_id: int, external_id: str, text: str, retry_key: str | None = None
    ) -> bool:
        try:
            user = self.bot.get_user(int(external_id)) or await self.bot.fetch_user(int(external_id))
            await user.send(shorten(text, MESSAGE_MAX), allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, ValueError) as exc:  # DMs closed, unknown user
            log.info(
                "Discord DM not delivered", extra={"community_id": community_id, "error": type(exc).__name__}
            )
            return False
        return True

    async def sync_roles(
        self, community_id: int, external_id: str, add: tuple[int, ...], remove: tuple[int, ...]
    ) -> bool:
        ref = self.bot.hub.communities.by_id(community_id)
        guild = self.bot.get_guild(ref.settings.discord.guild_id) if ref.settings.discord else None
        if guild is None:
            return False
        try:
            member = guild.get_member(int(external_id)) or await guild.fetch_member(int(external_id))
            to_add = [r for r in (guild.get_role(i) for i in add) if r is not None]
            to_remove = [r for r in (guild.get_role(i) for i in remove) if r is not None]
            if to_add:
                await member.add_roles(*to_add, reason="stage of involvement")
            if to_remove:
                await member.remove_roles(*to_remove, reason="stage of involvement")
        except discord.HTTPException as exc:
            log.warning("stage roles not synced", extra={"community_id": community_id, "status": exc.status})
            return False
        return True


async def send_private(
    interaction: discord.Interaction[Any],
    *,
    content: str | None = None,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Answer ephemerally through whichever of response or follow-up is still open."""
    kwargs: dict[str, Any] = {"content": content, "ephemeral": True}
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


P = ParamSpec("P")
SelfT = TypeVar("SelfT", bound="HasBot")


class HasBot(Protocol):
    bot: HubBot


Handler = Callable[Concatenate[SelfT, discord.Interaction[Any], P], Coroutine[Any, Any, None]]


def guarded(func: Handler[SelfT, P]) -> Handler[SelfT, P]:
    """A member's mistake (a ``DomainError``) is answered with its localised message right here.

    Only unexpected exceptions travel on to discord.py's error handlers (and get logged as bugs).
    """

    async def wrapper(
        self: SelfT, interaction: discord.Interaction[Any], /, *args: P.args, **kwargs: P.kwargs
    ) -> None:
        try:
            await func(self, interaction, *args, **kwargs)
        except DomainError as err:
            await self.bot.report_error(interaction, err)

    # discord.py reads the command's parameters from the wrapped function's signature.
    return cast("Handler[SelfT, P]", functools.update_wrapper(wrapper, func))


def _command_name(interaction: discord.Interaction[Any]) -> str | None:
    return interaction.command.qualified_name if interaction.command else None


def create_discord_bot(
    settings: Settings,
    hub: Hub | None = None,
    *,
    shard_id: int | None = None,
    shard_count: int | None = None,
) -> HubBot:
    """Build the Discord bot. With ``hub=None`` it opens its own hub from ``settings`` when it starts.

    Tests and embedders pass a hub to share one database and clock with their own code:
    ``bot = create_discord_bot(settings, hub)`` and then ``async with simcord.run(bot) as env: ...``.
    ``shard_id``/``shard_count``: this process is one shard of the bot (``python -m bot run --shard-id``).
    """
    return HubBot(settings, hub, shard_id=shard_id, shard_count=shard_count)
