"""CSV exports for staff: UTF-8 with BOM and CRLF rows (Excel), private fields kept private, statuses of
contributions, attendance per event, votes with pseudonymous ballots, an audit entry for each export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.community.ambassadors import ProfileChanges
from bot.community.errors import DomainError
from bot.community.exports import KINDS, ExportFile, csv_bytes
from bot.hub import Hub
from storage.models import AuditEntry, LedgerEntry
from tests.services.test_ambassadors import register, who
from tests.services.test_stats import build_programme
from tests.services.test_votes import open_vote

BOM = b"\xef\xbb\xbf"


def table(file: ExportFile) -> list[list[str]]:
    """The rows as Excel would read them: the BOM says UTF-8, every line ends in CRLF."""
    assert file.data.startswith(BOM)
    text = file.data[len(BOM) :].decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == file.rows + 1
    return rows


def by_header(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


async def test_ambassadors_with_private_fields_and_a_member_who_left(hub: Hub, clock: ManualClock) -> None:
    p = await build_programme(hub, clock)
    await hub.privacy.set_private_fields(p.a, ["residence", "skills"])
    await hub.ambassadors.update_profile(p.e, ProfileChanges(display_name="=1+2えいた"))
    file = await hub.exports.export(p.a.community_id, "ambassadors", "discord:staff-1")
    assert file.filename == "ama-ambassadors-20270120.csv" and file.kind == "ambassadors"
    rows = table(file)
    assert rows[0][:6] == ["会員番号", "表示名", "状態", "段階", "関わりの段階", "ポイント"]
    people = by_header(rows)
    assert [r["会員番号"] for r in people] == ["1", "2", "3", "4", "5"]  # a, b, c, e, then d; not tabayama's
    a, b, c, e, d = people
    assert (a["表示名"], a["お住まい"], a["得意なこと・スキル"], a["関心のあること"]) == (
        "あおい",
        "非公開",
        "非公開",
        "食、教育",
    )
    assert (b["お住まい"], b["地域とのつながり"], b["得意なこと・スキル"]) == ("島根県", "ファン", "デザイン")
    assert (a["ポイント"], b["ポイント"], b["段階"], b["関わりの段階"]) == ("7", "21", "3", "力を貸す")
    assert (c["状態"], c["表示名"], c["お住まい"], c["退会日時"]) == ("退会", "", "", "2026-12-10 12:00")
    assert (c["利用アプリ"], b["利用アプリ"]) == ("", "Discord")
    assert d["登録日時"] == "2026-12-01 01:00"  # Japan time
    assert e["表示名"] == "'=1+2えいた"  # Excel shows the text; it does not compute it


async def test_contributions_carry_their_status_and_hash(hub: Hub, clock: ManualClock) -> None:
    p = await build_programme(hub, clock)
    file = await hub.exports.export(p.a.community_id, "contributions", "cli")
    rows = by_header(table(file))
    status = {
        (r["会員番号"], r["内容"]): (r["状態"], r["ポイント"], r["見送り・取り消しの理由"]) for r in rows
    }
    assert status == {
        ("1", "島の写真をSNSで紹介"): ("承認済み", "2", ""),
        ("1", "観光パンフレットの英訳"): ("確認待ち", "0", ""),
        ("2", "高校で授業をした"): ("承認済み", "10", ""),
        ("2", "移住相談会で話した"): ("承認済み", "10", ""),
        ("3", "証拠のない申告"): ("見送り", "0", "内容が確認できません"),
        ("2", "案内ありがとう"): ("承認済み", "1", ""),
        ("1", f"浜辺の清掃 (event #{p.held.id})"): ("承認済み", "5", ""),
        ("5", "間違えて記録"): ("取り消し", "0", "重複"),
        ("5", "ラジオで島を紹介"): ("承認済み", "2", ""),
    }
    kinds = {r["内容"]: (r["記録の種類"], r["貢献の種類"]) for r in rows}
    assert kinds["案内ありがとう"] == ("ありがとう", "ありがとう")
    assert kinds["高校で授業をした"] == ("申告", "知見の提供")
    assert kinds[f"浜辺の清掃 (event #{p.held.id})"] == ("自動", "地域活動への参加")
    async with hub.db.transaction() as s:
        ours = LedgerEntry.community_id == p.a.community_id
        hashes = dict((await s.execute(select(LedgerEntry.seq, LedgerEntry.hash).where(ours))).all())
    assert all(r["ハッシュ"] == hashes[int(r["記録番号"])] for r in rows)
    removed = next(r for r in rows if r["内容"] == "間違えて記録")
    assert int(removed["判断の記録番号"]) > p.removed_seq


async def test_attendance_per_event_and_member(hub: Hub, clock: ManualClock) -> None:
    p = await build_programme(hub, clock)
    rows = by_header(table(await hub.exports.export(p.a.community_id, "attendance", "cli")))
    seen = [
        (r["イベント"], r["会員番号"], r["参加表明"], r["チェックイン"], r["イベントの状態"]) for r in rows
    ]
    assert seen == [
        ("浜辺の清掃", "1", "参加", "はい", "開催"),
        ("浜辺の清掃", "2", "参加", "いいえ", "開催"),
        ("浜辺の清掃", "3", "検討中", "いいえ", "開催"),
        ("釣り大会", "1", "参加", "いいえ", "中止"),
    ]
    first = rows[0]
    assert (first["開始日時"], first["回答したアプリ"], first["チェックインの方法"]) == (
        "2026-12-05 19:00",
        "Discord",
        "会場のコード",
    )
    assert rows[2]["回答したアプリ"] == "LINE"


async def test_votes_with_counts_weights_turnout_and_ballots_by_number(hub: Hub, clock: ManualClock) -> None:
    p = await build_programme(hub, clock)
    secret = await open_vote(hub, question="秘密の投票", hidden=True)
    await hub.votes.cast(p.b, secret.id, 1, "button")
    rows = by_header(table(await hub.exports.export(p.a.community_id, "votes", "cli")))
    closed = [r for r in rows if r["投票ID"] == str(p.vote_id)]
    assert [(r["行の種類"], r["選択肢番号"], r["票数"], r["重みの合計"], r["会員番号"]) for r in closed] == [
        ("集計", "1", "1", "1.0", ""),
        ("集計", "2", "0", "0.0", ""),
        ("集計", "3", "0", "0.0", ""),
        ("投票", "1", "1", "1.0", "1"),  # a, by member number only
    ]
    assert {(r["投票者数"], r["投票できる人数"], r["投票率(%)"], r["投票の状態"]) for r in closed[:3]} == {
        ("1", "4", "25.0", "締切")
    }
    hidden = [r for r in rows if r["投票ID"] == str(secret.id)]
    assert [r["行の種類"] for r in hidden] == ["集計"] * 3  # no ballots, and no counts while it is open
    assert {r["票数"] for r in hidden} == {""} and {r["会員番号"] for r in hidden} == {""}
    assert "表示名" not in rows[0]  # ballots are pseudonymous: member numbers, no names


async def test_an_empty_community_exports_the_header_only_and_each_export_is_audited(hub: Hub) -> None:
    cid = who(hub, "-", key="tabayama").community_id
    await register(hub, who(hub, "a"))  # Ama-cho has a member; Tabayama has nothing
    for kind in KINDS:
        file = await hub.exports.export(cid, kind, "discord:staff-9", lang="en")
        assert file.rows == 0 and file.data.startswith(BOM)
        assert file.data.count(b"\r\n") == 1 and file.data.endswith(b"\r\n")
        assert table(file)[0][0] in ("Member number", "Record number", "Event ID", "Vote ID")
    async with hub.db.transaction() as s:
        audits = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "export"))).all()
    assert [(a.community_id, a.actor, a.detail) for a in audits] == [
        (cid, "discord:staff-9", f"kind={kind} rows=0") for kind in KINDS
    ]
    with pytest.raises(DomainError) as err:
        await hub.exports.export(cid, "passwords", "cli")
    assert err.value.key == "export.error.kind"
    assert "ambassadors, contributions, attendance, votes" in hub.tr.error("ja", err.value)


def test_cells_that_excel_would_run_are_defused() -> None:
    data = csv_bytes(["a", "b"], [["=cmd|'/C calc'!A0", -3], ["+1", "@SUM(1)"], ["-x", "普通"]])
    text = data.decode("utf-8-sig")
    assert text == "a,b\r\n'=cmd|'/C calc'!A0,-3\r\n'+1,'@SUM(1)\r\n'-x,普通\r\n"
