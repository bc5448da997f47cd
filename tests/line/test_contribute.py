"""Logging a contribution on LINE, step by step, as signed webhook requests over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.clock import ManualClock
from bot.config import settings_from_mapping
from bot.hub import open_hub
from bot.line.standin import postback_event, text_event
from bot.line.webhook import create_line_app
from tests.conftest import settings_data
from tests.line.conftest import LineWorld
from tests.line.test_webhook import register_on_line, who

DEFAULT_LABELS = [
    "知見の提供",
    "継続的な来訪",
    "ふるさと納税",
    "地域活動への参加",
    "移住体験への参加",
    "魅力発信",
    "キャンセル",
]
OWN_CATEGORIES: dict[str, Any] = {
    "categories": [
        {"key": "knowledge", "points": 10},
        {"key": "local_activity", "points": 5},
        {"key": "beach_cleanup", "name_ja": "海岸清掃", "name_en": "Beach clean-up", "points": 3,
         "needs_approval": False},
    ]
}  # fmt: skip


async def configure(line: LineWorld, contributions: dict[str, Any], budget: int | None = 200) -> None:
    data = settings_data(line.hub.settings.database.url)
    data["line"]["api_base"] = line.api.base_url
    data["communities"][0]["contributions"] = contributions
    data["communities"][0]["line"]["monthly_push_budget"] = budget
    await line.hub.reconfigure(settings_from_mapping(data, env={}))


def tap(user: str, step: str, value: str, event_id: str | None = None) -> dict[str, Any]:
    return postback_event(user, f"action=answer&step={step}&value={value}", event_id)


async def step_of(line: LineWorld, user: str) -> str | None:
    prompt = await line.hub.conversations.current_prompt(who(line, user))
    return prompt.step if prompt else None


async def test_a_guided_log_with_taps_and_typed_answers_waits_for_review(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "貢献")])
    [question] = line.last_reply()
    assert question.startswith("（1/4）") and "どの種類の貢献" in question
    assert line.last_quick_labels() == DEFAULT_LABELS
    await line.post([tap("U1", "category", "knowledge")])
    assert line.last_reply()[0].startswith("（2/4）何をしましたか？ 500文字以内")
    await line.post([text_event("U1", "島の高校でプログラミングの授業をした")])
    assert "いつのことですか" in line.last_reply()[0]
    assert line.last_quick_labels() == ["今日", "昨日", "キャンセル"]
    await line.post([text_event("U1", "11月20日")])
    assert "リンク" in line.last_reply()[0]
    assert line.last_quick_labels() == ["スキップ", "キャンセル"]
    await line.post([text_event("U1", "https://example.jp/report")])
    [done] = line.last_reply()
    assert (
        done == "記録しました（#1）。\n知見の提供：10ポイント\n運営スタッフの確認後にポイントが加算されます。"
    )
    assert "貢献を記録" in line.last_quick_labels()
    [item] = await line.hub.contributions.pending(who(line, "U1").community_id)
    assert (item.member_number, item.category, item.points, item.occurred_on, item.link) == (
        1,
        "knowledge",
        10,
        "2026-11-20",
        "https://example.jp/report",
    )
    assert item.description == "島の高校でプログラミングの授業をした"
    assert line.api.pushes() == []  # pending: no points yet, no promotion
    assert await step_of(line, "U1") is None


async def test_a_category_without_review_counts_at_once_and_the_promotion_is_in_the_reply(
    line: LineWorld,
) -> None:
    await configure(line, OWN_CATEGORIES)
    await register_on_line(line, "U1")
    await line.post([postback_event("U1", "action=contribute")])  # the rich menu
    assert line.last_quick_labels() == ["知見の提供", "地域活動への参加", "海岸清掃", "キャンセル"]
    await line.post([text_event("U1", "海岸清掃")])
    await line.post([text_event("U1", "港のゴミ拾い")])
    await line.post([tap("U1", "occurred_on", "today")])
    await line.post([text_event("U1", "スキップ")])
    [done] = line.last_reply()
    assert done == (
        "記録しました（#1）。\n海岸清掃：+3ポイント\n累計 3ポイントになりました。"
        "\n\nおめでとうございます！ 関わりの段階が「関わる」（段階2）に上がりました。"
    )
    assert line.api.pushes() == []  # said in the free reply: no push spent on it
    [entry] = await line.hub.contributions.history(who(line, "U1"))
    assert (entry.category, entry.status, entry.points, entry.occurred_on) == (
        "beach_cleanup",
        "approved",
        3,
        "2026-11-22",
    )
    assert (await line.hub.ambassadors.get(who(line, "U1"))).stage == 2


async def test_a_promotion_that_cannot_be_pushed_is_said_in_the_reply(line: LineWorld) -> None:
    await configure(line, OWN_CATEGORIES, budget=0)
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "記録")])
    await line.post([tap("U1", "category", "beach_cleanup")])
    await line.post([text_event("U1", "港のゴミ拾い")])
    await line.post([text_event("U1", "昨日")])
    await line.post([text_event("U1", "なし")])
    [done] = line.last_reply()
    assert "+3ポイント" in done and "「関わる」（段階2）に上がりました" in done
    assert line.api.pushes() == []  # the month's budget is spent


async def test_bad_answers_are_explained_and_asked_again(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "貢献")])
    await line.post([text_event("U1", "釣り")])
    [again] = line.last_reply()
    assert again.startswith("⚠️ 「釣り」という貢献の種類はありません。") and "（1/4）" in again
    assert line.last_quick_labels() == DEFAULT_LABELS
    await line.post([tap("U1", "category", "fishing")])  # a forged postback
    assert "「fishing」という貢献の種類はありません" in line.last_reply()[0]
    await line.post([text_event("U1", "継続的な来訪")])
    await line.post([text_event("U1", "あ" * 501)])
    assert "内容は500文字以内で書いてください" in line.last_reply()[0]
    assert await step_of(line, "U1") == "description"
    await line.post([text_event("U1", "3回目の来島")])
    await line.post([text_event("U1", "2026-11-30")])
    assert "「2026-11-30」は未来の日付です" in line.last_reply()[0]
    await line.post([text_event("U1", "2026-02-30")])
    assert "「2026-02-30」という日付はありません" in line.last_reply()[0]
    assert line.last_quick_labels() == ["今日", "昨日", "キャンセル"]
    assert await step_of(line, "U1") == "occurred_on"
    # A button from an earlier question changes nothing.
    await line.post([tap("U1", "category", "knowledge")])
    assert "前の質問" in line.last_reply()[0] and "いつのことですか" in line.last_reply()[1]
    await line.post([text_event("U1", "11/21")])
    await line.post([text_event("U1", "example.jp")])
    assert "http:// か https://" in line.last_reply()[0]
    await line.post([text_event("U1", "スキップ")])
    [item] = await line.hub.contributions.pending(who(line, "U1").community_id)
    assert (item.category, item.description, item.occurred_on, item.link) == (
        "visit",
        "3回目の来島",
        "2026-11-21",
        None,
    )


async def test_cancelling_half_way_stores_nothing(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "貢献")])
    await line.post([tap("U1", "category", "visit")])
    await line.post([text_event("U1", "再訪した")])
    await line.post([text_event("U1", "キャンセル")])
    assert line.last_reply() == ["貢献の記録を中止しました。何も保存していません。"]
    assert await line.hub.contributions.history(who(line, "U1")) == []
    assert await step_of(line, "U1") is None
    await line.post([tap("U1", "occurred_on", "today")])  # a late tap on the abandoned question
    assert "前の質問" in line.last_reply()[0]
    assert await line.hub.contributions.history(who(line, "U1")) == []


@asynccontextmanager
async def restarted(line: LineWorld, clock: ManualClock) -> AsyncIterator[LineWorld]:
    """The same database and Messaging API stand-in, served by a new hub and a new webhook server."""
    hub = await open_hub(line.hub.settings, clock=clock)
    app = create_line_app(hub.settings, hub)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield LineWorld(line.api, f"http://127.0.0.1:{runner.addresses[0][1]}", app, line.http, hub)
    finally:
        await runner.cleanup()
        await hub.close()


async def test_a_restart_in_the_middle_continues(line: LineWorld, clock: ManualClock) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "貢献")])
    await line.post([tap("U1", "category", "promotion")])
    await line.post([text_event("U1", "島の魅力をSNSで紹介した")])
    async with restarted(line, clock) as again:
        await again.post([text_event("U1", "今日")])
        assert "リンク" in again.last_reply()[0]
        await again.post([text_event("U1", "https://example.jp/post/1")])
        assert again.last_reply()[0].startswith("記録しました（#1）。\n魅力発信：2ポイント")
        [item] = await again.hub.contributions.pending(who(again, "U1").community_id)
        assert (item.category, item.description, item.link) == (
            "promotion",
            "島の魅力をSNSで紹介した",
            "https://example.jp/post/1",
        )


async def test_a_redelivered_last_answer_logs_once(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "貢献")])
    await line.post([tap("U1", "category", "visit")])
    await line.post([text_event("U1", "再訪した")])
    await line.post([text_event("U1", "今日")])
    await line.post([text_event("U1", "スキップ", event_id="01JLASTANSWER")])
    replies = len(line.api.replies())
    assert await line.post([text_event("U1", "スキップ", event_id="01JLASTANSWER", redelivery=True)]) == 200
    assert len(line.api.replies()) == replies
    # The same tap sent again as a new event: the dialogue is over, so it is not an answer.
    await line.post([text_event("U1", "スキップ")])
    assert "使えることば" in line.last_reply()[0]
    assert len(await line.hub.contributions.pending(who(line, "U1").community_id)) == 1


async def test_more_categories_than_buttons_are_listed_in_the_question(line: LineWorld) -> None:
    name = "海と山をつなぐ地域の取り組みプロジェクト・その{}"
    many = [
        {"key": f"own_{i:02d}", "name_ja": name.format(i), "name_en": f"Own {i}", "points": 1}
        for i in range(14)
    ]
    await configure(line, {"categories": many, "stages": [{"stage": 2, "min_points": 1}]})
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "貢献")])
    [question] = line.last_reply()
    assert "・海と山をつなぐ地域の取り組みプロジェクト・その13" in question  # not a button, but listed
    labels = line.last_quick_labels()
    assert len(labels) == 13 and labels[-1] == "キャンセル"
    assert (
        all(len(label) <= 20 for label in labels) and labels[0] == "海と山をつなぐ地域の取り組みプロジェク…"
    )
    await line.post([text_event("U1", "海と山をつなぐ地域の取り組みプロジェクト・その13")])
    assert await step_of(line, "U1") == "description"


async def test_english_member_gets_english_questions(line: LineWorld) -> None:
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2")
    await line.post([text_event("U2", "contribute")])
    assert line.last_reply()[0].startswith("(1/4) Let's log a contribution.")
    assert line.last_quick_labels()[:2] == ["Lending expertise", "Visiting again"]
    await line.post([text_event("U2", "visiting again")])
    await line.post([text_event("U2", "Came back for the festival")])
    assert line.last_quick_labels() == ["Today", "Yesterday", "Cancel"]
    await line.post([text_event("U2", "yesterday")])
    await line.post([text_event("U2", "skip")])
    assert line.last_reply()[0].startswith("Logged (#1).\nVisiting again: 5 points")
