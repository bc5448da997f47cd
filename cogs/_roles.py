"""Giving and taking the community's Ambassador role."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.community.communities import CommunityRef

log = logging.getLogger(__name__)


async def set_ambassador_role(
    interaction: discord.Interaction[Any], ref: CommunityRef, *, give: bool
) -> bool:
    """Give or take the configured role. False if it could not be done (the registration itself stands)."""
    role_id = ref.settings.discord.ambassador_role_id if ref.settings.discord else None
    if role_id is None or interaction.guild is None:
        return True
    member = interaction.user if isinstance(interaction.user, discord.Member) else None
    role = interaction.guild.get_role(role_id)
    if member is None or role is None:
        log.warning("ambassador role not found", extra={"community": ref.key, "role_id": role_id})
        return False
    try:
        if give:
            await member.add_roles(role, reason="ambassador registered")
        else:
            await member.remove_roles(role, reason="ambassador left")
    except discord.HTTPException as exc:
        log.warning(
            "could not change the ambassador role",
            extra={"community": ref.key, "role_id": role_id, "status": exc.status, "give": give},
        )
        return False
    return True
