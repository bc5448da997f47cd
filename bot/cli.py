"""``python -m bot run|check|demo|db upgrade|db current|ledger verify|export|statement verify``. Problems
print one line; no tracebacks."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from bot.config import ENV_DATABASE_URL, ConfigError, DatabaseSettings, Settings, load_settings
from bot.logging_setup import configure_logging
from bot.schedule.roles import JOBS_MODES, ROLES, RunOptionError, RunOptions

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    config_help = "config file (default: $HUB_CONFIG or ./config.toml)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help=config_help)
    parser = argparse.ArgumentParser(prog="python -m bot", description="関係人口 ambassador community hub")
    parser.add_argument("--config", default=None, help=config_help)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[common], help="start the Discord bot and/or the LINE webhook server")
    run.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="all: every enabled face (default); discord: the Discord bot only; line: a LINE webhook worker",
    )
    run.add_argument("--shard-id", type=int, help="this process is Discord shard N (with --shard-count)")
    run.add_argument("--shard-count", type=int, help="how many Discord shards run in all")
    run.add_argument(
        "--jobs",
        choices=JOBS_MODES,
        default="auto",
        help="reminders, vote closings and digests here (auto: yes, except in LINE workers beside Discord)",
    )
    sub.add_parser(
        "check", parents=[common], help="validate the config and the database (non-zero on a problem)"
    )
    demo = sub.add_parser("demo", help="run everything offline: simulated Discord and LINE, fresh SQLite")
    demo.add_argument("--keep", metavar="FILE", help="keep the demo database in FILE")
    db = sub.add_parser("db", parents=[common], help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", parents=[common], help="migrate the database to the newest schema")
    db_sub.add_parser("current", parents=[common], help="show the database's schema revision")
    ledger = sub.add_parser("ledger", parents=[common], help="the contribution ledger")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", required=True)
    verify = ledger_sub.add_parser("verify", parents=[common], help="check every community's hash chain")
    verify.add_argument("--community", help="only this community key")
    export = sub.add_parser("export", parents=[common], help="a CSV export for Excel (UTF-8 with BOM)")
    export.add_argument("--community", required=True, help="the community key")
    export.add_argument("--kind", required=True, help="ambassadors | contributions | attendance | votes")
    export.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    export.add_argument(
        "--lang", choices=("ja", "en"), help="column names (default: the community's language)"
    )
    statement = sub.add_parser("statement", parents=[common], help="activity statements")
    statement_sub = statement.add_subparsers(dest="statement_command", required=True)
    check = statement_sub.add_parser(
        "verify", parents=[common], help="check a statement's JSON against the ledger"
    )
    check.add_argument("file", help="the statement's .json file (- for standard input)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(keep=args.keep))
        if args.command == "db":
            return asyncio.run(_db(args.db_command, _database_url(args.config)))
        if args.command == "ledger":
            settings = load_settings(args.config, require_secrets=False)
            return asyncio.run(_ledger_verify(settings, args.community))
        if args.command in ("export", "statement"):
            from bot.cli_reports import export_command, statement_verify_command

            settings = load_settings(args.config, require_secrets=False)
            if args.command == "export":
                return export_command(settings, args.community, args.kind, args.out, args.lang)
            return statement_verify_command(settings, args.file)
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "check":
        return asyncio.run(_check(settings))
    options = RunOptions(args.role, args.shard_id, args.shard_count, args.jobs)
    try:
        options.check(settings)
    except RunOptionError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.logging.level, settings.logging.format, settings.secrets())
    return asyncio.run(_run(settings, options))


def _database_url(config: str | None) -> str:
    """For ``db`` commands: the config's database URL (no secrets needed), else the environment."""
    try:
        return load_settings(config, require_secrets=False).database.url
    except ConfigError as exc:
        if "config file not found" not in str(exc) or config:
            raise
    return DatabaseSettings(url=os.environ.get(ENV_DATABASE_URL) or DatabaseSettings().url).url


async def _db(command: str, url: str) -> int:
    from storage.migrate import current_revision, head_revision, upgrade

    try:
        if command == "upgrade":
            await upgrade(url)
        current = await current_revision(url)
    except Exception as exc:
        print(f"database: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    state = "up to date" if current == head_revision() else f"newest is {head_revision()}"
    print(f"database schema: {current or 'empty'} ({state})")
    return EXIT_OK


async def _ledger_verify(settings: Settings, only: str | None) -> int:
    """Walk each community's chain; print the head hash (keep it somewhere else to anchor the chain)."""
    from bot.app import SchemaOutOfDate, check_schema
    from bot.hub import open_hub

    try:
        await check_schema(settings.database.url)
    except SchemaOutOfDate as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    hub = await open_hub(settings)
    try:
        refs = [r for r in hub.communities.all() if only in (None, r.key)]
        if not refs:
            print(f"ledger: no community with key {only!r}", file=sys.stderr)
            return EXIT_CONFIG
        failed = False
        for ref in refs:
            report = await hub.ledger.verify(ref.id)
            if report.ok:
                head = await hub.ledger.head(ref.id)
                print(f"{ref.key}: ok, {report.checked} entries, head {head}")
            else:
                failed = True
                print(
                    f"{ref.key}: BROKEN at entry #{report.seq}: {_PROBLEMS[report.problem or '']} "
                    f"({report.checked} entries before it verify)"
                )
        return EXIT_FAILED if failed else EXIT_OK
    finally:
        await hub.close()


_PROBLEMS = {
    "changed": "its content was changed after it was written",
    "removed": "it is missing (deleted)",
    "reordered": "entries are out of order",
    "unlinked": "it does not follow the entry before it (moved, or an earlier entry was replaced)",
}


async def _check(settings: Settings) -> int:
    from bot.app import SchemaOutOfDate, check_schema

    try:
        revision = await check_schema(settings.database.url)
    except SchemaOutOfDate as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
    faces = [
        name for name, on in (("discord", settings.discord.enabled), ("line", settings.line.enabled)) if on
    ]
    keys = ", ".join(c.key for c in settings.communities)
    print(
        f"ok: config ({len(settings.communities)} communities: {keys}; faces: {', '.join(faces) or 'none'}), "
        f"database at schema {revision}"
    )
    return EXIT_OK


async def _run(settings: Settings, options: RunOptions) -> int:
    from bot.app import SchemaOutOfDate, serve

    try:
        return await serve(settings, options=options)
    except SchemaOutOfDate as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAILED
