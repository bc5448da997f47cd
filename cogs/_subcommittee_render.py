"""Shared pieces for subcommittees on Discord: finding one from a typed option, autocomplete choices, the
"you might like" suggestions after /register and a profile edit, and giving or taking a member's role."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.subcommittees import SubcommitteeView, name_key
from bot.community.text import typed_number
from bot.i18n import Translator
from bot.notify.digests import Activity
from cogs._limits import CHOICE_NAME_MAX, CHOICES_MAX, FIELD_VALUE_MAX, fair_shares, shorten
from cogs._staff import is_staff

if TYPE_CHECKING:
    from bot.discord_bot import HubBot
    from bot.hub import Hub

log = logging.getLogger(__name__)


def subcommittee_choice(sub: SubcommitteeView) -> app_commands.Choice[str]:
    """Shown by name; the value carries the id (「#12」), so a renamed or look-alike name cannot mislead."""
    return app_commands.Choice(name=shorten(sub.name, CHOICE_NAME_MAX), value=f"#{sub.id}")


def choices(found: list[SubcommitteeView], current: str) -> list[app_commands.Choice[str]]:
    typed = name_key(current or "")
    return [subcommittee_choice(s) for s in found if typed in name_key(s.name)][:CHOICES_MAX]


async def subcommittee_options(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete of the open subcommittees of the server's community (for any command's option)."""
    bot = interaction.client
    hub = getattr(bot, "hub", None)
    ref = hub.communities.by_guild(interaction.guild_id) if hub is not None else None
    if hub is None or ref is None:
        return []
    return choices(await hub.subcommittees.all(ref.id), current)


async def author_scope(
    hub: Hub, interaction: discord.Interaction[Any], ref: CommunityRef, subcommittee: str | None
) -> tuple[bool, SubcommitteeView | None]:
    """Who posts a new event, vote or project, and for which subcommittee: ``(is staff, subcommittee)``.

    Staff may post anything; anyone else must name a subcommittee (the service then checks they lead it)."""
    staff = is_staff(interaction, ref)
    if not staff and subcommittee is None:
        raise DomainError("staff.error.not_staff")
    return staff, await find_subcommittee(hub, ref.id, subcommittee) if subcommittee else None


async def find_subcommittee(hub: Hub, community_id: int, raw: str) -> SubcommitteeView:
    """The subcommittee an option names: 「#12」 from autocomplete, else its name as typed (any width or
    case), else a bare number as its id."""
    text = raw.strip()
    picked = typed_number(text.lstrip("#").split(" ")[0]) if text.startswith("#") else None
    if picked is not None:
        return await hub.subcommittees.get(community_id, picked)
    try:
        return await hub.subcommittees.by_name(community_id, text)
    except DomainError:
        if (number := typed_number(text)) is not None:
            return await hub.subcommittees.get(community_id, number)
        raise


def suggestion_lines(tr: Translator, lang: str, found: list[SubcommitteeView]) -> str | None:
    """「・食と農 (food, farming)」 for each suggestion, then how to join; None when nothing fits. Within one
    embed field (on the welcome card): long names and tags share the room, the how-to stays whole."""
    if not found:
        return None
    sep = tr.t(lang, "profile.list_separator")
    lines = [
        tr.t(lang, "discord.subcommittee.suggest.line", name=s.name, tags=sep.join(s.tags)) for s in found
    ]
    how = tr.t(lang, "discord.subcommittee.suggest.how")
    return "\n".join([*fair_shares(lines, FIELD_VALUE_MAX - len(how) - len(lines)), how])


async def change_role(guild: discord.Guild, user_id: int, role_id: int | None, *, give: bool) -> bool:
    """Give or take a subcommittee's role. True when done (or there is no role); False if Discord refused,
    the role is gone or the person is not in the server. The membership itself stands either way."""
    if role_id is None:
        return True
    role = guild.get_role(role_id)
    if role is None:
        log.warning("subcommittee role not found", extra={"guild": guild.id, "role_id": role_id})
        return False
    try:
        member = guild.get_member(user_id) or await guild.fetch_member(user_id)
        if give:
            await member.add_roles(role, reason="subcommittee member")
        else:
            await member.remove_roles(role, reason="left the subcommittee")
    except discord.HTTPException as exc:
        log.warning(
            "subcommittee role not changed",
            extra={"guild": guild.id, "role_id": role_id, "status": exc.status, "give": give},
        )
        return False
    return True


class ChannelCounter:
    """The digest's source on Discord: how many posts, by how many people, a channel had since a time.

    Needs *Read Message History*, not the message content intent: only authors and times are read."""

    SCAN_MAX = 2000

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    async def channel_activity(self, channel_id: int, since: datetime) -> Activity | None:
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return None
        posts, people = 0, set()
        try:
            async for message in channel.history(after=since, limit=self.SCAN_MAX):
                if not message.author.bot:
                    posts += 1
                    people.add(message.author.id)
        except discord.HTTPException as exc:
            log.warning(
                "subcommittee channel not read", extra={"channel_id": channel_id, "status": exc.status}
            )
            return None
        return Activity(posts, len(people))
