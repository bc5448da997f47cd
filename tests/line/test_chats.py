"""Group chats, rooms, standby and every webhook event LINE sends (bot/line/chats.py), over real HTTP.

The account greets once when invited to a group or room and says nothing else there, whoever writes and
whatever they send: a registered member's command in a group gets no personal data back (nor anything else),
and changes nothing. Every event type of webhook.yml, from every source and in standby, is answered 200 and
handled quietly unless a reply is due.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.community.identity import Identity
from bot.config import ConfigError, settings_from_mapping
from bot.i18n import Translator
from bot.line import render
from bot.line.handlers import COMMANDS
from bot.line.webhook import LINE_FACE
from storage.models import Base, PlatformIdentity
from tests.conftest import settings_data
from tests.line.conftest import LineWorld
from tests.line.test_events import new_event
from tests.line.test_votes import open_vote
from tests.line.test_webhook import register_on_line
from tests.line.webhook_events import (
    Json,
    every_event,
    group_source,
    join,
    line_id,
    postback,
    room_source,
    text_message,
    user_source,
)
from tests.services.test_events import staff
from tests.services.test_projects import DRAFT

HANAKO = line_id("U", "hanako")
GROUP = line_id("C", "ama-friends")
ROOM = line_id("R", "ama-room")
BASIC_ID = "@123abcde"


def source_of(kind: str, user_id: str | None = HANAKO) -> Json:
    return group_source(GROUP, user_id) if kind == "group" else room_source(ROOM, user_id)


async def snapshot(line: LineWorld) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the webhook event ids claimed (which record that an event came)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with line.hub.db.transaction() as s:
        for table in Base.metadata.sorted_tables:
            if table.name == "processed_webhook_events":
                continue
            result = await s.execute(select(table))
            rows[table.name] = sorted((tuple(map(repr, r)) for r in result.all()), key=repr)
    return rows


async def following(line: LineWorld, who: Identity) -> bool:
    async with line.hub.db.transaction() as s:
        active = await s.scalar(
            select(PlatformIdentity.active).where(
                PlatformIdentity.community_id == who.community_id,
                PlatformIdentity.external_id == who.external_id,
            )
        )
    assert active is not None
    return bool(active)


async def with_basic_id(line: LineWorld, basic_id: str | None) -> None:
    data = settings_data(line.hub.settings.database.url)
    data["line"]["api_base"] = line.api.base_url
    if basic_id is not None:
        data["communities"][0]["line"]["basic_id"] = basic_id
    await line.hub.reconfigure(settings_from_mapping(data, env={}))


def every_command_text(tr: Translator) -> list[str]:
    """Every word that calls a command in either language, and the texts read as commands with an argument
    (thanks, weight, statement, check-in, a link code) or as nothing (chatter)."""
    words = sorted({w for c in COMMANDS for w in render.command_words(tr, c)})
    return [
        *words,
        *render.command_words(tr, "checkin"),
        "ありがとう No.2 港の掃除",
        "thanks No.2 for the harbour",
        "重み 1",
        "活動証明 2026",
        "チェックイン ABC234",
        "ABC234",
        "ABCD-EFGH",
        "はなこ",
        "こんにちは",
    ]


async def the_members_things(line: LineWorld) -> dict[str, str]:
    """An event, a vote, a subcommittee and a project: what the postbacks below would act on one-to-one."""
    event = await new_event(line)
    vote = await open_vote(line)
    ref = line.hub.communities.by_key("ama")
    assert ref is not None
    new = await line.hub.subcommittees.check_new(ref.id, "食の分科会", "島の食", "食")
    sub = await line.hub.subcommittees.create(new, staff(line.hub))
    project = await line.hub.projects.create(ref.id, staff(line.hub), replace(DRAFT), is_staff=True)
    return {"e": str(event.id), "v": str(vote.id), "s": str(sub.id), "p": str(project.id)}


def postback_data_for(action: str, ids: dict[str, str]) -> str:
    """A button of ``action`` as the hub's own messages would carry it, aimed at ``ids``."""
    params = {
        "answer": {"step": "consent", "value": "agree"},
        "edit": {"field": "display_name"},
        "rsvp": {"e": ids["e"], "c": "going"},
        "event_news": {"on": "1"},
        "calendar": {"e": ids["e"]},
        "ballot": {"v": ids["v"], "o": "1"},
        "vote_news": {"on": "1"},
        "weight": {"v": ids["v"]},
        "sub_join": {"s": ids["s"]},
        "sub_leave": {"s": ids["s"]},
        "project_apply": {"p": ids["p"]},
        "project_news": {"on": "1"},
        "privacy_toggle": {"f": "residence"},
        "consent": {"v": "1", "n": "2026-04"},
    }.get(action, {})
    return render.postback_data(action, **params)


# --- groups and rooms ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["group", "room"])
async def test_a_members_commands_and_buttons_in_a_group_or_room_get_nothing_and_change_nothing(
    line: LineWorld, kind: str
) -> None:
    line.api.profiles[HANAKO] = {"displayName": "Hanako", "language": "ja"}
    await register_on_line(line, HANAKO, name="浜田はなこ")
    ids = await the_members_things(line)
    conversation = line.app[LINE_FACE].conversations["ama"]
    actions = sorted(conversation.postback_actions())
    # Every postback action the hub's handlers answer is here (so a new one cannot slip past this test).
    assert {"ballot", "rsvp", "leave_confirm", "privacy_toggle", "consent", "mydata"} <= set(actions)
    before_requests = len(line.api.requests)
    before = await snapshot(line)

    texts = every_command_text(line.hub.tr)
    for text in texts:
        assert await line.post([text_message(source_of(kind), text)]) == 200
    for action in actions:
        assert await line.post([postback(source_of(kind), postback_data_for(action, ids))]) == 200

    assert line.api.requests[before_requests:] == []  # no reply, no push, no profile lookup
    assert await snapshot(line) == before  # no ballot, answer, leave, code, conversation or setting
    assert len(texts) > 60 and len(actions) > 40


@pytest.mark.parametrize("kind", ["group", "room"])
async def test_the_same_words_one_to_one_do_answer(line: LineWorld, kind: str) -> None:
    """The check above is not empty: one-to-one, the same member's 「プロフィール」 shows the profile."""
    line.api.profiles[HANAKO] = {"displayName": "Hanako", "language": "ja"}
    await register_on_line(line, HANAKO, name="浜田はなこ")
    before = len(line.api.requests)
    await line.post([text_message(source_of(kind), "プロフィール")])
    assert line.api.requests[before:] == []
    await line.post([text_message(user_source(HANAKO), "プロフィール")])
    (reply,) = line.api.requests[before:]
    assert reply.path == "/v2/bot/message/reply" and "浜田はなこ" in str(reply.body)


async def test_the_account_greets_a_group_once_with_how_to_add_it(line: LineWorld) -> None:
    await with_basic_id(line, BASIC_ID)
    invited = join(group_source(GROUP))
    assert await line.post([invited]) == 200
    (greeting,) = line.api.replies()
    (text,) = greeting.texts
    assert "海士町オフィシャルアンバサダー の公式アカウントです" in text
    assert "1対1のトークでだけ" in text and "どなたの情報も表示しません" in text
    assert "https://line.me/R/ti/p/%40123abcde" in text
    assert greeting.messages[0].get("quickReply") is None  # no commands offered in the group
    # LINE sends the same join again (a redelivery): still one greeting.
    again = {**invited, "deliveryContext": {"isRedelivery": True}}
    assert await line.post([again]) == 200
    assert len(line.api.replies()) == 1


async def test_without_a_line_id_the_greeting_says_to_search_for_the_account(line: LineWorld) -> None:
    await with_basic_id(line, None)
    await line.post([join(room_source(ROOM))])
    (text,) = line.api.replies()[-1].texts
    assert "LINEで「海士町オフィシャルアンバサダー」を検索して友だち追加" in text
    assert "line.me" not in text


async def test_members_joining_and_leaving_a_group_and_the_account_leaving_are_quiet(line: LineWorld) -> None:
    events = every_event(group_source(GROUP))
    for name in ("memberJoined", "memberLeft", "leave"):
        assert await line.post([events[name]]) == 200
    assert line.api.requests == []


@pytest.mark.parametrize("basic_id", ["@AMA-Town", "ama.town", " @123abcde "])
def test_the_line_id_is_read_as_line_writes_it(basic_id: str) -> None:
    data = settings_data("sqlite+aiosqlite:///x.sqlite3")
    data["communities"][0]["line"]["basic_id"] = basic_id
    line = settings_from_mapping(data, env={}).communities[0].line
    assert line is not None and line.basic_id == "@" + basic_id.strip().lower().lstrip("@")


@pytest.mark.parametrize("basic_id", ["@", "@海士町", "@ama town", "@" + "a" * 33])
def test_a_line_id_that_cannot_be_one_is_refused_in_config(basic_id: str) -> None:
    data = settings_data("sqlite+aiosqlite:///x.sqlite3")
    data["communities"][0]["line"]["basic_id"] = basic_id
    with pytest.raises(ConfigError, match="basic_id"):
        settings_from_mapping(data, env={})


# --- every event, every source, both modes ------------------------------------------------------------------
# What a one-to-one chat in active mode answers (an unregistered person); everything else answers nothing.
ANSWERED_ONE_TO_ONE = {
    "message/text",
    "message/text with emojis",
    "message/text with a mention",
    "message/text quoting",
    "message/image",  # the first of a set of two
    "message/video",
    "message/audio",
    "message/file",
    "message/location",
    "message/sticker",
    "message/message sticker",
    "follow",
    "follow (unblocked)",
    "postback (date picker)",  # buttons the hub does not send: the help
    "postback (time picker)",
    "postback (datetime picker)",
}


@pytest.mark.parametrize("mode", ["active", "standby"])
@pytest.mark.parametrize("kind", ["user", "group", "room", "group without a user", "room without a user"])
async def test_every_event_line_sends_is_accepted_and_answered_only_where_due(
    line: LineWorld, caplog: pytest.LogCaptureFixture, kind: str, mode: Any
) -> None:
    caplog.set_level(logging.INFO)
    names = list(every_event(user_source(HANAKO)))
    for n, name in enumerate(names):
        user = line_id("U", f"{kind}-{mode}-{n}")  # a new person each time: no conversation carries over
        if kind == "user":
            source = user_source(user)
        else:
            source = source_of(kind.split()[0], None if "without" in kind else user)
        event = every_event(source, mode)[name]
        replies_before = len(line.api.replies())
        assert await line.post([event]) == 200, name
        replied = len(line.api.replies()) - replies_before
        due = name in ANSWERED_ONE_TO_ONE if kind == "user" else name == "join"
        assert replied == (1 if due and mode == "active" else 0), name
    assert line.api.pushes() == [] and line.api.multicasts() == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert len(names) >= 35


async def test_a_sticker_or_photo_one_to_one_gets_the_help_once_not_an_error(line: LineWorld) -> None:
    user = line_id("U", "photos")
    events = every_event(user_source(user))
    first = events["message/image"]
    second = {**first, "webhookEventId": first["webhookEventId"][:-1] + "Z"}
    second_of_set = {**first["message"]["imageSet"], "index": 2}
    second["message"] = {**first["message"], "id": "9", "imageSet": second_of_set}
    second["replyToken"] = "rt-second-photo"
    assert await line.post([first, second]) == 200
    (reply,) = line.api.replies()
    assert "スタンプや写真などをありがとうございます" in reply.texts[0]
    assert "「登録」と送ると" in reply.texts[0]  # the help for someone not registered yet
    await line.post([events["message/message sticker"]])  # a message sticker saying 「登録」 is not a command
    sticker = line.api.replies()[-1].texts[0]
    assert "スタンプや写真" in sticker and "あなたについて" not in sticker


async def test_standby_keeps_who_follows_but_says_nothing(line: LineWorld) -> None:
    line.api.profiles[HANAKO] = {"displayName": "Hanako", "language": "ja"}
    await register_on_line(line, HANAKO)
    ref = line.hub.communities.by_key("ama")
    assert ref is not None
    who = Identity(ref.id, "line", HANAKO)
    requests = len(line.api.requests)
    events = every_event(user_source(HANAKO), "standby")
    await line.post([events["unfollow"]])
    assert await following(line, who) is False  # not reachable on LINE now
    await line.post([events["follow"]])
    assert await following(line, who) is True
    await line.post([events["message/text"], events["postback (date picker)"]])
    assert line.api.requests[requests:] == []


def test_every_button_the_hub_sends_is_an_action_the_group_test_covers(line: LineWorld) -> None:
    """Each ``postback_data("…")`` the LINE face writes names an action in ``postback_actions()``: the group
    test above goes through all of them, so a button added later is covered too."""
    root = Path(__file__).resolve().parents[2] / "bot" / "line"
    sent = {
        m.group(1)
        for path in root.glob("*.py")
        for m in re.finditer(r'postback_data\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    understood = line.app[LINE_FACE].conversations["ama"].postback_actions()
    assert len(sent) > 20 and sent <= understood, sorted(sent - understood)
