"""SQLAlchemy 2 models. Every row that belongs to a programme carries its ``community_id``.

Times are stored as timezone-aware UTC datetimes (``UtcDateTime``), on SQLite as well as PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in and out, whatever the backend keeps (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Community(Base):
    """One municipality's programme. Rows are created from the config file at start-up (``key`` is stable)."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_language: Mapped[str] = mapped_column(String(8))
    # The last member number handed out; numbers are assigned in order and never reused.
    last_member_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class Ambassador(Base):
    __tablename__ = "ambassadors"
    __table_args__ = (UniqueConstraint("community_id", "member_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    member_number: Mapped[int] = mapped_column(Integer)
    # Personal fields: erased (set to None / empty) when the ambassador leaves.
    display_name: Mapped[str | None] = mapped_column(String(64))
    residence_kind: Mapped[str | None] = mapped_column(String(16))  # "prefecture" | "country"
    residence_code: Mapped[str | None] = mapped_column(String(8))  # "JP-32" | ISO 3166-1 alpha-2
    connection: Mapped[str | None] = mapped_column(String(32))
    interests: Mapped[list[str]] = mapped_column(default=list)
    skills: Mapped[list[str]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    stage: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="active")  # "active" | "left"
    registered_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    left_at: Mapped[datetime | None]

    identities: Mapped[list[PlatformIdentity]] = relationship(back_populates="ambassador")


class PlatformIdentity(Base):
    """A Discord or LINE account that belongs to one ambassador of one community."""

    __tablename__ = "platform_identities"
    __table_args__ = (UniqueConstraint("community_id", "platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))  # "discord" | "line"
    external_id: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    linked_at: Mapped[datetime]

    ambassador: Mapped[Ambassador] = relationship(back_populates="identities")


class ConsentRecord(Base):
    """That an ambassador accepted a version of the privacy notice, when, and where."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"), index=True)
    notice_version: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str] = mapped_column(String(16))
    consented_at: Mapped[datetime]


class LinkCode(Base):
    """A one-time code that joins two platform identities into one ambassador. Only its hash is kept."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Conversation(Base):
    """Where a person is in a step-by-step dialogue (LINE registration or a profile edit)."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("community_id", "platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class ProcessedWebhookEvent(Base):
    """A LINE webhook event id already handled: a redelivery with the same id is skipped."""

    __tablename__ = "processed_webhook_events"
    __table_args__ = (UniqueConstraint("community_id", "event_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """Who did what to whom: registrations, profile edits, links, departures. Never holds personal fields."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ambassador_id: Mapped[int | None] = mapped_column(ForeignKey("ambassadors.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    platform: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
