"""Who counts as staff on Discord: the staff role, or Manage Server. Checked on the server side."""

from __future__ import annotations

from typing import Any

import discord

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError


def require_staff(interaction: discord.Interaction[Any], ref: CommunityRef) -> None:
    """Raise ``staff.error.not_staff`` unless the member has the staff role or Manage Server."""
    member = interaction.user
    if not isinstance(member, discord.Member):
        raise DomainError("staff.error.not_staff")
    staff_role = ref.settings.discord.staff_role_id if ref.settings.discord else None
    if member.guild_permissions.manage_guild:
        return
    if staff_role is not None and any(r.id == staff_role for r in member.roles):
        return
    raise DomainError("staff.error.not_staff")


def is_staff(interaction: discord.Interaction[Any], ref: CommunityRef) -> bool:
    """Whether ``require_staff`` would let this member through (a subcommittee's lead who is not staff gets
    False; the services then allow them only what their subcommittee is for)."""
    try:
        require_staff(interaction, ref)
    except DomainError:
        return False
    return True
