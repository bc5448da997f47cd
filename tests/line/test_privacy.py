"""Privacy and suspension on LINE over real HTTP: 「非公開設定」 toggles, 「マイデータ」 links, consent to a
newer privacy notice, a suspended member's messages, and no personal data in the logs."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.config import settings_from_mapping
from bot.line.standin import postback_event, text_event
from storage.models import AuditEntry, ConsentRecord
from tests.conftest import settings_data
from tests.line.conftest import LineWorld
from tests.line.test_events import MENU
from tests.line.test_webhook import register_on_line, who
from tests.services.test_events import staff


async def configure(line: LineWorld, *, public_url: str | None = None, notice: str = "2026-04") -> None:
    data = settings_data(line.hub.settings.database.url)
    data["line"]["api_base"] = line.api.base_url
    if public_url:
        data["line"]["public_url"] = public_url
    data["communities"][0]["privacy_notice_version"] = notice
    await line.hub.reconfigure(settings_from_mapping(data, env={}))


def data_url(reply: str) -> str:
    match = re.search(r"http://\S+\.json", reply)
    assert match is not None, reply
    return match[0]


async def test_privacy_settings_toggle_each_field(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "非公開設定")])
    [body] = line.last_reply()
    assert "・お住まい：公開\n・つながり：公開\n・関心：公開\n・スキル：公開" in body
    toggles = ["お住まいを非公開に", "つながりを非公開に", "関心を非公開に", "スキルを非公開に"]
    assert line.last_quick_labels() == toggles + MENU[:9]  # LINE shows 13 quick replies at most
    await line.post([postback_event("U1", "action=privacy_toggle&f=residence")])
    [body] = line.last_reply()
    assert body.startswith("変更しました。") and "・お住まい：非公開" in body and "・関心：公開" in body
    assert line.last_quick_labels()[:2] == ["お住まいを公開に", "つながりを非公開に"]
    await line.post([postback_event("U1", "action=privacy_toggle&f=interests")])
    assert await line.hub.privacy.private_fields(who(line, "U1")) == ("residence", "interests")
    await line.post([postback_event("U1", "action=privacy_toggle&f=residence")])
    assert await line.hub.privacy.private_fields(who(line, "U1")) == ("interests",)
    await line.post([postback_event("U1", "action=privacy_toggle&f=display_name")])
    assert line.last_reply() == ["その項目は非公開にできません。"]
    # English words work too; the member's own profile still shows everything.
    await line.post([text_event("U1", "privacy")])
    assert "・関心：非公開" in line.last_reply()[0]
    assert (await line.hub.ambassadors.get(who(line, "U1"))).interests == ("食", "教育")
    await line.post([text_event("U9", "非公開設定")])
    assert "まだアンバサダー登録がありません" in line.last_reply()[0]


async def test_my_data_is_a_signed_link_served_by_the_webhook_server(
    line: LineWorld, clock: ManualClock
) -> None:
    await configure(line, public_url=line.base_url)
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", "たろう")
    await line.post([text_event("U1", "マイデータ")])
    [reply] = line.last_reply()
    assert "あなた専用のリンクです（15分間有効）" in reply
    url = data_url(reply)
    assert url.startswith(f"{line.base_url}/mydata/ama/")
    async with line.http.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
        assert resp.headers["Cache-Control"] == "no-store"
        data = await resp.json()
    assert data["profile"]["display_name"] == "はなこ" and data["profile"]["member_number"] == 1
    assert data["platform_accounts"][0] == {
        "platform": "line",
        "account_id": "U1",
        "active": True,
        "linked_at": data["platform_accounts"][0]["linked_at"],
    }
    assert "たろう" not in str(data)
    # Asking again within the minute is refused; the link still works meanwhile.
    await line.post([text_event("U1", "マイデータ")])
    assert line.last_reply()[0].startswith("データの書き出しは1分に1回までです。")
    # Altered, another member's, another community's, or expired: 404.
    folder, token = url.removesuffix(".json").rsplit("/", 1)
    member, expires, signature = token.split(".")
    altered = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for bad in (
        f"{folder}/{member}.{expires}.{altered}.json",
        f"{folder}/2.{expires}.{signature}.json",  # U2 exists: only the signature stops this
        f"{folder}/{member}.{int(expires) + 3600}.{signature}.json",  # a longer life is another token
        url.replace("/mydata/ama/", "/mydata/tabayama/"),
        url.replace("/mydata/ama/", "/mydata/nowhere/"),
        url.replace("/mydata/", "/calendar/").replace(".json", ".ics"),
    ):
        async with line.http.get(bad) as resp:
            assert resp.status == 404, bad
    clock.advance(timedelta(minutes=16))
    async with line.http.get(url) as resp:
        assert resp.status == 404
    await line.post([text_event("U1", "マイデータ")])  # a minute has long passed: a fresh link
    fresh = data_url(line.last_reply()[0])
    await line.post([postback_event("U1", "action=leave_confirm")])
    async with line.http.get(fresh) as resp:
        assert resp.status == 404  # nothing is served for a member who left
    async with line.hub.db.transaction() as s:
        asked = await s.scalar(select(func.count()).where(AuditEntry.action == "privacy.exported"))
        served = await s.scalar(select(func.count()).where(AuditEntry.action == "privacy.downloaded"))
    assert (asked, served) == (2, 1)


async def test_without_a_public_url_there_is_no_data_link(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "my data")])
    assert line.last_reply() == [
        "この公式アカウントではデータのリンクを発行できません（公開URLが設定されていません）。運営スタッフにお問い合わせください。"
    ]
    async with line.hub.db.transaction() as s:
        assert await s.scalar(select(func.count()).where(AuditEntry.action == "privacy.exported")) == 0


async def test_a_newer_notice_is_asked_for_before_anything_else(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await configure(line, notice="2026-10")
    await line.post([text_event("U1", "プロフィール")])
    [prompt] = line.last_reply()
    assert prompt.startswith("プライバシーポリシーが更新されました（版：2026-10）。")
    assert "https://example.jp/ama/privacy" in prompt
    assert line.last_quick_labels() == ["同意する", "同意しない"]
    message = line.api.replies()[-1].messages[0]
    agree_data = message["quickReply"]["items"][0]["action"]["data"]
    # Any message or button gets the notice first; declining is answered politely and changes nothing.
    await line.post([postback_event("U1", "action=events")])
    assert line.last_reply() == [prompt]
    await line.post([postback_event("U1", "action=consent&v=0")])
    assert line.last_reply()[0].startswith("承知しました。同意いただけるまで")
    assert line.last_quick_labels() == ["同意する", "退会する"]
    # Leaving stays possible without agreeing.
    await line.post([text_event("U1", "退会")])
    assert "退会しますか" in line.last_reply()[0]
    await line.post([postback_event("U1", agree_data)])
    assert (
        line.last_reply()[0] == "ありがとうございます。同意を記録しました。あらためてご用件をお送りください。"
    )
    await line.post([text_event("U1", "プロフィール")])
    assert line.api.replies()[-1].messages[0]["type"] == "flex"
    async with line.hub.db.transaction() as s:
        records = (await s.execute(select(ConsentRecord.notice_version, ConsentRecord.platform))).all()
    assert [tuple(r) for r in records] == [("2026-04", "line"), ("2026-10", "line")]
    # An old Agree button after the notice changed again records nothing and shows the new one.
    await configure(line, notice="2027-01")
    await line.post([postback_event("U1", agree_data)])
    stale, again = line.last_reply()
    assert stale == "プライバシーポリシーがさらに更新されました。新しい版をご確認ください。"
    assert again.startswith("プライバシーポリシーが更新されました（版：2027-01）。")


async def test_a_suspended_members_messages_get_the_suspension_text(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    cid = who(line, "U1").community_id
    await line.hub.moderation.suspend(cid, who(line, "U1"), staff(line.hub), "確認中")
    suspended = "現在、あなたの会員資格は停止されています。詳しくは運営スタッフにお問い合わせください。"
    for event in (
        text_event("U1", "プロフィール"),
        text_event("U1", "ヘルプ"),
        text_event("U1", "こんにちは"),
        postback_event("U1", "action=contribute"),
        postback_event("U1", "action=consent&v=1&n=2026-04"),
    ):
        await line.post([event])
        assert line.last_reply() == [suspended], event
    await line.hub.moderation.reinstate(cid, 1, staff(line.hub), "確認できた")
    await line.post([text_event("U1", "プロフィール")])
    assert line.api.replies()[-1].messages[0]["type"] == "flex"


async def test_no_personal_data_in_the_logs(line: LineWorld, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for name in ("bot", "cogs", "storage"):
        caplog.set_level(logging.DEBUG, logger=name)
    from bot.logging_setup import JsonFormatter

    await register_on_line(line, "U1", "山田花子")  # 島根, 食、教育 (no profile at the stand-in: logged)
    await line.post([postback_event("U1", "action=edit&field=residence")])
    await line.post([text_event("U1", "沖縄")])
    await line.post([postback_event("U1", "action=edit&field=interests")])
    await line.post([text_event("U1", "ダイビング、三線")])
    await line.post([text_event("U1", "貢献")])
    await line.post([postback_event("U1", "action=answer&step=category&value=visit")])
    await line.post([text_event("U1", "海士町を再訪して干しなまこを買った")])
    await line.post([text_event("U1", "昨日")])
    await line.post([text_event("U1", "スキップ")])
    await line.post([postback_event("U1", "action=no-such-button&name=山田花子")])
    assert any(r.getMessage() == "LINE profile unavailable" for r in caplog.records)
    written = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    for personal in (
        "山田",
        "花子",
        "島根",
        "Shimane",
        "沖縄",
        "Okinawa",
        "ダイビング",
        "三線",
        "食",
        "教育",
        "なまこ",
    ):
        assert personal not in written, personal
