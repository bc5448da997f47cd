"""LINE registration, profile, linking and leaving, as signed webhook requests over HTTP."""

from __future__ import annotations

import pytest

from bot.community.identity import Identity
from bot.line.standin import follow_event, postback_event, sticker_event, text_event, unfollow_event
from tests.line.conftest import LineWorld
from tests.services.test_ambassadors import register as register_directly


def who(line: LineWorld, user: str, key: str = "ama") -> Identity:
    ref = line.hub.communities.by_key(key)
    assert ref is not None
    return Identity(ref.id, "line", user)


async def register_on_line(line: LineWorld, user: str, name: str = "はなこ") -> None:
    assert await line.post([follow_event(user)]) == 200
    for step, value in (("consent", "agree"),):
        await line.post([postback_event(user, f"action=answer&step={step}&value={value}")])
    await line.post([text_event(user, name)])
    await line.post([text_event(user, "島根")])
    await line.post([postback_event(user, "action=answer&step=connection&value=roots")])
    await line.post([text_event(user, "食、教育")])
    await line.post([text_event(user, "スキップ")])


async def test_follow_greets_and_walks_through_registration(line: LineWorld) -> None:
    line.api.profiles["U1"] = {"displayName": "Hanako", "language": "ja"}
    assert await line.post([follow_event("U1")]) == 200
    greeting, consent = line.last_reply()
    assert "友だち追加ありがとうございます" in greeting and "海士町" in greeting
    assert "プライバシーポリシー" in consent and "https://example.jp/ama/privacy" in consent
    assert line.last_quick_labels() == ["同意する", "同意しない", "キャンセル"]
    await register_on_line(line, "U1")
    done = line.api.replies()[-1]
    assert "会員番号は No. 1" in done.texts[0]
    assert done.messages[1]["type"] == "flex"
    view = await line.hub.ambassadors.get(who(line, "U1"))
    assert (view.display_name, view.residence_code, view.connection, view.interests, view.skills) == (
        "はなこ",
        "JP-32",
        "roots",
        ("食", "教育"),
        (),
    )
    # Every reply went to the stand-in with the channel's token.
    assert all(r.headers["Authorization"] == "Bearer ama-line-token" for r in line.api.replies())


async def test_english_profile_language_gets_english(line: LineWorld) -> None:
    line.api.profiles["U2"] = {"displayName": "Sam", "language": "en"}
    await line.post([follow_event("U2")])
    assert "Thank you for adding us" in line.last_reply()[0]
    assert line.last_quick_labels() == ["I agree", "I do not agree", "Cancel"]


async def test_bad_answers_are_explained_in_the_reply(line: LineWorld) -> None:
    line.api.profiles["U1"] = {"language": "ja"}
    await line.post([follow_event("U1")])
    await line.post([text_event("U1", "同意する")])
    await line.post([text_event("U1", "x" * 50)])
    assert "32文字以内" in line.last_reply()[0]
    await line.post([text_event("U1", "はなこ")])
    await line.post([text_event("U1", "日本")])
    assert "都道府県名を入力してください" in line.last_reply()[0]
    await line.post([text_event("U1", "Shimane")])
    # A tap on a button of an earlier question changes nothing.
    await line.post([postback_event("U1", "action=answer&step=consent&value=decline")])
    assert "前の質問" in line.last_reply()[0]
    prompt = await line.hub.conversations.current_prompt(who(line, "U1"))
    assert prompt is not None and prompt.step == "connection"


async def test_forged_or_missing_signature_is_refused_and_stores_nothing(line: LineWorld) -> None:
    assert await line.post([follow_event("U9")], secret="not-the-secret") == 400
    assert await line.post([follow_event("U9")], signature="") == 400
    assert await line.post([], body="{not json", malformed=True) == 400
    assert await line.post([follow_event("U9")], community="nowhere") == 404
    # Signed with the other community's secret: refused by this community's endpoint.
    assert await line.post([follow_event("U9")], secret="taba-line-secret") == 400
    assert line.api.requests == []
    assert not await line.hub.conversations.active(who(line, "U9"))


async def test_a_redelivered_event_is_handled_once(line: LineWorld) -> None:
    line.api.profiles["U1"] = {"language": "ja"}
    await line.post([follow_event("U1")])
    await line.post([text_event("U1", "同意する", event_id="01JSAME")])
    replies = len(line.api.replies())
    assert await line.post([text_event("U1", "同意する", event_id="01JSAME", redelivery=True)]) == 200
    assert len(line.api.replies()) == replies
    prompt = await line.hub.conversations.current_prompt(who(line, "U1"))
    assert prompt is not None and prompt.step == "display_name"


async def test_profile_edit_and_leave_with_confirmation(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "プロフィール")])
    card = line.api.replies()[-1].messages[0]
    assert card["type"] == "flex" and card["altText"] == "はなこ さんのプロフィール"
    await line.post([postback_event("U1", "action=edit&field=language")])
    await line.post([postback_event("U1", "action=answer&step=language&value=en")])
    assert line.last_reply()[0] == "Saved."
    await line.post([text_event("U1", "leave")])
    assert "cannot be undone" in line.last_reply()[0]
    await line.post([postback_event("U1", "action=leave_cancel")])
    assert await line.hub.ambassadors.find(who(line, "U1")) is not None
    await line.post([postback_event("U1", "action=leave_confirm")])
    assert "You have left (No. 1)" in line.last_reply()[0]
    # A second tap on the same confirmation: a clear answer, nothing else changes.
    await line.post([postback_event("U1", "action=leave_confirm")])
    assert "not registered" in line.last_reply()[0] or "登録がありません" in line.last_reply()[0]
    assert await line.hub.ambassadors.find(who(line, "U1")) is None


async def test_unfollow_marks_inactive_and_refollow_welcomes_back(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    replies = len(line.api.replies())
    await line.post([unfollow_event("U1")])
    assert len(line.api.replies()) == replies  # no reply token on unfollow
    assert await line.hub.ambassadors.identity_active(who(line, "U1")) is False
    assert (await line.hub.ambassadors.get(who(line, "U1"))).display_name == "はなこ"
    await line.post([follow_event("U1")])
    assert "おかえりなさい、はなこ さん" in line.last_reply()[0]
    assert await line.hub.ambassadors.identity_active(who(line, "U1")) is True


async def test_link_code_from_discord_sent_on_line(line: LineWorld) -> None:
    discord_user = Identity(who(line, "x").community_id, "discord", "123")
    await register_directly(line.hub, discord_user)
    code = (await line.hub.links.issue(discord_user)).code
    line.api.profiles["U5"] = {"language": "ja"}
    await line.post([text_event("U5", "ZZZZ-ZZZZ")])
    assert "連携コードが正しくありません" in line.last_reply()[0]
    await line.post([text_event("U5", code.lower())])
    assert "連携しました" in line.last_reply()[0]
    assert (await line.hub.ambassadors.get(who(line, "U5"))).platforms == ("discord", "line")
    await line.post([text_event("U5", code)])
    assert "すでに使われています" in line.last_reply()[0]


async def test_link_code_issued_on_line(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "連携")])
    instructions, code = line.last_reply()
    assert "/link" in instructions
    view = await line.hub.links.redeem(Identity(who(line, "U1").community_id, "discord", "777"), code)
    assert view.platforms == ("discord", "line")


async def test_guests_and_odd_messages_get_help(line: LineWorld) -> None:
    line.api.profiles["U3"] = {"language": "ja"}
    await line.post([text_event("U3", "こんにちは")])
    assert "「登録」と送ると" in line.last_reply()[0]
    await line.post([text_event("U3", "プロフィール")])
    assert "まだアンバサダー登録がありません" in line.last_reply()[0]
    await line.post([sticker_event("U3")])  # not an error: thanks, and the help
    sticker_reply = line.last_reply()[0]
    assert "文字のメッセージでお手伝いします" in sticker_reply and "「登録」と送ると" in sticker_reply
    await line.post([postback_event("U3", "action=%00%ff&junk=" + "x" * 250)])
    assert "「登録」と送ると" in line.last_reply()[0]


async def test_communities_are_kept_apart(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    events = [text_event("U1", "プロフィール")]
    assert await line.post(events, secret="taba-line-secret", community="tabayama") == 200
    last = line.api.replies()[-1]
    assert last.headers["Authorization"] == "Bearer taba-line-token"
    assert "まだアンバサダー登録がありません" in last.texts[0]


@pytest.mark.parametrize("status", [429, 500])
async def test_push_retries_with_one_retry_key_and_409_counts_as_sent(line: LineWorld, status: int) -> None:
    from bot.line.client import LineClient
    from bot.line.render import text

    client = LineClient("ama-line-token", line.api.base_url, timeout=5, backoff=0)
    try:
        key = "0b6c1c51-8d4f-4f54-9a0e-3f6f1e2b7c10"  # LINE takes a UUID as the retry key
        line.api.push_failures.extend([status])
        assert await client.push("U1", [text("hello")], retry_key=key)
        keys = [p.headers["X-Line-Retry-Key"] for p in line.api.pushes()]
        assert keys == [key, key]
        assert await client.push("U1", [text("hello")], retry_key=key)  # 409: already sent
        line.api.push_failures.extend([400])
        assert not await client.push("U1", [text("hello")])
    finally:
        await client.close()


async def test_a_discord_member_who_adds_line_can_paste_the_code_at_once(line: LineWorld) -> None:
    discord_user = Identity(who(line, "x").community_id, "discord", "321")
    await register_directly(line.hub, discord_user)
    code = (await line.hub.links.issue(discord_user)).code
    line.api.profiles["U7"] = {"language": "ja"}
    await line.post([follow_event("U7")])
    assert "/link" in line.last_reply()[0]
    await line.post([text_event("U7", code)])
    assert "連携しました" in line.last_reply()[0]
    assert not await line.hub.conversations.active(who(line, "U7"))
    # After the first question a code-shaped answer is just an answer (a name such as "TANAKAYU").
    line.api.profiles["U8"] = {"language": "ja"}
    await line.post([follow_event("U8")])
    await line.post([text_event("U8", "同意する")])
    await line.post([text_event("U8", "TANAKAYU")])
    prompt = await line.hub.conversations.current_prompt(who(line, "U8"))
    assert prompt is not None and prompt.step == "residence"


async def test_the_webhook_answers_before_the_slow_work(line: LineWorld) -> None:
    """LINE wants an answer within about a second: the 200 comes back while the reply is still held."""
    import asyncio

    from bot.line.standin import webhook_body, webhook_headers
    from bot.line.webhook import LINE_FACE

    gate = asyncio.Event()
    line.api.reply_gate = gate
    line.api.profiles["U1"] = {"language": "ja"}
    body = webhook_body([follow_event("U1")])
    async with line.http.post(
        f"{line.base_url}/line/ama/webhook",
        data=body.encode(),
        headers=webhook_headers("ama-line-secret", body),
    ) as resp:
        assert resp.status == 200
    assert line.api.replies() == []  # the reply is still waiting behind the gate
    gate.set()
    await line.app[LINE_FACE].drain()
    assert "友だち追加ありがとうございます" in line.last_reply()[0]


async def test_malformed_but_signed_bodies_are_refused(line: LineWorld) -> None:
    for body in ('{"destination": "x", "events": [{"type": "message"}]}', '{"events": 5}', "[]", '"text"'):
        assert await line.post([], body=body, malformed=True) == 400, body
    assert line.api.requests == []


async def test_a_dead_messaging_api_is_logged_not_crashed(line: LineWorld) -> None:
    from bot.line.client import LineClient
    from bot.line.render import text

    client = LineClient("token", "http://127.0.0.1:9", timeout=2, attempts=1)  # nothing listens on port 9
    try:
        assert not await client.reply("rt", [text("hello")])
        assert not await client.push("U1", [text("hello")])
        assert await client.profile("U1") is None
    finally:
        await client.close()


async def test_the_notifier_pushes_to_line_members_with_a_retry_key(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    view = await line.hub.ambassadors.get(who(line, "U1"))
    assert await line.hub.notifier.tell(view.community_id, view.id, "line.profile.saved") == "line"
    [push] = line.api.pushes()
    assert push.body is not None and push.body["to"] == "U1" and push.texts == ["保存しました。"]
    assert push.headers["X-Line-Retry-Key"]
    assert await line.hub.notifier.budget.used(view.community_id) == 1
