"""The contribution ledger: append-only, hash-chained per community, verifiable by anyone with the database.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical content. The
community row holds the head (last sequence number and hash), so appends are serialised per community
(PostgreSQL: the row lock of the ``UPDATE``; SQLite: the write lock) and a deleted tail is noticed too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, select, type_coerce, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.models import GENESIS_HASH, Community, LedgerEntry, PointTotal

KINDS = ("claim", "approve", "reject", "correct", "thanks", "auto")
# Kinds whose entry is an approved contribution of its category (counted for stage conditions).
COUNTED_KINDS = ("claim", "approve", "auto")
HASHED_FIELDS = (
    "community_id",
    "seq",
    "ambassador_id",
    "kind",
    "category",
    "points",
    "claimed_points",
    "refers_to",
    "actor",
    "giver_ambassador_id",
    "description",
    "link",
    "occurred_on",
    "created_at",
)  # fmt: skip  (created_at must stay last: canonical_values formats it)


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical_values(values: Sequence[Any]) -> str:
    """The exact text that is hashed: a JSON array of the hashed fields in ``HASHED_FIELDS`` order, the
    last one (``created_at``) as UTC ISO 8601 to the microsecond."""
    *head, created_at = values
    head.append(utc_text(created_at))
    return _encode(head)


def utc_text(moment: datetime) -> str:
    """UTC ISO 8601 to the microsecond; a naive value is UTC already (SQLite keeps them so)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds") + "+00:00"


def canonical(fields: dict[str, Any]) -> str:
    return canonical_values([fields[name] for name in HASHED_FIELDS])


def hash_values(prev_hash: str, values: Sequence[Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical_values(values)).encode()).hexdigest()


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hash_values(prev_hash, [fields[name] for name in HASHED_FIELDS])


@dataclass(frozen=True)
class Appended:
    seq: int
    hash: str


async def append(
    s: AsyncSession,
    *,
    community_id: int,
    ambassador_id: int,
    kind: str,
    category: str,
    points: int,
    actor: str,
    occurred_on: str,
    created_at: datetime,
    description: str = "",
    claimed_points: int | None = None,
    refers_to: int | None = None,
    giver_ambassador_id: int | None = None,
    link: str | None = None,
    counts_as_entry: bool | None = None,
) -> Appended:
    """Append one entry inside the caller's transaction and keep the point totals with it."""
    if kind not in KINDS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    head = (
        await s.execute(
            update(Community)
            .where(Community.id == community_id)
            .values(ledger_seq=Community.ledger_seq + 1)
            .returning(Community.ledger_seq, Community.ledger_head)
        )
    ).one()
    seq, prev_hash = int(head[0]), str(head[1])
    fields: dict[str, Any] = {
        "community_id": community_id,
        "seq": seq,
        "ambassador_id": ambassador_id,
        "kind": kind,
        "category": category,
        "points": points,
        "claimed_points": points if claimed_points is None else claimed_points,
        "refers_to": refers_to,
        "actor": actor,
        "giver_ambassador_id": giver_ambassador_id,
        "description": description,
        "link": link,
        "occurred_on": occurred_on,
        "created_at": created_at,
    }
    digest = entry_hash(prev_hash, fields)
    s.add(LedgerEntry(**fields, prev_hash=prev_hash, hash=digest))
    await s.execute(update(Community).where(Community.id == community_id).values(ledger_head=digest))
    counted = kind in COUNTED_KINDS and points > 0 if counts_as_entry is None else counts_as_entry
    if points or counted:
        await _add_totals(s, community_id, ambassador_id, occurred_on[:7], category, points, int(counted))
    return Appended(seq, digest)


async def _add_totals(
    s: AsyncSession,
    community_id: int,
    ambassador_id: int,
    month: str,
    category: str,
    points: int,
    entries: int,
) -> None:
    rows = [
        {"community_id": community_id, "ambassador_id": ambassador_id, "month": m, "category": c,
         "points": points, "entries": entries}
        for m in (month, "*")
        for c in (category, "*")
    ]  # fmt: skip
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(PointTotal).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["community_id", "ambassador_id", "month", "category"],
        set_={"points": PointTotal.points + stmt.excluded.points,
              "entries": PointTotal.entries + stmt.excluded.entries},
    )  # fmt: skip
    await s.execute(stmt)


@dataclass(frozen=True)
class VerifyReport:
    community_id: int
    checked: int
    problem: str | None = None  # changed | removed | reordered | unlinked; None when the chain verifies
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class LedgerVerifier:
    """Walks a community's chain in order and names the first entry changed, removed or reordered."""

    BATCH = 5000

    def __init__(self, db: Database) -> None:
        self.db = db

    async def head(self, community_id: int) -> str:
        async with self.db.transaction() as s:
            return str(await s.scalar(select(Community.ledger_head).where(Community.id == community_id)))

    async def verify(self, community_id: int) -> VerifyReport:
        # created_at read as the backend stores it (naive UTC on SQLite): formatted once by utc_text,
        # without the aware-datetime round trip the model's type would add for every row.
        columns = [getattr(LedgerEntry, name) for name in HASHED_FIELDS[:-1]]
        columns.append(type_coerce(LedgerEntry.created_at, DateTime(timezone=True)))
        expected_seq, prev = 1, GENESIS_HASH
        checked = 0
        async with self.db.transaction() as s:
            head = (
                await s.execute(
                    select(Community.ledger_seq, Community.ledger_head).where(Community.id == community_id)
                )
            ).one()
            result = await s.stream(
                select(*columns, LedgerEntry.prev_hash, LedgerEntry.hash)
                .where(LedgerEntry.community_id == community_id)
                .order_by(LedgerEntry.seq)
                .execution_options(yield_per=self.BATCH)
            )
            width = len(HASHED_FIELDS)
            seq_at = HASHED_FIELDS.index("seq")
            # Rows in partitions: one await per batch, not per row (that alone was most of the time).
            async for partition in result.partitions(self.BATCH):
                for row in partition:
                    values = row[:width]
                    seq = values[seq_at]
                    if seq != expected_seq:
                        problem = "removed" if seq > expected_seq else "reordered"
                        return VerifyReport(community_id, checked, problem, expected_seq)
                    if row[width] != prev:
                        # Moved, or an entry before it was replaced whole (content and hash rewritten).
                        return VerifyReport(community_id, checked, "unlinked", seq)
                    if hash_values(prev, values) != row[width + 1]:
                        return VerifyReport(community_id, checked, "changed", seq)
                    prev = row[width + 1]
                    expected_seq += 1
                    checked += 1
        if checked != head.ledger_seq or prev != head.ledger_head:
            return VerifyReport(community_id, checked, "removed", checked + 1)
        return VerifyReport(community_id, checked)
