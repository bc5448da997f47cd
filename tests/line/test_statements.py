"""「活動証明」 on LINE over real HTTP: signed links to the member's PDF and JSON, served by the webhook app;
an altered token, another community's key, an old link or a member who left get 404."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

from pypdf import PdfReader

from bot.clock import ManualClock
from bot.community.statements import LINK_DAYS
from bot.line.standin import postback_event, text_event
from tests.line.conftest import LineWorld
from tests.line.test_events import configure
from tests.line.test_webhook import register_on_line, who
from tests.services.test_events import staff


def links_in(reply: str) -> tuple[str, str]:
    pdf = re.search(r"http://\S+\.pdf", reply)
    document = re.search(r"http://\S+\.json", reply)
    assert pdf is not None and document is not None, reply
    return pdf[0], document[0]


async def activity(
    line: LineWorld, user: str, text: str, when: str, category: str = "local_activity"
) -> None:
    member = who(line, user)
    claim = await line.hub.contributions.log(member, category, text, when)
    await line.hub.contributions.review(member.community_id, claim.seq, staff(line.hub), approve=True)


async def test_statement_links_serve_the_members_pdf_and_json(line: LineWorld, clock: ManualClock) -> None:
    await configure(line, public_url=line.base_url)
    await register_on_line(line, "U1", "はなこ")
    await register_on_line(line, "U2", "たろう")
    await activity(line, "U1", "浜辺の清掃を手伝った", "2026-05-03")
    await activity(line, "U1", "島の高校で授業をした", "2026-07-10", "knowledge")
    await activity(line, "U2", "たろうの活動", "2026-06-01")
    await line.post([text_event("U1", "活動証明")])
    [reply] = line.last_reply()
    assert reply.startswith("2026年の活動証明（承認された活動 2件）") and f"{LINK_DAYS}日間" in reply
    pdf_url, json_url = links_in(reply)
    assert pdf_url.startswith(f"{line.base_url}/statement/ama/")
    assert pdf_url.removesuffix(".pdf") == json_url.removesuffix(".json")
    async with line.http.get(pdf_url) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/pdf"
        assert resp.headers["Cache-Control"] == "private, no-store"
        pdf = await resp.read()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in (
        "活動証明書",
        "はなこ",
        "2026年1月1日",
        "地域活動への参加",
        "知見の提供",
        "浜辺の清掃を手伝った",
    ):
        assert expected in text, expected
    assert "たろうの活動" not in text
    async with line.http.get(json_url) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/json; charset=utf-8"
        document = await resp.text()
    doc = json.loads(document)
    assert (doc["member"]["number"], doc["year"], doc["count"]) == (1, 2026, 2)
    assert (await line.hub.statements.verify(document)).ok
    # The two links name one statement, as made: fetched again later they give the same document.
    await activity(line, "U1", "あとから記録した活動", "2026-08-01")
    async with line.http.get(json_url) as resp:
        assert await resp.text() == document

    # An altered token, another member's number under this signature, another community: 404.
    folder, token = json_url.removesuffix(".json").rsplit("/", 1)
    member, *rest, signature = token.split(".")
    altered = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for url in (
        f"{folder}/{'.'.join([member, *rest, altered])}.json",
        f"{folder}/{'.'.join(['2', *rest, signature])}.json",  # U2 exists: only the signature stops this
        f"{folder}/{'.'.join([member, '2025', *rest[1:], signature])}.pdf",
        f"{folder}/{token}.txt",
        json_url.replace("/statement/ama/", "/statement/tabayama/"),
        json_url.replace("/statement/ama/", "/statement/nowhere/"),
    ):
        async with line.http.get(url) as resp:
            assert resp.status == 404, url
    # A link is good for a week.
    clock.advance(timedelta(days=LINK_DAYS, hours=1))
    async with line.http.get(pdf_url) as resp:
        assert resp.status == 404
    # A year typed after the word, and the rich menu's postback.
    await line.post([text_event("U1", "活動証明 2025年")])
    assert line.last_reply()[0].startswith("2025年の活動証明（承認された活動 0件）")
    await line.post([postback_event("U1", "action=statement")])
    assert line.last_reply()[0].startswith("2026年の活動証明（承認された活動 3件）")
    await line.post([text_event("U1", "活動証明 らいねん")])
    assert line.last_reply() == ["「活動証明」または「活動証明 2025」のように、年を数字で送ってください。"]
    await line.post([text_event("U1", "活動証明 2031")])
    assert line.last_reply() == ["2031年の活動証明は出せません。2000年から2026年までの年を指定してください。"]
    # Once the member has left, their links serve nothing.
    await line.post([text_event("U1", "statement")])
    fresh, _ = links_in(line.last_reply()[0])
    await line.post([postback_event("U1", "action=leave_confirm")])
    async with line.http.get(fresh) as resp:
        assert resp.status == 404


async def test_without_a_public_url_the_member_is_told(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "活動証明")])
    assert line.last_reply() == [
        "この公式アカウントでは、活動証明のリンクはまだ使えません。"
        "Discord の /statement mine を使うか、運営スタッフに発行を頼んでください。"
    ]
    await line.post([text_event("U9", "活動証明")])  # not registered
    assert "登録" in line.last_reply()[0]
