"""The audit trail: one row per thing that changed, written in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


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
