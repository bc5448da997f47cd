"""``python -m bot export`` and ``python -m bot statement verify``: exports and statement checks for staff
working on the server (a file too big for Discord, a scheduled copy, a statement someone handed in)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli import EXIT_CONFIG, EXIT_FAILED, EXIT_OK
from bot.config import Settings

if TYPE_CHECKING:
    from bot.community.exports import ExportFile
    from bot.community.statements import StatementCheck

PROBLEMS = {
    "format": "not an activity statement (JSON of kankei-hub/activity-statement/v1)",
    "community": "no community with this key in this database",
    "member": "not an entry of this member",
    "head": "the chain head it cites is not in the ledger",
    "missing": "no such entry in the ledger",
    "changed": "the entry was changed after it was written",
    "hash": "the hash it cites is not the entry's",
    "content": "what it says differs from the entry",
    "year": "the entry is not of this year",
    "not_approved": "the entry is not an approved activity",
    "removed": "staff took the entry back since",
    "chain": "the ledger itself does not verify (python -m bot ledger verify)",
}


async def _schema_ok(settings: Settings) -> bool:
    from bot.app import SchemaOutOfDate, check_schema

    try:
        await check_schema(settings.database.url)
    except SchemaOutOfDate as exc:
        print(exc, file=sys.stderr)
        return False
    return True


def export_command(settings: Settings, community: str, kind: str, out: str | None, lang: str | None) -> int:
    """Write one export to ``out`` (or standard output); the export is audited with the actor ``cli``."""
    from bot.community.exports import KINDS

    if kind not in KINDS:
        print(f"export: unknown kind {kind!r} (one of {', '.join(KINDS)})", file=sys.stderr)
        return EXIT_CONFIG
    made = asyncio.run(_export(settings, community, kind, lang))
    if isinstance(made, int):
        return made
    if out is None:
        sys.stdout.buffer.write(made.data)
        sys.stdout.buffer.flush()
        return EXIT_OK
    try:
        Path(out).write_bytes(made.data)
    except OSError as exc:
        print(f"export: cannot write {out}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{community}: {made.rows} rows of {kind} written to {out}", file=sys.stderr)
    return EXIT_OK


async def _export(settings: Settings, community: str, kind: str, lang: str | None) -> ExportFile | int:
    from bot.hub import open_hub

    if not await _schema_ok(settings):
        return EXIT_FAILED
    hub = await open_hub(settings)
    try:
        ref = hub.communities.by_key(community)
        if ref is None:
            print(f"export: no community with key {community!r}", file=sys.stderr)
            return EXIT_CONFIG
        return await hub.exports.export(ref.id, kind, "cli", lang)
    finally:
        await hub.close()


def statement_verify_command(settings: Settings, source: str) -> int:
    """Check a statement's JSON against this database's ledger; each problem on a line of its own."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"statement: cannot read {source}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    check = asyncio.run(_verify(settings, text))
    if isinstance(check, int):
        return check
    who = f"{check.community_key} No. {check.member_number}, {check.year}"
    if check.ok:
        print(f"{who}: ok, {check.activities} activities verify against the ledger")
        return EXIT_OK
    print(f"{who if check.community_key else source}: DOES NOT VERIFY")
    for problem in check.problems:
        where = f"entry #{problem.seq}: " if problem.seq is not None else ""
        print(f"  {where}{PROBLEMS.get(problem.reason, problem.reason)}")
    return EXIT_FAILED


async def _verify(settings: Settings, text: str) -> StatementCheck | int:
    from bot.community.statements import verify_statement
    from storage.database import Database

    if not await _schema_ok(settings):
        return EXIT_FAILED
    db = Database(settings.database.url)
    try:
        return await verify_statement(text, db)
    finally:
        await db.dispose()
