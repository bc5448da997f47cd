"""The contribution ledger: append-only, hash-chained per community, verifiable by anyone with the database.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical content. The
community row holds the head (last sequence number and hash), so appends are serialised per community
(PostgreSQL: the row lock of the ``UPDATE``; SQLite: the write lock) and a deleted tail is noticed too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.database import Database, upsert_insert
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


def utc_text(moment: datetime | str) -> str:
    """UTC ISO 8601 to the microsecond. A naive value is UTC already; so is SQLite's stored text
    ("YYYY-MM-DD HH:MM:SS.ffffff", always six fraction digits), read raw by the verifier."""
    if isinstance(moment, str):
        if len(moment) == 26 and moment[10] in " T":
            return moment[:10] + "T" + moment[11:] + "+00:00"
        moment = datetime.fromisoformat(moment)
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
    entries_delta: int | None = None,
) -> Appended:
    """Append one entry inside the caller's transaction and keep the point totals with it.

    ``entries_delta`` overrides how the entry changes the count of approved entries (a correction that
    removes an approved contribution gives -1)."""
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
    entries = int(counted) if entries_delta is None else entries_delta
    if points or entries:
        await _add_totals(s, community_id, ambassador_id, occurred_on[:7], category, points, entries)
    return Appended(seq, digest)


async def append_many(
    s: AsyncSession,
    *,
    community_id: int,
    entries: Sequence[dict[str, Any]],
    counts_as_entry: bool,
) -> list[Appended]:
    """Append many entries at once, in order, inside the caller's transaction: one head update, one bulk
    insert and one bulk upsert of the point totals, however many entries (a vote's ballot points).

    Each entry gives ``ambassador_id``, ``kind``, ``category``, ``points``, ``actor``, ``occurred_on``,
    ``created_at`` and optionally ``description``; the chain is what one ``append`` each would make."""
    if not entries:
        return []
    for e in entries:
        if e["kind"] not in KINDS:
            raise ValueError(f"unknown ledger kind {e['kind']!r}")
    head = (
        await s.execute(
            update(Community)
            .where(Community.id == community_id)
            .values(ledger_seq=Community.ledger_seq + len(entries))
            .returning(Community.ledger_seq, Community.ledger_head)
        )
    ).one()
    seq, prev_hash = int(head[0]) - len(entries), str(head[1])
    rows: list[dict[str, Any]] = []
    appended: list[Appended] = []
    totals: dict[tuple[int, str, str], list[int]] = {}
    for e in entries:
        seq += 1
        fields: dict[str, Any] = {
            "community_id": community_id, "seq": seq, "ambassador_id": e["ambassador_id"],
            "kind": e["kind"], "category": e["category"], "points": e["points"],
            "claimed_points": e["points"], "refers_to": None, "actor": e["actor"],
            "giver_ambassador_id": None, "description": e.get("description", ""),
            "link": None, "occurred_on": e["occurred_on"], "created_at": e["created_at"],
        }  # fmt: skip
        digest = entry_hash(prev_hash, fields)
        rows.append({**fields, "prev_hash": prev_hash, "hash": digest})
        appended.append(Appended(seq, digest))
        prev_hash = digest
        if e["points"] or counts_as_entry:
            for month in (e["occurred_on"][:7], "*"):
                for category in (e["category"], "*"):
                    kept = totals.setdefault((e["ambassador_id"], month, category), [0, 0])
                    kept[0] += e["points"]
                    kept[1] += int(counts_as_entry)
    await s.execute(insert(LedgerEntry), rows)
    await s.execute(update(Community).where(Community.id == community_id).values(ledger_head=prev_hash))
    if totals:
        insert_ = upsert_insert(s.get_bind().dialect.name)
        stmt = insert_(PointTotal)
        stmt = stmt.on_conflict_do_update(
            index_elements=["community_id", "ambassador_id", "month", "category"],
            set_={"points": PointTotal.points + stmt.excluded.points,
                  "entries": PointTotal.entries + stmt.excluded.entries},
        )  # fmt: skip
        await s.execute(
            stmt,
            [
                {"community_id": community_id, "ambassador_id": aid, "month": month, "category": category,
                 "points": kept[0], "entries": kept[1]}
                for (aid, month, category), kept in totals.items()
            ],
        )  # fmt: skip
    return appended


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
    insert = upsert_insert(s.get_bind().dialect.name)
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
        """Walk the chain up to the head read at the start (later appends are not half-seen)."""
        expected_seq, prev = 1, GENESIS_HASH
        width, seq_at = len(HASHED_FIELDS), HASHED_FIELDS.index("seq")
        async with self.db.engine.connect() as conn:
            head = (
                await conn.execute(
                    select(Community.ledger_seq, Community.ledger_head).where(Community.id == community_id)
                )
            ).one()
            await conn.commit()
            async for page in self._pages(conn, community_id, head.ledger_seq):
                for row in page:
                    values = row[:width]
                    seq = values[seq_at]
                    if seq != expected_seq:
                        problem = "removed" if seq > expected_seq else "reordered"
                        return VerifyReport(community_id, expected_seq - 1, problem, expected_seq)
                    if row[width] != prev:
                        # Moved, or an entry before it was replaced whole (content and hash rewritten).
                        return VerifyReport(community_id, seq - 1, "unlinked", seq)
                    if hash_values(prev, values) != row[width + 1]:
                        return VerifyReport(community_id, seq - 1, "changed", seq)
                    prev = row[width + 1]
                    expected_seq += 1
        checked = expected_seq - 1
        if checked != head.ledger_seq or prev != head.ledger_head:
            return VerifyReport(community_id, checked, "removed", checked + 1)
        return VerifyReport(community_id, checked)

    async def _pages(
        self, conn: AsyncConnection, community_id: int, last_seq: int
    ) -> AsyncIterator[list[Any]]:
        """Rows in seq order, a page at a time, through the raw driver (no per-row result processing).

        Keyset pages over the (community_id, seq) unique index, ordered by seq as the chain must be.
        """
        cols = ", ".join(HASHED_FIELDS) + ", prev_hash, hash"
        # PostgreSQL writes created_at in UTC as text itself, in the form SQLite stores (see utc_text).
        pg_cols = cols.replace(
            "created_at", """to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
        )
        raw = (await conn.get_raw_connection()).driver_connection
        after = 0
        while after < last_seq:
            if conn.dialect.name == "postgresql":
                page: list[Any] = await raw.fetch(  # type: ignore[union-attr]
                    f"SELECT {pg_cols} FROM ledger_entries WHERE community_id = $1 AND seq > $2 "
                    f"AND seq <= $3 ORDER BY seq LIMIT {self.BATCH}",
                    community_id, after, last_seq,
                )  # fmt: skip
            else:
                cursor = await raw.execute(  # type: ignore[union-attr]
                    f"SELECT {cols} FROM ledger_entries WHERE community_id = ? AND seq > ? AND seq <= ? "
                    f"ORDER BY seq LIMIT {self.BATCH}",
                    (community_id, after, last_seq),
                )  # fmt: skip
                page = list(await cursor.fetchall())
                await cursor.close()
            if not page:
                return
            yield page
            after = page[-1][1]
