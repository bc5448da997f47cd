"""``python -m bot export`` and ``python -m bot statement verify`` as real processes on a SQLite file."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.community.statements import statement_json
from bot.config import settings_from_mapping
from bot.hub import open_hub
from storage.migrate import upgrade
from tests.services.test_ambassadors import register, who
from tests.services.test_events import staff

ROOT = Path(__file__).resolve().parents[1]
BOM = b"\xef\xbb\xbf"
COMMUNITIES = [
    {
        "key": "ama",
        "name": "海士町",
        "privacy_notice_version": "1",
        "privacy_notice_url": "https://example.jp/p",
    },
    {
        "key": "taba",
        "name": "丹波山村",
        "privacy_notice_version": "1",
        "privacy_notice_url": "https://example.jp/t",
    },
]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def setup(tmp_path: Path) -> tuple[Path, Path, str]:
    """A migrated database with two members' contributions in Ama-cho; returns (config, database, a
    statement's JSON)."""
    db_file = tmp_path / "hub.sqlite3"
    url = f"sqlite+aiosqlite:///{db_file}"
    config = tmp_path / "config.toml"
    blocks = "".join(
        f'[[communities]]\nkey = "{c["key"]}"\nname = "{c["name"]}"\nprivacy_notice_version = "1"\n'
        f'privacy_notice_url = "{c["privacy_notice_url"]}"\n'
        for c in COMMUNITIES
    )
    config.write_text(
        f'[database]\nurl = "{url}"\n[discord]\nenabled = false\n[line]\nenabled = false\n{blocks}',
        encoding="utf-8",
    )

    async def fill() -> str:
        await upgrade(url)
        data = {"database": {"url": url}, "discord": {"enabled": False}, "line": {"enabled": False}}
        hub = await open_hub(settings_from_mapping({**data, "communities": COMMUNITIES}, env={}))
        try:
            member = who(hub, "d1")
            await register(hub, member, "はなこ")
            await register(hub, who(hub, "d2"), "たろう")
            for text in ("浜辺の清掃", "=1+1 の計算を教えた"):
                claim = await hub.contributions.log(member, "local_activity", text, "2026-05-03")
                await hub.contributions.review(member.community_id, claim.seq, staff(hub), approve=True)
            return statement_json(await hub.statements.for_member(member, 2026))
        finally:
            await hub.close()

    return config, db_file, asyncio.run(fill())


def test_export_writes_excel_ready_csv_or_refuses_with_exit_2(tmp_path: Path) -> None:
    config, _, _ = setup(tmp_path)
    out = tmp_path / "contributions.csv"
    done = run("export", "--config", str(config), "--community", "ama", "--kind", "contributions",
               "--out", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().strip() == f"ama: 2 rows of contributions written to {out}"
    data = out.read_bytes()
    assert data.startswith(BOM) and data.count(b"\r\n") == 3
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:4] == ["記録番号", "記録日時", "実施日", "会員番号"]
    assert [r[9] for r in rows[1:]] == ["浜辺の清掃", "'=1+1 の計算を教えた"]
    printed = run("export", "--config", str(config), "--community", "ama", "--kind", "ambassadors",
                  "--lang", "en", cwd=tmp_path)  # fmt: skip
    assert printed.returncode == 0 and printed.stdout.startswith(BOM + b"Member number,Display name,")
    assert printed.stdout.count(b"\r\n") == 3 and "はなこ" in printed.stdout.decode("utf-8-sig")
    empty = run("export", "--config", str(config), "--community", "taba", "--kind", "votes", cwd=tmp_path)
    assert empty.returncode == 0 and empty.stdout.startswith(BOM + "投票ID,".encode())
    assert empty.stdout.count(b"\r\n") == 1  # the header row only
    bad_kind = run(
        "export", "--config", str(config), "--community", "ama", "--kind", "passwords", cwd=tmp_path
    )
    assert bad_kind.returncode == 2 and bad_kind.stdout == b""
    assert (
        "unknown kind 'passwords' (one of ambassadors, contributions, attendance, votes)"
        in bad_kind.stderr.decode()
    )
    nowhere = run(
        "export", "--config", str(config), "--community", "nowhere", "--kind", "votes", cwd=tmp_path
    )
    assert nowhere.returncode == 2 and "no community with key 'nowhere'" in nowhere.stderr.decode()
    with sqlite3.connect(tmp_path / "hub.sqlite3") as conn:
        audited = conn.execute("SELECT actor, detail FROM audit_entries WHERE action = 'export'").fetchall()
    assert audited == [("cli", "kind=contributions rows=2"), ("cli", "kind=ambassadors rows=2"),
                       ("cli", "kind=votes rows=0")]  # fmt: skip


def test_statement_verify_names_a_tampered_entry(tmp_path: Path) -> None:
    config, db_file, document = setup(tmp_path)
    statement = tmp_path / "statement.json"
    statement.write_text(document, encoding="utf-8")
    ok = run("statement", "verify", str(statement), "--config", str(config), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.decode().strip() == "ama No. 1, 2026: ok, 2 activities verify against the ledger"
    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE ledger_entries SET description = '浜辺の清掃を主催' WHERE seq = 1")
    broken = run("statement", "verify", str(statement), "--config", str(config), cwd=tmp_path)
    assert broken.returncode == 1
    assert broken.stdout.decode().splitlines() == [
        "ama No. 1, 2026: DOES NOT VERIFY",
        "  entry #1: the entry was changed after it was written",
        "  entry #1: what it says differs from the entry",
        "  entry #1: the ledger itself does not verify (python -m bot ledger verify)",
    ]
    missing = run("statement", "verify", str(tmp_path / "nope.json"), "--config", str(config), cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read" in missing.stderr.decode()
