"""The step-by-step contribution log used by LINE: each answer checked at its step, state in the database."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.community.conversations import Turn
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.config import settings_from_mapping
from bot.hub import Hub, open_hub
from tests.conftest import settings_data
from tests.services.test_ambassadors import register, who

OWN_CATEGORIES: dict[str, Any] = {
    "categories": [
        {"key": "knowledge", "points": 10},
        {"key": "local_activity", "points": 5},
        {"key": "beach_cleanup", "name_ja": "海岸清掃", "name_en": "Beach clean-up", "points": 3,
         "needs_approval": False},
    ]
}  # fmt: skip


async def with_contributions(hub: Hub, contributions: dict[str, Any]) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["contributions"] = contributions
    await hub.reconfigure(settings_from_mapping(data, env={}))


async def answers(hub: Hub, ident: Identity, *given: tuple[str | None, str | None]) -> list[Turn]:
    turns = []
    for text, choice in given:
        turn = await hub.conversations.answer(ident, text=text, choice=choice)
        assert turn is not None
        turns.append(turn)
    return turns


def outcomes(turns: list[Turn]) -> list[str]:
    return [t.outcome if t.error is None else f"error:{t.error.key}" for t in turns]


async def test_full_log_with_taps_and_typed_answers_waits_for_review(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    prompt = await hub.conversations.start_contribution(ident)
    assert (prompt.flow, prompt.step, prompt.position, prompt.total) == ("contribute", "category", 1, 4)
    assert [c.value for c in prompt.choices] == [
        "knowledge", "visit", "furusato_tax", "local_activity", "relocation_trial", "promotion",
    ]  # fmt: skip
    assert [c.label(hub.tr, "ja") for c in prompt.choices][:2] == ["知見の提供", "継続的な来訪"]
    turns = await answers(
        hub,
        ident,
        (None, "knowledge"),
        ("  島の高校で授業をした ", None),
        ("11/20", None),
        ("https://example.jp/report", None),
    )
    assert outcomes(turns) == ["ask", "ask", "ask", "logged"]
    assert [t.prompt.step for t in turns[:3] if t.prompt] == ["description", "occurred_on", "link"]
    assert turns[1].prompt is not None and [c.value for c in turns[1].prompt.choices] == [
        "today",
        "yesterday",
    ]
    assert turns[2].prompt is not None and turns[2].prompt.skippable
    logged = turns[-1].logged
    assert logged is not None and (logged.status, logged.points, logged.promotion) == ("pending", 10, None)
    assert turns[-1].answers["category"] == "knowledge"
    [item] = await hub.contributions.pending(ident.community_id)
    assert (item.category, item.description, item.occurred_on, item.link) == (
        "knowledge",
        "島の高校で授業をした",
        "2026-11-20",
        "https://example.jp/report",
    )
    assert not await hub.conversations.active(ident)


async def test_typed_names_in_either_language_and_a_category_without_review(hub: Hub) -> None:
    await with_contributions(hub, OWN_CATEGORIES)
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    prompt = await hub.conversations.start_contribution(ident)
    assert [c.label(hub.tr, "en") for c in prompt.choices] == [
        "Lending expertise",
        "Local activity",
        "Beach clean-up",
    ]
    turns = await answers(
        hub, ident, ("beach clean-up", None), ("ゴミ拾い", None), (None, "yesterday"), ("なし", None)
    )
    assert outcomes(turns) == ["ask", "ask", "ask", "logged"]
    logged = turns[-1].logged
    assert logged is not None and (logged.status, logged.points) == ("approved", 3)
    assert logged.promotion is not None and (logged.promotion.old, logged.promotion.new) == (1, 2)
    [entry] = await hub.contributions.history(ident)
    assert (entry.category, entry.occurred_on, entry.status) == ("beach_cleanup", "2026-11-21", "approved")
    assert await hub.contributions.points(ident) == 3


async def test_bad_answers_are_refused_at_their_step(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    await hub.conversations.start_contribution(ident)
    turns = await answers(
        hub,
        ident,
        ("釣り", None),
        (None, "fishing"),  # a forged postback value
        ("知見の提供", None),
        (None, "knowledge"),  # a tap where text is expected
        ("   ", None),
        ("あ" * 501, None),
        ("あ" * 500, None),
        ("2026-11-30", None),  # after today (2026-11-22 in Tokyo)
        ("2026-02-30", None),
        ("そのうち", None),
        (None, "tomorrow"),
        ("今日", None),
        ("example.jp", None),
        ("https://example.jp/" + "x" * 300, None),
        ("https://example.jp/ok", None),
    )
    assert outcomes(turns) == [
        "error:contribution.error.unknown_category",
        "error:contribution.error.unknown_category",
        "ask",
        "error:wizard.error.type_answer",
        "error:contribution.error.description_empty",
        "error:contribution.error.description_too_long",
        "ask",
        "error:contribution.error.date_future",
        "error:contribution.error.date_impossible",
        "error:contribution.error.date_format",
        "error:wizard.error.pick_one",
        "ask",
        "error:contribution.error.link",
        "error:contribution.error.link",
        "logged",
    ]
    # A refused answer asks the same question again.
    assert [t.prompt.step for t in turns if t.error and t.prompt] == [
        "category", "category", "description", "description", "description",
        "occurred_on", "occurred_on", "occurred_on", "occurred_on", "link", "link",
    ]  # fmt: skip
    assert turns[0].error is not None and turns[0].error.params == {"category": "釣り"}
    [item] = await hub.contributions.pending(ident.community_id)
    assert (item.description, item.occurred_on) == ("あ" * 500, "2026-11-22")


async def test_cancelling_stores_nothing(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    await hub.conversations.start_contribution(ident)
    turns = await answers(hub, ident, (None, "visit"), ("再訪した", None), ("キャンセル", None))
    assert outcomes(turns) == ["ask", "ask", "cancelled"]
    assert turns[-1].flow == "contribute"
    assert await hub.contributions.history(ident) == []
    assert await hub.conversations.answer(ident, text="今日") is None


async def test_members_only(hub: Hub) -> None:
    with pytest.raises(DomainError) as err:
        await hub.conversations.start_contribution(who(hub, "U9", "line"))
    assert err.value.key == "profile.error.not_registered"
    assert not await hub.conversations.active(who(hub, "U9", "line"))


async def test_a_restart_in_the_middle_loses_nothing(hub: Hub, clock: ManualClock) -> None:
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    await hub.conversations.start_contribution(ident)
    await answers(hub, ident, (None, "promotion"), ("SNSで紹介した", None))
    restarted = await open_hub(hub.settings, clock=clock)
    try:
        prompt = await restarted.conversations.current_prompt(ident)
        assert prompt is not None and (prompt.flow, prompt.step, prompt.position) == (
            "contribute",
            "occurred_on",
            3,
        )
        turns = await answers(restarted, ident, ("昨日", None), ("スキップ", None))
        assert outcomes(turns) == ["ask", "logged"]
        [item] = await restarted.contributions.pending(ident.community_id)
        assert (item.category, item.description, item.occurred_on, item.link) == (
            "promotion",
            "SNSで紹介した",
            "2026-11-21",
            None,
        )
    finally:
        await restarted.close()


async def test_a_category_removed_meanwhile_is_asked_again_and_the_rest_kept(hub: Hub) -> None:
    await with_contributions(hub, OWN_CATEGORIES)
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    await hub.conversations.start_contribution(ident)
    await answers(hub, ident, (None, "beach_cleanup"), ("海岸のゴミ拾い", None), ("今日", None))
    await with_contributions(
        hub,
        {
            "categories": [{"key": "visit", "points": 5, "needs_approval": False}],
            "stages": [{"stage": 2, "min_points": 1}],
        },
    )
    [refused] = await answers(hub, ident, ("skip", None))
    assert refused.error is not None and refused.error.key == "contribution.error.unknown_category"
    assert refused.prompt is not None and refused.prompt.step == "category"
    assert [c.value for c in refused.prompt.choices] == ["visit"]
    [logged] = await answers(hub, ident, (None, "visit"))  # description, date and link were kept
    assert logged.outcome == "logged" and logged.logged is not None and logged.logged.points == 5
    [entry] = await hub.contributions.history(ident)
    assert (entry.category, entry.description) == ("visit", "海岸のゴミ拾い")


async def test_the_last_answer_delivered_twice_at_once_logs_once(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    await register(hub, ident)
    await hub.conversations.start_contribution(ident)
    await answers(hub, ident, (None, "visit"), ("再訪した", None), ("今日", None))
    both = await asyncio.gather(
        hub.conversations.answer(ident, text="skip"), hub.conversations.answer(ident, text="skip")
    )
    assert sorted(t.outcome if t else "none" for t in both) == ["logged", "none"]
    assert len(await hub.contributions.pending(ident.community_id)) == 1


async def test_registration_and_edits_still_end_with_their_own_outcomes(hub: Hub) -> None:
    ident = who(hub, "U1", "line")
    await hub.conversations.start_registration(ident, "ja")
    [cancelled] = await answers(hub, ident, ("cancel", None))
    assert (cancelled.outcome, cancelled.flow) == ("cancelled", "register")
    await register(hub, ident)
    await hub.conversations.start_edit(ident, "skills")
    [edited] = await answers(hub, ident, ("スキップ", None))
    assert (edited.outcome, edited.flow) == ("edited", "edit")
