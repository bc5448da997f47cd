"""The audit trail: one row per thing that changed, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.community.identity import Identity
from storage.models import AuditEntry

SYSTEM = "system"  # the hub itself (a promotion by the rules, a scheduled close)


def actor_of(who: Identity) -> str:
    """Who did it, as the audit log and the ledger write it: ``discord:<user id>`` or ``line:<user id>``."""
    return f"{who.platform}:{who.external_id}"


def record(
    session: AsyncSession,
    *,
    community_id: int,
    action: str,
    at: datetime,
    ambassador_id: int | None = None,
    platform: str | None = None,
    detail: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            community_id=community_id,
            ambassador_id=ambassador_id,
            action=action,
            platform=platform,
            detail=detail,
            actor=actor,
            reason=reason,
            created_at=at,
        )
    )
