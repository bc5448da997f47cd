"""Activity statements (活動証明): a member's approved activities in one year, drawn from the ledger.

The ふるさと住民登録 scheme (from January 2027) gives a premium tier to people with three or more helper
activities a year; a municipality asks for proof. A statement lists each activity (date, category, what was
done) and cites the ledger entries it rests on, by sequence number and hash, with the chain head it was made
against. Whoever holds the community's ledger can check it (``verify_statement``): every cited entry is still
in the chain, unchanged, the member's, approved, in that year, and the chain itself verifies.

What counts as an activity: an approved contribution of a configured category (a claim approved at once or
by staff, or an automatic entry such as an event check-in or a finished project). Thanks and ballots are
recognition and participation in decisions, not activities in the region, and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit, ledger, signing
from bot.community.ambassadors import active_by_number, ambassador_for
from bot.community.communities import CommunityDirectory, CommunityRef
from bot.community.contributions import SYSTEM_CATEGORIES
from bot.community.dates import local_today
from bot.community.errors import DomainError
from bot.community.identity import Identity
from storage.database import Database
from storage.models import GENESIS_HASH, Ambassador, Community, LedgerEntry, PendingReview

FORMAT = "kankei-hub/activity-statement/v1"
PREMIUM_ACTIVITIES = 3  # ふるさと住民登録: three or more helper activities a year
EARLIEST_YEAR = 2000
LINK_DAYS = 7  # how long a statement link sent on LINE works
ACTIVITY_KINDS = ("claim", "auto")
NOT_ACTIVITIES = SYSTEM_CATEGORIES
HASH_RULE = (
    'sha256(prev_hash + "\\n" + canonical entry); see bot/community/ledger.py, python -m bot ledger verify'
)


@dataclass(frozen=True)
class Cited:
    """A ledger entry a statement rests on."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Activity:
    occurred_on: str  # YYYY-MM-DD in the community's time zone
    category: str
    description: str
    points: int
    entry: Cited  # the claim or automatic entry
    approval: Cited | None  # the staff approval, for a claim that waited for review


@dataclass(frozen=True)
class Statement:
    community_key: str
    community_name: str
    ambassador_id: int
    member_number: int
    display_name: str | None
    language: str
    year: int
    issued_at: datetime
    head: Cited  # the chain head it was made against (seq 0 and the genesis hash for an empty ledger)
    activities: tuple[Activity, ...]

    @property
    def count(self) -> int:
        return len(self.activities)

    @property
    def meets_premium(self) -> bool:
        return self.count >= PREMIUM_ACTIVITIES


@dataclass(frozen=True)
class StatementProblem:
    # format | community | member | head | missing | changed | hash | content | year | not_approved |
    # removed (taken back by staff since) | chain (the ledger itself does not verify)
    reason: str
    seq: int | None = None


@dataclass(frozen=True)
class StatementCheck:
    community_key: str | None
    member_number: int | None
    year: int | None
    activities: int
    problems: tuple[StatementProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class StatementLink:
    ambassador_id: int
    year: int
    as_of: int
    issued_at: datetime


class StatementService:
    def __init__(self, db: Database, clock: Clock, directory: CommunityDirectory) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory

    def year_of(self, community_id: int, year: int | None) -> int:
        """The year asked for (this year in the community's time zone by default), from 2000 to this year."""
        current = local_today(self.clock.now(), self.directory.by_id(community_id).settings.timezone).year
        if year is None:
            return current
        if not EARLIEST_YEAR <= year <= current:
            raise DomainError("statement.error.year", year=year, first=EARLIEST_YEAR, last=current)
        return year

    async def for_member(self, who: Identity, year: int | None = None) -> Statement:
        """The member's own statement, against the chain head now."""
        ref = self.directory.by_id(who.community_id)
        chosen = self.year_of(ref.id, year)
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            return await _build(s, ref, member, chosen, None, self.clock.now())

    async def issue(
        self, community_id: int, member_number: int, year: int, actor: str, platform: str | None = None
    ) -> Statement:
        """Staff issue a member's statement (a member who cannot use the apps asks the office); audited."""
        ref = self.directory.by_id(community_id)
        chosen = self.year_of(community_id, year)
        now = self.clock.now()
        async with self.db.transaction() as s:
            member = await active_by_number(s, community_id, member_number)
            if member is None:
                raise DomainError("contribution.error.unknown_member", number=member_number)
            statement = await _build(s, ref, member, chosen, None, now)
            audit.record(
                s, community_id=community_id, action="statement.issued", at=now, ambassador_id=member.id,
                platform=platform, actor=actor,
                detail=f"year={chosen} activities={statement.count} head={statement.head.seq}",
            )  # fmt: skip
            return statement

    async def of_link(self, community_id: int, link: StatementLink) -> Statement:
        """The statement a signed link names, as it was made (the same head and time, so the PDF and the JSON
        of one link agree). A member who has left: not found."""
        ref = self.directory.by_id(community_id)
        async with self.db.transaction() as s:
            member = await s.scalar(
                select(Ambassador).where(
                    Ambassador.community_id == community_id,
                    Ambassador.id == link.ambassador_id,
                    Ambassador.status == "active",
                )
            )
            if member is None:
                raise DomainError("profile.error.not_registered")
            return await _build(s, ref, member, link.year, link.as_of, link.issued_at)

    async def verify(self, document: str | bytes) -> StatementCheck:
        return await verify_statement(document, self.db)


# --- building ---------------------------------------------------------------------------------------------
async def _head(s: AsyncSession, community_id: int, as_of: int | None) -> Cited:
    if as_of is None:
        row = (
            await s.execute(
                select(Community.ledger_seq, Community.ledger_head).where(Community.id == community_id)
            )
        ).one()
        return Cited(int(row.ledger_seq), str(row.ledger_head))
    if as_of == 0:
        return Cited(0, GENESIS_HASH)
    digest = await s.scalar(
        select(LedgerEntry.hash).where(LedgerEntry.community_id == community_id, LedgerEntry.seq == as_of)
    )
    if digest is None:
        raise DomainError("statement.error.not_found")
    return Cited(as_of, str(digest))


async def _build(
    s: AsyncSession, ref: CommunityRef, member: Ambassador, year: int, as_of: int | None, issued_at: datetime
) -> Statement:
    head = await _head(s, ref.id, as_of)
    entries = (
        await s.scalars(
            select(LedgerEntry)
            .where(
                LedgerEntry.community_id == ref.id,
                LedgerEntry.ambassador_id == member.id,
                LedgerEntry.kind.in_(ACTIVITY_KINDS),
                LedgerEntry.category.not_in(NOT_ACTIVITIES),
                LedgerEntry.occurred_on >= f"{year:04d}-01-01",
                LedgerEntry.occurred_on <= f"{year:04d}-12-31",
                LedgerEntry.seq <= head.seq,
            )
            .order_by(LedgerEntry.occurred_on, LedgerEntry.seq)
        )
    ).all()
    decisions: dict[int, LedgerEntry] = {}
    taken_back: set[int] = set()
    for d in (
        await s.scalars(
            select(LedgerEntry).where(
                LedgerEntry.community_id == ref.id,
                LedgerEntry.kind.in_(("approve", "reject", "correct")),
                LedgerEntry.refers_to.in_([e.seq for e in entries]),
                LedgerEntry.seq <= head.seq,
            )
        )
    ).all():
        if d.kind == "correct":
            taken_back.add(int(d.refers_to or 0))
        else:
            decisions[int(d.refers_to or 0)] = d
    waited = [e.seq for e in entries if e.kind == "claim" and e.points == 0]
    pending: set[int] = set()
    if waited:
        pending = set(
            (
                await s.scalars(
                    select(PendingReview.claim_seq).where(
                        PendingReview.community_id == ref.id, PendingReview.claim_seq.in_(waited)
                    )
                )
            ).all()
        )
    activities: list[Activity] = []
    for e in entries:
        decision = decisions.get(e.seq)
        if e.seq in taken_back or not _approved(e, decision, e.seq in pending):
            continue
        approval = Cited(decision.seq, decision.hash) if decision is not None else None
        points = decision.points if decision is not None else e.points
        activities.append(
            Activity(e.occurred_on, e.category, e.description, points, Cited(e.seq, e.hash), approval)
        )
    return Statement(
        community_key=ref.key,
        community_name=ref.name,
        ambassador_id=member.id,
        member_number=member.member_number,
        display_name=member.display_name,
        language=member.language,
        year=year,
        issued_at=issued_at,
        head=head,
        activities=tuple(activities),
    )


def _approved(entry: LedgerEntry, decision: LedgerEntry | None, pending: bool) -> bool:
    """An automatic entry; a claim approved by staff; a claim that needed no review (it carries its points,
    or its category gives none and nothing waits for a decision)."""
    if entry.kind == "auto":
        return True
    if decision is not None:
        return decision.kind == "approve"
    return entry.points > 0 or (entry.claimed_points == 0 and not pending)


# --- the machine-readable form ----------------------------------------------------------------------------
def _cited(c: Cited | None) -> dict[str, Any] | None:
    return {"seq": c.seq, "hash": c.hash} if c is not None else None


def statement_json(statement: Statement) -> str:
    """The statement as JSON (UTF-8 text): what it says and the ledger entries it cites."""
    doc = {
        "format": FORMAT,
        "community": {"key": statement.community_key, "name": statement.community_name},
        "member": {"number": statement.member_number, "name": statement.display_name},
        "year": statement.year,
        "issued_at": statement.issued_at.astimezone(UTC).isoformat(),
        "ledger": {"head": _cited(statement.head), "hash_rule": HASH_RULE},
        "count": statement.count,
        "activities": [
            {
                "occurred_on": a.occurred_on,
                "category": a.category,
                "description": a.description,
                "points": a.points,
                "entry": _cited(a.entry),
                "approval": _cited(a.approval),
            }
            for a in statement.activities
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# --- checking ---------------------------------------------------------------------------------------------
def _recomputes(row: LedgerEntry) -> bool:
    fields = {name: getattr(row, name) for name in ledger.HASHED_FIELDS}
    return ledger.entry_hash(row.prev_hash, fields) == row.hash


def _parse(document: str | bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(document)
        head = doc["ledger"]["head"]
        ok = (
            doc["format"] == FORMAT
            and isinstance(doc["community"]["key"], str)
            and isinstance(doc["member"]["number"], int)
            and isinstance(doc["year"], int)
            and isinstance(head["seq"], int)
            and isinstance(head["hash"], str)
            and isinstance(doc["activities"], list)
            and all(
                isinstance(a["entry"]["seq"], int)
                and isinstance(a["entry"]["hash"], str)
                and (a["approval"] is None or isinstance(a["approval"]["seq"], int))
                for a in doc["activities"]
            )
        )
    except (ValueError, TypeError, KeyError):
        return None
    return doc if ok else None


async def verify_statement(document: str | bytes, db: Database) -> StatementCheck:
    """Check a statement's JSON against the community's ledger in ``db``; every problem is named."""
    doc = _parse(document)
    if doc is None:
        return StatementCheck(None, None, None, 0, (StatementProblem("format"),))
    key, number, year = doc["community"]["key"], doc["member"]["number"], doc["year"]
    activities: list[dict[str, Any]] = doc["activities"]
    problems: list[StatementProblem] = []

    def found(reason: str, seq: int | None = None) -> None:
        problems.append(StatementProblem(reason, seq))

    def done() -> StatementCheck:
        return StatementCheck(key, number, year, len(activities), tuple(problems))

    async with db.transaction() as s:
        community_id = await s.scalar(select(Community.id).where(Community.key == key))
        if community_id is None:
            found("community")
            return done()
        member_id = await s.scalar(
            select(Ambassador.id).where(
                Ambassador.community_id == community_id, Ambassador.member_number == number
            )
        )
        if member_id is None:
            found("member")
            return done()
        head = Cited(doc["ledger"]["head"]["seq"], doc["ledger"]["head"]["hash"])
        cited = [a["entry"]["seq"] for a in activities] + [
            a["approval"]["seq"] for a in activities if a["approval"] is not None
        ]
        rows = {
            r.seq: r
            for r in (
                await s.scalars(
                    select(LedgerEntry).where(
                        LedgerEntry.community_id == community_id, LedgerEntry.seq.in_([*cited, head.seq])
                    )
                )
            ).all()
        }
        head_row = rows.get(head.seq)
        if (head_row is None and (head.seq, head.hash) != (0, GENESIS_HASH)) or (
            head_row is not None and (head_row.hash != head.hash or not _recomputes(head_row))
        ):
            found("head", head.seq)
        undone = {
            int(seq or 0): kind
            for kind, seq in (
                await s.execute(
                    select(LedgerEntry.kind, LedgerEntry.refers_to).where(
                        LedgerEntry.community_id == community_id,
                        LedgerEntry.kind.in_(("reject", "correct")),
                        LedgerEntry.refers_to.in_([a["entry"]["seq"] for a in activities]),
                    )
                )
            ).all()
        }
    for a in activities:
        _check_activity(a, rows, head, member_id, year, undone, found)
    report = await ledger.LedgerVerifier(db).verify(community_id)
    if not report.ok:
        found("chain", report.seq)
    return done()


def _check_activity(
    activity: dict[str, Any],
    rows: dict[int, LedgerEntry],
    head: Cited,
    member_id: int,
    year: int,
    undone: dict[int, str],
    found: Callable[[str, int | None], None],
) -> None:
    seq = activity["entry"]["seq"]
    row = rows.get(seq)
    if row is None or seq > head.seq:
        found("missing", seq)
        return
    if not _recomputes(row):
        found("changed", seq)
    if row.hash != activity["entry"]["hash"]:
        found("hash", seq)
    if row.ambassador_id != member_id:
        found("member", seq)
    shown = (activity.get("occurred_on"), activity.get("category"), activity.get("description"))
    if shown != (row.occurred_on, row.category, row.description):
        found("content", seq)
    if not row.occurred_on.startswith(f"{year:04d}-"):
        found("year", seq)
    if undone.get(seq) == "correct":
        found("removed", seq)  # staff took it back after the statement was issued
    if row.kind not in ACTIVITY_KINDS or row.category in NOT_ACTIVITIES or undone.get(seq) == "reject":
        found("not_approved", seq)
        return
    approval = activity["approval"]
    if approval is None:
        if row.kind == "claim" and row.points == 0 and row.claimed_points > 0:
            found("not_approved", seq)  # it waited for review: the approval must be cited
        return
    decision = rows.get(approval["seq"])
    if decision is None or approval["seq"] > head.seq:
        found("missing", approval["seq"])
    elif (
        decision.kind != "approve"
        or decision.refers_to != seq
        or decision.hash != approval.get("hash")
        or not _recomputes(decision)
    ):
        found("not_approved", approval["seq"])


# --- signed links (LINE) ----------------------------------------------------------------------------------
def statement_token(
    secret: str, community_key: str, ambassador_id: int, year: int, as_of: int, issued_at: datetime
) -> str:
    """A link-safe token naming one member's statement for one year, as made at ``issued_at`` against the
    chain head ``as_of``; signed (see ``bot.community.signing``) and good for ``LINK_DAYS``."""
    stamp = int(issued_at.timestamp())
    return signing.sign(secret, "statement", community_key, ambassador_id, year, as_of, stamp)


def read_statement_token(secret: str, community_key: str, token: str, now: datetime) -> StatementLink | None:
    found = signing.read(secret, "statement", community_key, token, 4)
    if found is None:
        return None
    ambassador_id, year, as_of, stamp = found
    issued = datetime.fromtimestamp(stamp, UTC)
    if not issued - timedelta(minutes=5) <= now <= issued + timedelta(days=LINK_DAYS):
        return None
    return StatementLink(ambassador_id, year, as_of, issued)
