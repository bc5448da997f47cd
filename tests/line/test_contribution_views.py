"""History, ranking, stage and thanks on LINE, as signed webhook requests over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from bot.community.identity import Identity
from bot.line.contributions import parse_thanks
from bot.line.standin import postback_event, text_event
from tests.line.conftest import LineWorld
from tests.line.test_webhook import register_on_line, who


def flex_texts(node: Any) -> list[str]:
    """Every text of a Flex message, in order."""
    if isinstance(node, list):
        return [t for child in node for t in flex_texts(child)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "text" else []
    return own + [t for value in node.values() for t in flex_texts(value)]


async def two_members_with_entries(line: LineWorld) -> tuple[Identity, Identity]:
    """はなこ (No. 1): an approved 知見の提供 (10) and a pending 継続的な来訪; たろう (No. 2): nothing yet."""
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", name="たろう")
    hanako, taro = who(line, "U1"), who(line, "U2")
    approved = await line.hub.contributions.log(hanako, "knowledge", "島の高校で授業をした", "2026-11-20")
    staff = Identity(hanako.community_id, "discord", "staff")
    await line.hub.contributions.review(hanako.community_id, approved.seq, staff, approve=True)
    await line.hub.contributions.log(hanako, "visit", "3回目の来島", "昨日")
    return hanako, taro


async def test_history_shows_entries_pending_items_and_the_total(line: LineWorld) -> None:
    await two_members_with_entries(line)
    await line.post([text_event("U1", "履歴")])
    [card] = line.api.replies()[-1].messages
    assert card["type"] == "flex" and card["altText"] == "はなこ さんの貢献記録 — 累計 10ポイント"
    texts = flex_texts(card["contents"])
    assert texts[:5] == [
        "海士町オフィシャルアンバサダー",
        "はなこ さんの貢献記録",
        "累計 10ポイント",
        "確認待ち 1件",
        "最近の2件",
    ]
    assert texts[5:] == [
        "2026-11-21", "継続的な来訪", "（5pt）", "確認待ち", "3回目の来島",
        "2026-11-20", "知見の提供", "+10pt", "承認済み", "島の高校で授業をした",
    ]  # fmt: skip
    assert "貢献を記録" in [i["action"]["label"] for i in card["quickReply"]["items"]]
    # The same from the rich menu, and from the other word.
    await line.post([postback_event("U1", "action=history")])
    assert line.api.replies()[-1].messages[0]["altText"] == card["altText"]
    await line.post([text_event("U1", "貢献記録")])
    assert line.api.replies()[-1].messages[0]["altText"] == card["altText"]


async def test_history_of_a_new_member_and_a_rejected_claim(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "history")])
    assert line.last_reply() == ["まだ貢献の記録がありません。「貢献」と送ると記録できます。"]
    hanako = who(line, "U1")
    claim = await line.hub.contributions.log(hanako, "visit", "来島", "今日")
    staff = Identity(hanako.community_id, "discord", "staff")
    await line.hub.contributions.review(
        hanako.community_id, claim.seq, staff, approve=False, reason="日付の確認を"
    )
    await line.post([text_event("U1", "履歴")])
    texts = flex_texts(line.api.replies()[-1].messages[0]["contents"])
    assert "見送り：日付の確認を" in texts and "累計 0ポイント" in texts


async def test_ranking_all_time_and_this_month(line: LineWorld) -> None:
    await two_members_with_entries(line)
    await line.post([text_event("U2", "ありがとう No.1 授業の資料")])
    await line.post([text_event("U2", "ランキング")])
    [card] = line.api.replies()[-1].messages
    assert card["altText"] == "貢献ランキング"
    texts = flex_texts(card["contents"])
    assert texts == [
        "海士町オフィシャルアンバサダー", "貢献ランキング",
        "累計 トップ10", "1位　No.1 はなこ", "11pt",
        "今月（2026-11）トップ10", "1位　No.1 はなこ", "11pt",
    ]  # fmt: skip
    await line.post([postback_event("U1", "action=ranking")])
    mine = line.api.replies()[-1].messages[0]["contents"]["body"]["contents"]
    bold = [
        flex_texts(row) for row in mine if row.get("type") == "box" and row["contents"][0]["weight"] == "bold"
    ]
    assert bold == [["1位　No.1 はなこ", "11pt"], ["1位　No.1 はなこ", "11pt"]]  # one's own row stands out


async def test_an_empty_ranking(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "ranking")])
    assert flex_texts(line.api.replies()[-1].messages[0]["contents"]).count("まだいません。") == 2


async def test_stage_shows_what_comes_next(line: LineWorld) -> None:
    await two_members_with_entries(line)
    await line.post([text_event("U1", "段階")])
    assert line.last_reply() == [
        "関わりの段階：2「関わる」\n累計 10ポイント\n\n次の段階3「力を貸す」まで：\n・あと10ポイント"
    ]
    await line.post([postback_event("U2", "action=stage")])
    assert line.last_reply()[0].startswith("関わりの段階：1「関心を持つ」\n累計 0ポイント")
    # A member set to the top stage by the staff sees it, and the perks of every stage reached.
    ref = line.hub.communities.by_key("ama")
    assert ref is not None
    await line.hub.stages.set_stage(ref.id, 1, 4, "総会の運営", actor="discord:staff")
    await line.post([text_event("U1", "stage")])
    [text] = line.last_reply()
    assert text.startswith(
        "関わりの段階：4「意思決定に参加する」\n累計 10ポイント\n（運営スタッフが設定した段階です）"
    )
    assert "最上位の段階です" in text


async def test_stage_lists_missing_entries_and_perks(line: LineWorld) -> None:
    from bot.config import settings_from_mapping
    from tests.conftest import settings_data

    data = settings_data(line.hub.settings.database.url)
    data["line"]["api_base"] = line.api.base_url
    data["communities"][0]["contributions"] = {
        "stages": [
            {"stage": 2, "min_points": 1, "perks": ["分科会に参加できます"]},
            {"stage": 3, "min_points": 5, "min_counts": {"local_activity": 2}},
        ]
    }
    await line.hub.reconfigure(settings_from_mapping(data, env={}))
    await two_members_with_entries(line)
    await line.post([text_event("U1", "段階")])
    assert line.last_reply() == [
        "関わりの段階：2「関わる」\n累計 10ポイント\n\n"
        "次の段階3「力を貸す」まで：\n・地域活動への参加をあと2回\n\n"
        "この段階でできること：\n・分科会に参加できます"
    ]


async def test_thanks_by_member_number(line: LineWorld) -> None:
    _, taro = await two_members_with_entries(line)
    await line.post([text_event("U1", "ありがとう No.2 資料づくりを手伝ってくれて")])
    assert line.last_reply() == ["No.2 たろう さんにありがとうを送りました（+1ポイント）。"]
    assert await line.hub.contributions.points(taro) == 1
    # たろう reached stage 2 with that point: told by a push (LINE is all they use).
    [push] = line.api.pushes()
    assert push.body is not None and push.body["to"] == "U2" and "「関わる」" in push.texts[0]
    [entry] = await line.hub.contributions.history(taro)
    assert (entry.kind, entry.description) == ("thanks", "資料づくりを手伝ってくれて")
    # Written in full-width, or in English: the same.
    await line.post([text_event("U1", "ありがとう　Ｎｏ．２　写真もありがとう")])
    assert "No.2 たろう さん" in line.last_reply()[0]
    await line.post([text_event("U2", "thanks #1 for the class")])
    assert "No.1 はなこ さん" in line.last_reply()[0]
    assert len(line.api.pushes()) == 1  # はなこ was at stage 2 already


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("ありがとう No.1 自分に", "自分自身にはありがとうを送れません。"),
        ("ありがとう No.99 どなたか", "その方はアンバサダーとして登録されていません。"),
        ("ありがとう No.2", "ありがとうの理由をひとこと書いてください。"),
        ("ありがとう", "ありがとうを送るには、相手の会員番号と理由を続けて送ってください。"),
    ],
)
async def test_thanks_refusals(line: LineWorld, message: str, expected: str) -> None:
    await two_members_with_entries(line)
    await line.post([text_event("U1", message)])
    assert line.last_reply()[0].startswith(expected)
    assert await line.hub.contributions.points(who(line, "U2")) == 0


def test_thanks_messages_are_read_with_or_without_no() -> None:
    words = ["ありがとう", "thanks", "thank you"]
    assert parse_thanks(words, "ありがとう No.12 理由") == (12, "理由")
    assert parse_thanks(words, "ありがとう #12、理由です") == (12, "理由です")
    assert parse_thanks(words, "ありがとう12さん 理由") == (12, "理由")
    assert parse_thanks(words, "Thank you no 3: the talk") == (3, "the talk")
    assert parse_thanks(words, "ありがとう！ No.5 ") == (5, "")
    assert parse_thanks(words, "ありがとうございます") is None
    assert parse_thanks(words, "ありがとう") is None


async def test_guests_are_told_to_register_first(line: LineWorld) -> None:
    line.api.profiles["U9"] = {"language": "ja"}
    for event in (
        text_event("U9", "貢献"),
        postback_event("U9", "action=contribute"),
        text_event("U9", "履歴"),
        postback_event("U9", "action=history"),
        text_event("U9", "ランキング"),
        postback_event("U9", "action=ranking"),
        text_event("U9", "段階"),
        postback_event("U9", "action=stage"),
    ):
        await line.post([event])
        assert line.last_reply() == ["まだアンバサダー登録がありません。先に登録してください。"]
        assert line.last_quick_labels() == ["登録する", "ヘルプ"]
    await register_on_line(line, "U1")
    await line.post([text_event("U9", "ありがとう No.1 いつも")])
    assert line.last_reply() == ["ありがとうを送るには、先にアンバサダー登録をしてください。"]
    assert not await line.hub.conversations.active(who(line, "U9"))
    assert await line.hub.contributions.points(who(line, "U1")) == 0


async def test_help_and_menu_offer_the_contribution_commands(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "ヘルプ")])
    assert "・貢献：貢献を記録" in line.last_reply()[0] and "ありがとう No.12 理由" in line.last_reply()[0]
    assert line.last_quick_labels() == [
        "貢献を記録", "イベント", "投票", "分科会", "プロジェクト", "貢献記録", "ランキング", "関わりの段階",
        "プロフィール", "Discord連携", "ヘルプ",
    ]  # fmt: skip
