"""Activity statements: a member's approved activities of one year from the ledger, as a PDF with Japanese
text and as JSON citing each entry's seq and hash, checked against the ledger (tampering caught)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from bot.charts.statement_pdf import statement_pdf
from bot.clock import ManualClock
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.statements import (
    FORMAT,
    LINK_DAYS,
    Statement,
    read_statement_token,
    statement_json,
    statement_token,
    verify_statement,
)
from bot.hub import Hub
from storage.models import AuditEntry, Community, LedgerEntry
from tests.services.test_ambassadors import register, who
from tests.services.test_events import post, staff


async def approved(hub: Hub, person: Identity, category: str, text: str, when: str) -> int:
    claim = await hub.contributions.log(person, category, text, when)
    await hub.contributions.review(person.community_id, claim.seq, staff(hub), approve=True)
    return claim.seq


async def a_year_of_activities(hub: Hub, clock: ManualClock) -> tuple[Identity, Identity, dict[str, int]]:
    """Aoi's 2026: three activities that count, and six entries that do not. Clock left on 6 Dec 2026."""
    aoi, ban = who(hub, "aoi"), who(hub, "ban")
    await register(hub, aoi, "あおい")
    await register(hub, ban, "ばん")
    cid = aoi.community_id
    seqs = {
        "beach": await approved(hub, aoi, "local_activity", "浜辺の清掃を手伝った", "2026-05-03"),
        "class": await approved(hub, aoi, "knowledge", "島の高校で英語の授業をした", "2026-07-10"),
        "visit": await approved(hub, aoi, "visit", "海士町を再訪", "2026-08-15"),
        "last_year": await approved(hub, aoi, "promotion", "年末の紹介記事", "2025-12-31"),
        "theirs": await approved(hub, ban, "knowledge", "ばんの授業", "2026-06-01"),
    }
    await hub.moderation.remove_contribution(cid, seqs["visit"], staff(hub), "重複した記録")
    seqs["waiting"] = (await hub.contributions.log(aoi, "promotion", "SNSで紹介", "2026-09-01")).seq
    refused = await hub.contributions.log(aoi, "relocation_trial", "お試し移住", "2026-10-01")
    await hub.contributions.review(cid, refused.seq, staff(hub), approve=False, reason="確認できません")
    await hub.contributions.thank(ban, aoi, "ありがとう")
    view = await hub.ambassadors.get(aoi)
    await hub.contributions.record_automatic(cid, view.id, "ballot", "投票 #1")
    event = await post(hub, title="島の食卓を囲む会")
    clock.advance(event.starts_at - clock.now() + timedelta(minutes=10))
    seqs["dinner"] = (await hub.checkins.with_code(aoi, event.checkin_code)).seq or 0
    seqs["event"] = event.id
    clock.advance(timedelta(days=1))
    return aoi, ban, seqs


def described(statement: Statement) -> list[tuple[str, str, str, bool]]:
    return [(a.occurred_on, a.category, a.description, a.approval is not None) for a in statement.activities]


async def test_a_statement_lists_the_approved_activities_of_the_year(hub: Hub, clock: ManualClock) -> None:
    aoi, _, seqs = await a_year_of_activities(hub, clock)
    statement = await hub.statements.for_member(aoi)  # this year: 2026
    assert (statement.year, statement.member_number, statement.display_name) == (2026, 1, "あおい")
    assert described(statement) == [
        ("2026-05-03", "local_activity", "浜辺の清掃を手伝った", True),
        ("2026-07-10", "knowledge", "島の高校で英語の授業をした", True),
        ("2026-12-05", "local_activity", f"島の食卓を囲む会 (event #{seqs['event']})", False),
    ]
    assert [a.points for a in statement.activities] == [5, 10, 5]
    assert statement.count == 3 and statement.meets_premium
    async with hub.db.transaction() as s:
        head = (
            await s.execute(select(Community.ledger_seq, Community.ledger_head).where(Community.key == "ama"))
        ).one()
        rows = {
            e.seq: e
            for e in (
                await s.scalars(select(LedgerEntry).where(LedgerEntry.community_id == aoi.community_id))
            ).all()
        }
    assert (statement.head.seq, statement.head.hash) == (head.ledger_seq, head.ledger_head)
    for a in statement.activities:
        assert rows[a.entry.seq].hash == a.entry.hash
        if a.approval is not None:
            assert rows[a.approval.seq].refers_to == a.entry.seq and rows[a.approval.seq].kind == "approve"
    earlier = await hub.statements.for_member(aoi, 2025)
    assert (
        described(earlier) == [("2025-12-31", "promotion", "年末の紹介記事", True)]
        and not earlier.meets_premium
    )
    for year in (2027, 1999):
        with pytest.raises(DomainError) as err:
            await hub.statements.for_member(aoi, year)
        assert err.value.key == "statement.error.year"


async def test_the_json_verifies_against_the_ledger_and_tampering_is_caught(
    hub: Hub, clock: ManualClock
) -> None:
    aoi, ban, seqs = await a_year_of_activities(hub, clock)
    document = statement_json(await hub.statements.for_member(aoi))
    doc = json.loads(document)
    assert doc["format"] == FORMAT and doc["community"]["key"] == "ama" and doc["member"]["number"] == 1
    assert [a["entry"]["seq"] for a in doc["activities"]] == [seqs["beach"], seqs["class"], seqs["dinner"]]
    check = await verify_statement(document, hub.db)
    assert check.ok and (check.community_key, check.member_number, check.year, check.activities) == (
        "ama",
        1,
        2026,
        3,
    )
    # Entries appended later do not unsettle it: the head it cites is still in the chain.
    await approved(hub, ban, "visit", "再訪", "2026-12-06")
    assert (await hub.statements.verify(document)).ok

    def edited(change: dict[str, Any] | None = None, entry: dict[str, Any] | None = None, **top: Any) -> str:
        """The document with its first activity (``change``, ``entry``) or its top-level parts edited."""
        copy = json.loads(document)
        copy["activities"][0].update(change or {})
        copy["activities"][0]["entry"].update(entry or {})
        for key, value in top.items():
            copy[key].update(value)
        return json.dumps(copy, ensure_ascii=False)

    def reasons(check: Any) -> set[tuple[str, int | None]]:
        return {(p.reason, p.seq) for p in check.problems}

    beach = seqs["beach"]
    cases = {
        "content": edited({"description": "もっと立派なこと"}),
        "hash": edited(entry={"hash": "0" * 64}),
        "member": edited(entry={"seq": seqs["theirs"]}),
        "year": edited(entry={"seq": seqs["last_year"]}),
        "not_approved": edited({"approval": None}, {"seq": seqs["waiting"]}),
        "head": edited(ledger={"head": {"seq": doc["ledger"]["head"]["seq"], "hash": "f" * 64}}),
    }
    assert ("content", beach) in reasons(await verify_statement(cases["content"], hub.db))
    assert reasons(await verify_statement(cases["hash"], hub.db)) == {("hash", beach)}
    assert ("member", seqs["theirs"]) in reasons(await verify_statement(cases["member"], hub.db))
    assert ("year", seqs["last_year"]) in reasons(await verify_statement(cases["year"], hub.db))
    assert ("not_approved", seqs["waiting"]) in reasons(await verify_statement(cases["not_approved"], hub.db))
    assert {r for r, _ in reasons(await verify_statement(cases["head"], hub.db))} == {"head"}
    assert reasons(await verify_statement("{not json", hub.db)) == {("format", None)}
    other = edited(community={"key": "nowhere"})
    assert reasons(await verify_statement(other, hub.db)) == {("community", None)}
    # Someone rewrites the cited entry in the database: its hash no longer matches, the chain breaks there.
    async with hub.db.transaction() as s:
        await s.execute(
            update(LedgerEntry)
            .where(LedgerEntry.community_id == aoi.community_id, LedgerEntry.seq == beach)
            .values(description="浜辺の清掃を主催した")
        )
    tampered = await verify_statement(document, hub.db)
    assert not tampered.ok
    assert {("changed", beach), ("content", beach), ("chain", beach)} <= reasons(tampered)


async def test_a_contribution_taken_back_after_issue_no_longer_verifies(hub: Hub, clock: ManualClock) -> None:
    aoi, _, seqs = await a_year_of_activities(hub, clock)
    document = statement_json(await hub.statements.for_member(aoi))
    await hub.moderation.remove_contribution(aoi.community_id, seqs["class"], staff(hub), "誤り")
    check = await hub.statements.verify(document)
    assert {(p.reason, p.seq) for p in check.problems} == {("removed", seqs["class"])}
    assert [a.entry.seq for a in (await hub.statements.for_member(aoi)).activities] == [
        seqs["beach"],
        seqs["dinner"],
    ]


async def test_staff_issue_a_statement_and_it_is_audited(hub: Hub, clock: ManualClock) -> None:
    aoi, _, _ = await a_year_of_activities(hub, clock)
    issued = await hub.statements.issue(aoi.community_id, 1, 2026, "discord:staff-1", "discord")
    assert issued.count == 3 and issued.member_number == 1
    with pytest.raises(DomainError) as err:
        await hub.statements.issue(aoi.community_id, 99, 2026, "discord:staff-1")
    assert err.value.key == "contribution.error.unknown_member"
    async with hub.db.transaction() as s:
        [entry] = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "statement.issued"))).all()
    assert (entry.actor, entry.platform, entry.detail) == (
        "discord:staff-1",
        "discord",
        f"year=2026 activities=3 head={issued.head.seq}",
    )


async def test_the_pdf_has_the_japanese_text_and_the_font_embedded(hub: Hub, clock: ManualClock) -> None:
    aoi, _, seqs = await a_year_of_activities(hub, clock)
    statement = await hub.statements.for_member(aoi)
    settings = hub.communities.by_id(aoi.community_id).settings
    data = statement_pdf(statement, hub.tr, "ja", settings)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "活動証明書", "海士町オフィシャルアンバサダー", "会員番号 No. 1", "あおい",
        "2026年1月1日〜2026年12月31日", "地域活動への参加", "知見の提供", "浜辺の清掃を手伝った",
        "島の高校で英語の授業をした", "2026-05-03",
        "3件", f"No. {seqs['beach']}", statement.head.hash,
    ):  # fmt: skip
        assert expected in text, expected
    for absent in ("海士町を再訪", "SNSで紹介", "お試し移住", "年末の紹介記事", "ばんの授業"):
        assert absent not in text
    fonts = [
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    ]
    assert fonts and all("IPAexGothic" in f for f in fonts)
    english = PdfReader(io.BytesIO(statement_pdf(statement, hub.tr, "en", settings)))
    words = english.pages[0].extract_text()
    assert (
        "Statement of activities" in words and "Local activity" in words and "浜辺の清掃を手伝った" in words
    )
    assert statement_pdf(statement, hub.tr, "ja", settings) == data  # the same statement, the same bytes
    nothing = PdfReader(
        io.BytesIO(statement_pdf(await hub.statements.for_member(aoi, 2024), hub.tr, "ja", settings))
    )
    assert "この年に承認された活動はありません。" in nothing.pages[0].extract_text()


async def test_links_name_one_statement_as_made_and_expire(hub: Hub, clock: ManualClock) -> None:
    aoi, _, _ = await a_year_of_activities(hub, clock)
    cid = aoi.community_id
    made = await hub.statements.for_member(aoi)
    issued = made.issued_at.replace(microsecond=0)
    token = statement_token("secret", "ama", made.ambassador_id, 2026, made.head.seq, issued)
    link = read_statement_token("secret", "ama", token, clock.now())
    assert link is not None and (link.ambassador_id, link.year, link.as_of) == (
        made.ambassador_id,
        2026,
        made.head.seq,
    )
    await approved(hub, aoi, "promotion", "あとから記録", "2026-12-06")  # after the link was made
    again = await hub.statements.of_link(cid, link)
    assert statement_json(again) == statement_json(replace(made, issued_at=issued))
    body, signature = token.rsplit(".", 1)
    forged = f"{made.ambassador_id + 1}." + body.split(".", 1)[1] + "." + signature
    assert read_statement_token("secret", "ama", forged, clock.now()) is None
    assert read_statement_token("secret", "tabayama", token, clock.now()) is None
    assert read_statement_token("other-secret", "ama", token, clock.now()) is None
    late = clock.now() + timedelta(days=LINK_DAYS, minutes=1)
    assert read_statement_token("secret", "ama", token, late) is None
    await hub.ambassadors.leave(aoi)
    with pytest.raises(DomainError):
        await hub.statements.of_link(cid, link)
