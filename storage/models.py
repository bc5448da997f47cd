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
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql import false
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


GENESIS_HASH = "0" * 64


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
    # The head of this community's contribution ledger: the last sequence number and its hash.
    ledger_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ledger_head: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH, server_default=GENESIS_HASH)
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
    # Set by staff by hand: automatic promotion leaves it alone until staff hand it back.
    stage_manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default="active")  # "active" | "left"
    # Opted in to event news on LINE (event cards pushed when staff post an event).
    event_news: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Opted in to new votes on LINE (a card with the options pushed when staff open a vote).
    vote_news: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Opted in to calls for help (projects) matched to their skills and interests.
    project_news: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Opted out of the weekly digest (upcoming events, open votes, new projects).
    digest_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Profile fields the member keeps from staff views and exports (e.g. ["residence", "skills"]).
    private_fields: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    # status "suspended": staff suspended the member (with a reason in the audit log) until reinstated.
    suspended_at: Mapped[datetime | None]
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
    # Who did it ("discord:<id>", "line:<id>", "system", "cli") and why (staff actions give a reason).
    actor: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class LedgerEntry(Base):
    """One append-only record in a community's contribution ledger.

    ``hash`` is SHA-256 over ``prev_hash`` and the entry's canonical content (see bot/community/ledger.py);
    approvals, rejections and corrections are new entries that refer to the claim by ``refers_to``.
    ``points`` is what the entry adds to the member's balance (0 for a claim still waiting for review).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("community_id", "seq"),
        Index("ix_ledger_entries_member", "community_id", "ambassador_id", "seq"),
        Index("ix_ledger_entries_giver", "community_id", "giver_ambassador_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    seq: Mapped[int] = mapped_column(Integer)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"))
    kind: Mapped[str] = mapped_column(String(16))  # claim | approve | reject | correct | thanks | auto
    category: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer)
    claimed_points: Mapped[int] = mapped_column(Integer)
    refers_to: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(80))  # "discord:<id>", "line:<id>" or "system"
    giver_ambassador_id: Mapped[int | None] = mapped_column(ForeignKey("ambassadors.id"))
    description: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    occurred_on: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the community's time zone
    created_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class PendingReview(Base):
    """The staff work queue: a claim waiting for a decision. Deleting the row is how a decision is claimed."""

    __tablename__ = "pending_reviews"
    __table_args__ = (UniqueConstraint("community_id", "claim_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    claim_seq: Mapped[int] = mapped_column(Integer)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"))
    created_at: Mapped[datetime]


class PointTotal(Base):
    """Points and approved entries per member, month and category, kept with every ledger append.

    ``month`` is "YYYY-MM" or "*" (all time); ``category`` is a key or "*" (all categories), so a
    leaderboard or a member's balance is one indexed lookup instead of a sum over the ledger.
    """

    __tablename__ = "point_totals"
    __table_args__ = (Index("ix_point_totals_board", "community_id", "month", "category", "points"),)

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class PushUsage(Base):
    """LINE pushes sent per community and month (Japan time), claimed before each push."""

    __tablename__ = "push_usage"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    """An event staff posted. ``revision`` goes up with each edit (the RSVP lock, and the .ics SEQUENCE)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("community_id", "checkin_code"),
        Index("ix_events_upcoming", "community_id", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(300))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))  # the zone staff entered the times in
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | cancelled
    checkin_code: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    # Scoped to one subcommittee: only its members are offered it and may answer.
    subcommittee_id: Mapped[int | None] = mapped_column(ForeignKey("subcommittees.id"))
    discord_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    discord_message_id: Mapped[int | None] = mapped_column(BigInteger)
    discord_scheduled_event_id: Mapped[int | None] = mapped_column(BigInteger)


class EventRsvp(Base):
    """One ambassador's answer to one event, whichever platform it came from (the latest wins)."""

    __tablename__ = "event_rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "ambassador_id"),
        Index("ix_event_rsvps_member", "community_id", "ambassador_id"),
        Index("ix_event_rsvps_waitlist", "event_id", "status", "waitlisted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"))
    status: Mapped[str] = mapped_column(String(16))  # going | maybe | declined | waitlist
    platform: Mapped[str] = mapped_column(String(16))  # where the latest answer came from
    answered_at: Mapped[datetime]
    waitlisted_at: Mapped[datetime | None]


class Reminder(Base):
    """A reminder due to one member. The scheduler only wakes the process; these rows say what is due.

    ``status``: pending → sending (claimed by one process) → sent | failed; or skipped (too late).
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("event_id", "ambassador_id", "offset_minutes"),
        Index("ix_reminders_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"))
    offset_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    settled_at: Mapped[datetime | None]


class EventCheckin(Base):
    """That a member came, once per event, with the ledger entry it earned."""

    __tablename__ = "event_checkins"
    __table_args__ = (UniqueConstraint("event_id", "ambassador_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"))
    method: Mapped[str] = mapped_column(String(16))  # staff | code
    actor: Mapped[str] = mapped_column(String(80))
    ledger_seq: Mapped[int | None] = mapped_column(Integer)  # None: the community counts no points for it
    checked_in_at: Mapped[datetime]


class Delivery(Base):
    """A card pushed to a member on LINE (a new event, a vote): claimed before it is sent, so a retry, a
    second process or a double click never sends it twice."""

    __tablename__ = "deliveries"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # event | vote
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    sent_at: Mapped[datetime]


class Vote(Base):
    """A question put to the community. Who may vote and their weights are fixed when it opens
    (``vote_weights``), so points logged during the vote cannot swing it.

    ``status``: open → closed (``result`` holds the final tally) | cancelled. ``result_posted_at`` and
    ``reminded_at`` are claimed with a conditional UPDATE, so each happens once even with two processes.
    """

    __tablename__ = "votes"
    __table_args__ = (
        Index("ix_votes_due", "status", "closes_at"),
        Index("ix_votes_discord_message", "community_id", "discord_message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    question: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[str]] = mapped_column()
    weighted: Mapped[bool] = mapped_column(Boolean)
    approval: Mapped[bool] = mapped_column(Boolean)  # several options per member
    hidden: Mapped[bool] = mapped_column(Boolean)  # no counts shown, ballots by button, until it closes
    min_stage: Mapped[int] = mapped_column(Integer, default=1)
    # Scoped to one subcommittee: only its members (at opening) may vote.
    subcommittee_id: Mapped[int | None] = mapped_column(ForeignKey("subcommittees.id"))
    quorum_count: Mapped[int | None] = mapped_column(Integer)
    quorum_percent: Mapped[int | None] = mapped_column(Integer)
    eligible: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(80))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_posted_at: Mapped[datetime | None]
    # A process posting the result holds it until then (plus the jobs lease): a dead one's claim runs out.
    result_claimed_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    points_recorded_at: Mapped[datetime | None]  # the ballot entries in the ledger, written once at close
    # They are written in chunks, in member-number order: the last member number done (None: none yet).
    points_through: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    discord_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    discord_message_id: Mapped[int | None] = mapped_column(BigInteger)


class VoteWeight(Base):
    """Who may vote, with the weight they carry (thousandths, so sums are exact), fixed at opening."""

    __tablename__ = "vote_weights"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), primary_key=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    points: Mapped[int] = mapped_column(Integer)
    weight_milli: Mapped[int] = mapped_column(Integer)


class Ballot(Base):
    """One option a member chose (several rows in approval voting). ``source`` says how it came: a Discord
    reaction (reconciled with the message at start), a button, or a LINE postback."""

    __tablename__ = "ballots"
    __table_args__ = (Index("ix_ballots_member", "community_id", "ambassador_id"),)

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), primary_key=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"), primary_key=True)
    option: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    source: Mapped[str] = mapped_column(String(16))  # reaction | button | postback
    cast_at: Mapped[datetime]


class VoteNotice(Base):
    """A person already told why their reaction on this vote does not count: told once per vote."""

    __tablename__ = "vote_notices"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    told_at: Mapped[datetime]


class Subcommittee(Base):
    """An interest group (分科会) with its own private Discord channel and role, joinable from LINE too.

    ``name_key`` is the name folded (NFKC, case) so that 「食と農」 and 「食と農 」 are one name."""

    __tablename__ = "subcommittees"
    __table_args__ = (UniqueConstraint("community_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    name_key: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | archived
    lead_ambassador_id: Mapped[int | None] = mapped_column(ForeignKey("ambassadors.id"))
    discord_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    discord_role_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]
    digest_sent_at: Mapped[datetime | None]  # the last LINE digest of its Discord channel


class SubcommitteeMember(Base):
    __tablename__ = "subcommittee_members"
    __table_args__ = (Index("ix_subcommittee_members_member", "community_id", "ambassador_id"),)

    subcommittee_id: Mapped[int] = mapped_column(ForeignKey("subcommittees.id"), primary_key=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    joined_at: Mapped[datetime]


class Project(Base):
    """A call for help (関わりしろ): skills needed for a local issue, matched to members who opted in."""

    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_open", "community_id", "status", "deadline"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    title: Mapped[str] = mapped_column(String(100))
    needs: Mapped[str] = mapped_column(Text)
    skills: Mapped[list[str]] = mapped_column(default=list)
    place: Mapped[str | None] = mapped_column(String(200))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    subcommittee_id: Mapped[int | None] = mapped_column(ForeignKey("subcommittees.id"))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    discord_thread_id: Mapped[int | None] = mapped_column(BigInteger)


class ProjectApplication(Base):
    __tablename__ = "project_applications"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # applied | accepted | declined
    message: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str] = mapped_column(String(16))
    applied_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(80))


class Broadcast(Base):
    """News staff sent to everyone or to a segment (stage, interest, subcommittee, residence, connection,
    language). Who got it on LINE is in ``deliveries`` (kind "broadcast"), so a retry never sends twice."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    segment: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | sending | sent | cancelled
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    discord_recipients: Mapped[int] = mapped_column(Integer, default=0)
    line_recipients: Mapped[int] = mapped_column(Integer, default=0)
    line_sent: Mapped[int] = mapped_column(Integer, default=0)
    discord_message_id: Mapped[int | None] = mapped_column(BigInteger)


class HeldMessage(Base):
    """A message a member could not be pushed on LINE because the month's budget was spent: kept, in their
    language, for the next weekly digest (one bundled push) instead of being dropped."""

    __tablename__ = "held_messages"
    __table_args__ = (Index("ix_held_messages_member", "community_id", "ambassador_id", "released_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
