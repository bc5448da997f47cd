"""The contribution ledger: append-only, hash-chained per community, verifiable by anyone with the database.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical content. The
community row holds the head (last sequence number and hash), so appends are serialised per community
(PostgreSQL: the row lock of the ``UPDATE``; SQLite: the write lock) and a deleted tail is noticed too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.models import GENESIS_HASH, Community, LedgerEntry, PointTotal

KINDS = ("claim", "approve", "reject", "correct", "thanks", "auto")
# Kinds whose entry is an approved contribution of its category (counted for stage conditions).
COUNTED_KINDS = ("claim", "approve", "auto")
HASHED_FIELDS = (
    "community_id", "seq", "ambassador_id", "kind", "category", "points", "claimed_points", "refers_to",
    "actor", "giver_ambassador_id", "description", "link", "occurred_on", "created_at",
)  # fmt: skip


def canonical(fields: dict[str, Any]) -> str:
    """The exact text that is hashed: sorted JSON of the hashed fields, times in UTC to the microsecond."""
    out: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = fields[name]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out[name] = value
    return json.dumps(out, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + "\n" + canonical(fields)).encode()).hexdigest()


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
        columns = [getattr(LedgerEntry, name) for name in HASHED_FIELDS]
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
            async for row in result:
                fields = dict(zip(HASHED_FIELDS, row[: len(HASHED_FIELDS)], strict=True))
                seq = fields["seq"]
                if seq != expected_seq:
                    problem = "removed" if seq > expected_seq else "reordered"
                    return VerifyReport(community_id, checked, problem, expected_seq)
                if row.prev_hash != prev:
                    # Moved, or an entry before it was replaced whole (content and hash rewritten).
                    return VerifyReport(community_id, checked, "unlinked", seq)
                if entry_hash(prev, fields) != row.hash:
                    return VerifyReport(community_id, checked, "changed", seq)
                prev = row.hash
                expected_seq += 1
                checked += 1
        if checked != head.ledger_seq or prev != head.ledger_head:
            return VerifyReport(community_id, checked, "removed", checked + 1)
        return VerifyReport(community_id, checked)
