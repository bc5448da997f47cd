"""Every LINE view at its largest: the longest titles, names, descriptions and options the services accept,
and more items than one page, in every list and card the hub sends. LINE would refuse a text past 5,000
UTF-16 units, an altText past 1,500, a label past 20, a carousel of 13 bubbles or of more than 50 KB, a
bubble of more than 30 KB, a URI that is not RFC 3986: the stand-in checks each request, and here each view
must also show what it should (no item dropped from a page, shortened text ending in "…").
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.community.ambassadors import ProfileChanges
from bot.community.events import DESCRIPTION_MAX as EVENT_DESCRIPTION_MAX
from bot.community.events import PLACE_MAX, TITLE_MAX, URL_MAX
from bot.community.identity import Identity
from bot.community.profile_rules import DISPLAY_NAME_MAX, TAG_MAX, TAGS_MAX
from bot.community.projects import NEEDS_MAX, ProjectDraft
from bot.community.projects import TITLE_MAX as PROJECT_TITLE_MAX
from bot.community.subcommittees import DESCRIPTION_MAX as SUB_DESCRIPTION_MAX
from bot.community.subcommittees import NAME_MAX
from bot.community.vote_rules import MAX_OPTIONS, OPTION_MAX, QUESTION_MAX
from bot.community.votes import VoteDraft
from bot.line.limits import ALT_TEXT_MAX, utf16_len
from bot.line.standin import Received, postback_event, text_event
from bot.line.webhook import LineSink
from tests.line.conftest import LineWorld
from tests.line.test_events import bubbles, community, configure, flex_actions, flex_texts, new_event
from tests.line.test_webhook import register_on_line, who
from tests.services.test_events import staff

# Emoji and kanji beyond the BMP (2 UTF-16 units each), flags, a skin tone, kana: what a title may hold.
# (ZWJ sequences are refused as control characters by the hub's text rules, so stored text has none.)
WIDE = "𠮷😀島🇯🇵👍🏽の"


def worst(n: int, tag: str = "") -> str:
    """``n`` characters (code points, as the services count) of wide text, starting with ``tag``."""
    return (tag + WIDE * n)[:n]


def tags(prefix: str) -> str:
    return "、".join(worst(TAG_MAX, f"{prefix}{i}") for i in range(TAGS_MAX))


@pytest.fixture
async def world(line: LineWorld) -> LineWorld:
    """One member with the longest profile, and twelve of everything with the longest texts."""
    await configure(line, budget=None, public_url="https://hub.example.jp/" + "p" * 200)
    await register_on_line(line, "U1")
    await line.hub.ambassadors.update_profile(
        who(line, "U1"),
        ProfileChanges(display_name=worst(DISPLAY_NAME_MAX, "名"), interests=tags("関心"), skills=tags("技")),
    )
    cid = community(line)
    for n in range(12):
        await new_event(
            line,
            title=worst(TITLE_MAX, f"催し{n}"),
            start=f"2026-12-{n + 5:02d} 19:00",
            place=worst(PLACE_MAX),
            # The first: a Japanese path; the others: the longest, too long for LINE once percent-encoded.
            online_url="https://example.jp/島の会/あ"
            if n == 0
            else ("https://example.jp/" + "あ" * URL_MAX)[:URL_MAX],
            description=worst(EVENT_DESCRIPTION_MAX),
            capacity=5,
        )
        options = "|".join(worst(OPTION_MAX, f"{o}案") for o in range(MAX_OPTIONS))
        draft = VoteDraft(question=worst(QUESTION_MAX, f"議案{n}"), options=options, closes="3日")
        await line.hub.votes.open(cid, Identity(cid, "discord", "staff"), draft)
        new = await line.hub.subcommittees.check_new(
            cid, worst(NAME_MAX, f"会{n:02d}"), worst(SUB_DESCRIPTION_MAX), tags(f"{n}")
        )
        await line.hub.subcommittees.create(new, staff(line.hub))
        project = ProjectDraft(
            title=worst(PROJECT_TITLE_MAX, f"募集{n}"),
            needs=worst(NEEDS_MAX),
            skills=tags("技"),
            deadline=f"2026-12-{n + 5:02d} 18:00",
            place=worst(PLACE_MAX),
            online=True,
        )
        await line.hub.projects.create(cid, staff(line.hub), project, is_staff=True)
        await line.hub.contributions.log(who(line, "U1"), "visit", worst(500), "today", None)
    return line


def within_lines_limits(message: dict[str, Any]) -> None:
    """What a member reads of a message is shortened with "…", never cut off by LINE."""
    if message["type"] == "text":
        assert 0 < utf16_len(message["text"]) <= 5000
    else:
        assert 0 < utf16_len(message["altText"]) <= ALT_TEXT_MAX
    for action in flex_actions(message.get("contents", {})):
        if "label" in action and len(action["label"]) >= 20:
            assert action["label"].endswith("…")


async def ask(
    line: LineWorld, caplog: pytest.LogCaptureFixture, event: dict[str, Any]
) -> list[dict[str, Any]]:
    """Post one event from U1; the reply's messages (each checked by the stand-in, nothing logged)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert await line.post([event]) == 200
    assert [r.getMessage() for r in caplog.records] == []
    assert line.api.violations == [], line.api.report()
    reply: Received = line.api.replies()[-1]
    for message in reply.messages:
        within_lines_limits(message)
    return reply.messages


def all_bubbles(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for m in messages if m["type"] == "flex" for b in bubbles(m)]


async def test_every_list_shows_a_full_page_of_the_largest_items(
    world: LineWorld, caplog: pytest.LogCaptureFixture
) -> None:
    line = world
    for word in ("イベント", "投票", "投票結果", "分科会", "プロジェクト"):
        messages = await ask(line, caplog, text_event("U1", word))
        shown = all_bubbles(messages)
        expected = 5 if word == "投票結果" else 10  # the latest five results; ten a page otherwise
        assert len(shown) == expected, word
        assert "quickReply" in messages[-1]
    # The next page of subcommittees, by its button.
    messages = await ask(line, caplog, postback_event("U1", "action=subcommittees&at=10"))
    assert len(all_bubbles(messages)) == 2


async def test_every_card_of_one_member_at_its_largest(
    world: LineWorld, caplog: pytest.LogCaptureFixture
) -> None:
    line = world
    for word in (
        "プロフィール",
        "貢献記録",
        "ランキング",
        "関わりの段階",
        "重み 1",
        "活動証明",
        "マイデータ",
    ):
        messages = await ask(line, caplog, text_event("U1", word))
        assert messages, word
    # An event's online link: a Japanese path is percent-encoded for LINE (the same page opens); one too
    # long for LINE once encoded is shown as text without the tap.
    first, second, *_ = all_bubbles(await ask(line, caplog, text_event("U1", "イベント")))
    links = [a["uri"] for a in flex_actions(first) if a["type"] == "uri"]
    assert "https://example.jp/%E5%B3%B6%E3%81%AE%E4%BC%9A/%E3%81%82" in links
    assert not [a for a in flex_actions(second) if a.get("uri", "").startswith("https://example.jp/")]
    assert any("https://example.jp/ああ" in t for t in flex_texts(second))


async def test_cards_offered_to_many_at_their_largest(
    world: LineWorld, caplog: pytest.LogCaptureFixture
) -> None:
    line = world
    await line.post([text_event("U1", "イベント通知オン")])
    await line.post([text_event("U1", "投票通知オン")])
    cid = community(line)
    event = await new_event(line, title=worst(TITLE_MAX, "新しい催し"), start="2026-12-30 10:00")
    assert (await line.hub.offers.offer_event(event)).sent == 1
    options = "|".join(worst(OPTION_MAX, f"{o}案") for o in range(MAX_OPTIONS))
    vote = await line.hub.votes.open(
        cid,
        Identity(cid, "discord", "staff"),
        VoteDraft(question=worst(QUESTION_MAX), options=options, closes="3日"),
    )
    assert (await line.hub.offers.offer_vote(vote)).sent == 1
    assert line.api.violations == [], line.api.report()
    for multicast in line.api.multicasts():
        [card] = multicast.messages
        within_lines_limits(card)
        assert card["altText"].startswith(("新しいイベント：新しい催し", "新しい投票："))


async def test_the_longest_announcement_and_push_reach_line_shortened(world: LineWorld) -> None:
    """A staff announcement can carry 6,000 characters (a Discord string option): on LINE it is cut to
    5,000 UTF-16 units (the emoji count 2), at a whole character, ending with "…"."""
    line = world
    sink = line.hub.notifier.sink("line")
    assert isinstance(sink, LineSink)
    cid = community(line)
    assert await sink.multicast_text(cid, ["U1"], worst(6000))
    assert await sink.send(cid, "U1", worst(6000))
    assert line.api.violations == [], line.api.report()
    for request in (*line.api.multicasts(), *line.api.pushes()):
        [said] = request.texts
        assert utf16_len(said) <= 5000 and said.endswith("…") and worst(6000).startswith(said[:-1])
