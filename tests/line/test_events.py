"""Events on LINE over real HTTP: the list, RSVP buttons, event news cards, check-in codes, calendars."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from icalendar import Calendar

from bot.clock import ManualClock
from bot.community.ambassadors import ProfileChanges
from bot.community.events import EventDraft, EventView
from bot.community.identity import Identity
from bot.config import settings_from_mapping
from bot.line.client import LineClient
from bot.line.render import text
from bot.line.standin import postback_event, text_event
from bot.line.webhook import LINE_FACE
from tests.conftest import settings_data
from tests.line.conftest import LineWorld
from tests.line.test_webhook import register_on_line, who
from tests.services.test_ambassadors import register as register_directly

TITLE = "島の食卓を囲む会"
WHEN_JA = "2026年12月5日(土) 19:00〜21:00（日本時間）"
MENU = [
    "貢献を記録",
    "イベント",
    "投票",
    "分科会",
    "プロジェクト",
    "貢献記録",
    "ランキング",
    "関わりの段階",
    "プロフィール",
    "Discord連携",
    "ヘルプ",
]


# --- helpers ----------------------------------------------------------------------------------------------
def community(line: LineWorld, key: str = "ama") -> int:
    return who(line, "-", key).community_id


async def configure(line: LineWorld, *, budget: int | None = 200, public_url: str | None = None) -> None:
    data = settings_data(line.hub.settings.database.url)
    data["line"]["api_base"] = line.api.base_url
    if public_url:
        data["line"]["public_url"] = public_url
    data["communities"][0]["line"]["monthly_push_budget"] = budget
    await line.hub.reconfigure(settings_from_mapping(data, env={}))


async def new_event(
    line: LineWorld, title: str = TITLE, start: str = "2026-12-05 19:00", key: str = "ama", **fields: Any
) -> EventView:
    cid = community(line, key)
    draft = EventDraft(title=title, start=start, **fields)
    return (await line.hub.events.create(cid, Identity(cid, "discord", "staff"), draft)).event


def rsvp(user: str, event_id: int | str, choice: str) -> dict[str, Any]:
    return postback_event(user, f"action=rsvp&e={event_id}&c={choice}")


async def answers(line: LineWorld, event: EventView) -> list[tuple[int, str]]:
    rows = await line.hub.events.attendance(event.community_id, event.id)
    return [(r.member_number, r.status) for r in rows]


def flex_texts(node: Any) -> list[str]:
    """Every text component of a Flex message, in order."""
    if isinstance(node, list):
        return [t for item in node for t in flex_texts(item)]
    if not isinstance(node, dict):
        return []
    found = [str(node["text"])] if node.get("type") == "text" else []
    return found + [t for key, value in node.items() if key != "action" for t in flex_texts(value)]


def flex_actions(node: Any) -> list[dict[str, Any]]:
    """Every action of a Flex message's components (buttons, linked texts), in order."""
    if isinstance(node, list):
        return [a for item in node for a in flex_actions(item)]
    if not isinstance(node, dict):
        return []
    found = [node["action"]] if isinstance(node.get("action"), dict) else []
    return found + [a for key, value in node.items() if key != "action" for a in flex_actions(value)]


def bubbles(message: dict[str, Any]) -> list[dict[str, Any]]:
    assert message["type"] == "flex"
    contents = message["contents"]
    return list(contents["contents"]) if contents["type"] == "carousel" else [contents]


def quick_labels(message: dict[str, Any]) -> list[str]:
    return [i["action"]["label"] for i in message.get("quickReply", {}).get("items", [])]


def rsvp_buttons(bubble: dict[str, Any]) -> list[str]:
    return [a["data"] for a in flex_actions(bubble) if a["type"] == "postback" and "rsvp" in a["data"]]


def url_in(reply: str) -> str:
    match = re.search(r"http://\S+\.ics", reply)
    assert match is not None, reply
    return match[0]


@dataclass
class Board:
    """Stands where the Discord face's announcements would be told to refresh an event's public post."""

    refreshed: list[tuple[int, int]] = field(default_factory=list)

    async def refresh_event(self, community_id: int, event_id: int) -> None:
        self.refreshed.append((community_id, event_id))


# --- RSVP -------------------------------------------------------------------------------------------------
async def test_each_answer_is_confirmed_in_the_members_language(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    event = await new_event(line)
    await line.post([rsvp("U1", event.id, "going")])
    assert line.last_reply() == [f"「{TITLE}」に参加で受け付けました。\n{WHEN_JA}"]
    assert "イベント" in line.last_quick_labels()
    assert await answers(line, event) == [(1, "going")]
    await line.post([rsvp("U1", event.id, "maybe")])
    assert line.last_reply() == [
        f"「{TITLE}」を検討中で受け付けました。決まったら「参加」か「不参加」を押してください。"
    ]
    assert await answers(line, event) == [(1, "maybe")]
    await line.post([rsvp("U1", event.id, "declined")])
    assert line.last_reply() == [f"「{TITLE}」を不参加で受け付けました。ご連絡ありがとうございます。"]
    assert await answers(line, event) == [(1, "declined")]
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.post([rsvp("U2", event.id, "going")])
    assert line.last_reply() == [f'You are going to "{TITLE}".\nSat 5 Dec 2026, 19:00–21:00 (Japan time)']
    assert await answers(line, event) == [(2, "going"), (1, "declined")]
    assert line.api.pushes() == []  # every answer was said in a free reply


async def test_a_double_tap_is_one_answer(line: LineWorld) -> None:
    board = Board()
    line.hub.notifier.attach_board(board)
    await register_on_line(line, "U1")
    event = await new_event(line)
    await line.post([rsvp("U1", event.id, "going")])
    await line.post([rsvp("U1", event.id, "going")])
    assert line.last_reply() == [f"「{TITLE}」はすでに「参加」で受け付けています。"]
    assert await answers(line, event) == [(1, "going")]
    assert await line.hub.reminders.counts(event.community_id, event.id) == {"pending": 2}  # 24 h and 1 h
    assert board.refreshed == [(event.community_id, event.id)]  # the public post refreshed once


async def test_a_full_event_has_a_waiting_list_and_a_freed_seat_goes_to_the_first_waiting(
    line: LineWorld,
) -> None:
    board = Board()
    line.hub.notifier.attach_board(board)
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", "たろう")
    event = await new_event(line, capacity=1)
    await line.post([rsvp("U1", event.id, "going")])
    await line.post([rsvp("U2", event.id, "going")])
    assert line.last_reply() == [
        f"「{TITLE}」は満席のため、キャンセル待ち（1番目）で受け付けました。空きが出たらお知らせします。"
    ]
    await line.post([rsvp("U2", event.id, "going")])
    assert line.last_reply() == [f"「{TITLE}」はすでにキャンセル待ち（1番目）で受け付けています。"]
    assert await answers(line, event) == [(1, "going"), (2, "waitlist")]
    assert line.api.pushes() == []
    await line.post([rsvp("U1", event.id, "declined")])
    assert line.last_reply() == [f"「{TITLE}」を不参加で受け付けました。ご連絡ありがとうございます。"]
    assert await answers(line, event) == [(2, "going"), (1, "declined")]
    [push] = line.api.pushes()
    assert push.body is not None and push.body["to"] == "U2"
    assert push.texts == [
        f"キャンセル待ちから繰り上がり、イベント「{TITLE}」（{WHEN_JA}）に参加できることになりました。"
        "ご都合が悪くなったら「不参加」を押してください。"
    ]
    assert await line.hub.notifier.budget.used(event.community_id) == 1
    assert board.refreshed == [(event.community_id, event.id)] * 3  # going, waiting, declined


async def test_one_member_on_discord_and_line_has_one_answer_and_the_latest_wins(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    on_discord = Identity(community(line), "discord", "321")
    code = (await line.hub.links.issue(who(line, "U1"))).code
    await line.hub.links.redeem(on_discord, code)
    event = await new_event(line)
    await line.post([rsvp("U1", event.id, "going")])
    result = await line.hub.rsvps.answer(on_discord, event.id, "maybe")  # as the Discord button does
    assert (result.previous, result.status, result.changed) == ("going", "maybe", True)
    assert await answers(line, event) == [(1, "maybe")]
    await line.post([rsvp("U1", event.id, "going")])
    assert line.last_reply()[0].startswith(f"「{TITLE}」に参加で受け付けました。")
    assert await answers(line, event) == [(1, "going")]
    again = await line.hub.rsvps.answer(on_discord, event.id, "going")
    assert not again.changed
    await line.post([text_event("U1", "イベント")])
    [card] = bubbles(line.api.replies()[-1].messages[0])
    assert "あなたの回答：参加" in flex_texts(card)


async def test_forged_postbacks_get_a_clear_answer_and_change_nothing(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    mine = await new_event(line)
    theirs = await new_event(line, "丹波山の山歩き", key="tabayama")
    bad_button = "そのボタンは読み取れませんでした。「イベント」と送ると最新のイベント一覧を表示します。"
    cases = {
        "action=rsvp&e=abc&c=going": bad_button,
        "action=rsvp&c=going": bad_button,
        "action=rsvp&e=１&c=going": bad_button,  # full-width digits are not ours
        "action=rsvp&e=99999999999999999999&c=going": bad_button,  # would not fit the database
        "action=rsvp&e=99999&c=going": "イベント #99999 は見つかりませんでした。",
        f"action=rsvp&e={theirs.id}&c=going": f"イベント #{theirs.id} は見つかりませんでした。",
        f"action=rsvp&e={mine.id}&c=yes": "参加・検討中・不参加のどれかを選んでください。",
        f"action=rsvp&e={mine.id}": "参加・検討中・不参加のどれかを選んでください。",
        "action=event_news&on=yes": bad_button,
        "action=calendar&e=x": bad_button,
    }
    for data, reply in cases.items():
        await line.post([postback_event("U1", data)])
        assert line.last_reply() == [reply], data
    await line.post([postback_event("U1", "a=1&b=2&c=3&d=4&e=5&action=rsvp")])  # more fields than ours
    assert "使えることば" in line.last_reply()[0]
    await line.post([rsvp("U9", mine.id, "going")])  # not a member
    assert line.last_reply() == ["参加表明にはアンバサダー登録が必要です。先に登録してください。"]
    assert await answers(line, mine) == []
    assert await answers(line, theirs) == []
    assert await line.hub.reminders.counts(mine.community_id, mine.id) == {}
    assert not await line.hub.events.event_news(who(line, "U1"))


async def test_answers_close_when_the_event_starts_ends_or_is_cancelled(
    line: LineWorld, clock: ManualClock
) -> None:
    await register_on_line(line, "U1")
    soon = await new_event(line, "朝市の手伝い", start="2026-11-22 11:00")  # in an hour, for two hours
    called_off = await new_event(line)
    staff = Identity(called_off.community_id, "discord", "staff")
    await line.hub.events.cancel(called_off.community_id, called_off.id, staff, "台風のため")
    await line.post([rsvp("U1", called_off.id, "going")])
    assert line.last_reply() == ["このイベントは中止になりました。"]
    assert await answers(line, called_off) == []
    await line.post([rsvp("U1", soon.id, "maybe")])
    clock.advance(timedelta(minutes=90))
    await line.post([rsvp("U1", soon.id, "going")])
    assert line.last_reply() == ["このイベントはすでに始まっているため、参加表明の受付を終了しました。"]
    await line.post([text_event("U1", "イベント")])
    [card] = bubbles(line.api.replies()[-1].messages[0])  # the cancelled one is not listed
    assert rsvp_buttons(card) == []
    assert "開催中です。会場のコードを送るとチェックインできます。" in flex_texts(card)
    assert "あなたの回答：検討中" in flex_texts(card)
    clock.advance(timedelta(hours=3))
    await line.post([rsvp("U1", soon.id, "declined")])
    assert line.last_reply() == ["このイベントはすでに終了しています。"]
    assert await answers(line, soon) == [(1, "maybe")]


# --- the list ---------------------------------------------------------------------------------------------
async def test_the_events_list_shows_whats_coming_with_the_members_answers(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    first = await new_event(line, capacity=10, place="海士町中央公民館")
    second = await new_event(
        line, "オンライン交流会", start="2026-12-12 20:00", end="21:00", online_url="https://example.jp/meet"
    )
    await new_event(line, "丹波山の山歩き", key="tabayama")  # another community's: never listed
    await line.post([rsvp("U1", first.id, "going")])
    await line.post([text_event("U1", "イベント")])
    message = line.api.replies()[-1].messages[0]
    assert message["altText"] == "これからのイベント（2件）"
    one, two = bubbles(message)
    assert flex_texts(one) == [
        "海士町オフィシャルアンバサダー",
        TITLE,
        f"🗓 {WHEN_JA}",
        "📍 海士町中央公民館",
        "残り9席（定員10人）",
        "あなたの回答：参加",
    ]
    assert rsvp_buttons(one) == [f"action=rsvp&e={first.id}&c={c}" for c in ("going", "maybe", "declined")]
    styles = [b["style"] for b in one["footer"]["contents"][0]["contents"]]
    assert styles == ["primary", "secondary", "secondary"]  # the member's own answer stands out
    assert flex_texts(two)[1:] == [
        "オンライン交流会",
        "🗓 2026年12月12日(土) 20:00〜21:00（日本時間）",
        "💻 オンライン：https://example.jp/meet",
        "参加予定 0人",
        "あなたの回答：未回答",
    ]
    assert [a["uri"] for a in flex_actions(two) if a["type"] == "uri"] == ["https://example.jp/meet"]
    assert rsvp_buttons(two) == [f"action=rsvp&e={second.id}&c={c}" for c in ("going", "maybe", "declined")]
    assert [a for a in flex_actions(message) if a["type"] == "uri" and "/calendar/" in a["uri"]] == []
    assert quick_labels(message) == ["イベント通知をオン", *MENU]  # no public URL: no calendar
    await line.post([postback_event("U1", "action=events")])  # the rich menu
    assert bubbles(line.api.replies()[-1].messages[0]) == [one, two]


async def test_times_are_shown_in_the_members_zone_and_language(line: LineWorld) -> None:
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.hub.ambassadors.update_profile(who(line, "U2"), ProfileChanges(timezone="Europe/Paris"))
    event = await new_event(line, capacity=1)
    await register_on_line(line, "U1")
    await line.post([rsvp("U1", event.id, "going")])
    await line.post([text_event("U2", "events")])
    message = line.api.replies()[-1].messages[0]
    assert message["altText"] == "Upcoming events (1)"
    [card] = bubbles(message)
    texts = flex_texts(card)
    assert "🗓 Sat 5 Dec 2026, 11:00–13:00 (Europe/Paris)" in texts
    assert "Full (capacity 1); waiting list: 0" in texts and "Your answer: No answer" in texts
    labels = [a["label"] for a in flex_actions(card) if a["type"] == "postback"]
    assert labels == ["Going", "Maybe", "Not going"]
    await line.post([rsvp("U2", event.id, "going")])
    assert line.last_reply() == [
        f'"{TITLE}" is full, so you are on the waiting list (number 1). We will tell you if a place opens up.'
    ]


async def test_an_empty_list_says_so_and_offers_event_news(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "イベント一覧")])
    assert line.last_reply() == [
        "いま予定されているイベントはありません。\n"
        "新しいイベントのお知らせをLINEで受け取るには「イベント通知オン」と送ってください。"
    ]
    assert line.last_quick_labels()[0] == "イベント通知をオン"
    await line.post([postback_event("U1", "action=event_news&on=1")])  # the quick reply
    await line.post([text_event("U1", "イベント")])
    assert line.last_reply() == ["いま予定されているイベントはありません。"]
    assert line.last_quick_labels()[0] == "イベント通知をオフ"
    await line.post([text_event("U9", "イベント")])  # not registered
    assert line.last_reply() == ["まだアンバサダー登録がありません。先に登録してください。"]


async def test_help_mentions_events(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "ヘルプ")])
    assert "・イベント：これからのイベントと参加表明" in line.last_reply()[0]
    assert "・チェックイン ABC234：会場のコードでチェックイン" in line.last_reply()[0]
    assert line.last_quick_labels() == MENU


# --- event news: cards offered to those who opted in ------------------------------------------------------
async def test_event_news_cards_go_to_those_who_opted_in_within_the_budget(line: LineWorld) -> None:
    await configure(line, budget=1)
    for user in ("U1", "U2", "U3"):
        await register_on_line(line, user)
    await line.post([text_event("U1", "イベント通知オン")])
    assert line.last_reply() == [
        "新しいイベントのお知らせをLINEでお届けします。止めるときは「イベント通知オフ」と送ってください。"
    ]
    await line.post([postback_event("U2", "action=event_news&on=1")])
    event = await new_event(line)
    report = await line.hub.offers.offer_event(event)
    assert (report.sent, report.over_budget, report.failed) == (1, 1, 0)
    [multicast] = line.api.multicasts()
    assert multicast.body is not None and multicast.body["to"] == ["U1"]  # the first member; U3 never asked
    assert multicast.headers["X-Line-Retry-Key"]
    [card] = multicast.messages
    assert card["altText"] == f"新しいイベント：{TITLE}（{WHEN_JA}）"
    [bubble] = bubbles(card)
    assert flex_texts(bubble)[:4] == [
        "海士町オフィシャルアンバサダー",
        "新しいイベントのお知らせ",
        TITLE,
        f"🗓 {WHEN_JA}",
    ]
    assert rsvp_buttons(bubble) == [f"action=rsvp&e={event.id}&c={c}" for c in ("going", "maybe", "declined")]
    assert quick_labels(card) == ["イベント", "イベント通知をオフ"]
    assert await line.hub.notifier.budget.used(event.community_id) == 1
    again = await line.hub.offers.offer_event(event)
    assert (again.sent, again.over_budget) == (0, 1)
    assert len(line.api.multicasts()) == 1  # nobody gets the card twice, and the budget holds
    # The card's button answers like any other.
    await line.post([rsvp("U1", event.id, "going")])
    assert await answers(line, event) == [(1, "going")]
    await line.post([text_event("U1", "イベント通知オフ")])
    assert line.last_reply()[0].startswith("新しいイベントのお知らせを止めました。")
    assert not await line.hub.events.event_news(who(line, "U1"))


async def test_one_card_per_language_and_nothing_twice(line: LineWorld) -> None:
    await configure(line, budget=None)  # an account without a cap
    await register_on_line(line, "U1")
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await register_on_line(line, "U3", "じろう")
    await line.post([text_event("U1", "イベント通知オン")])
    await line.post([text_event("U2", "event news on")])
    assert line.last_reply()[0].startswith("You will get new events here on LINE.")
    await line.post([text_event("U3", "イベント通知オン")])
    await line.post([postback_event("U3", "action=event_news&on=0")])  # changed their mind
    event = await new_event(line)
    report = await line.hub.offers.offer_event(event)
    assert (report.sent, report.over_budget, report.failed) == (2, 0, 0)
    by_recipient = {tuple(m.body["to"]): m.messages[0]["altText"] for m in line.api.multicasts() if m.body}
    assert by_recipient == {
        ("U1",): f"新しいイベント：{TITLE}（{WHEN_JA}）",
        ("U2",): f"New event: {TITLE} (Sat 5 Dec 2026, 19:00–21:00 (Japan time))",
    }
    assert (await line.hub.offers.offer_event(event)).wanted == 0
    assert len(line.api.multicasts()) == 2


async def test_a_multicast_is_retried_with_its_retry_key_and_delivered_once(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "イベント通知オン")])
    cid = community(line)
    line.app[LINE_FACE].clients_by_community[cid].backoff = 0
    line.api.multicast_failures.append(500)
    event = await new_event(line)
    report = await line.hub.offers.offer_event(event)
    assert (report.sent, report.failed) == (1, 0)
    first, second = line.api.multicasts()
    assert first.headers["X-Line-Retry-Key"] == second.headers["X-Line-Retry-Key"]
    assert (await line.hub.offers.offer_event(event)).wanted == 0
    assert len(line.api.multicasts()) == 2
    assert await line.hub.notifier.budget.used(cid) == 1


async def test_a_refused_multicast_gives_the_budget_back_and_can_be_offered_again(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "イベント通知オン")])
    cid = community(line)
    line.api.multicast_failures.append(400)
    event = await new_event(line)
    report = await line.hub.offers.offer_event(event)
    assert (report.sent, report.failed) == (0, 1)
    assert await line.hub.notifier.budget.used(cid) == 0
    assert (await line.hub.offers.offer_event(event)).sent == 1
    assert [m.body["to"] for m in line.api.multicasts() if m.body] == [["U1"], ["U1"]]


async def test_the_client_multicast_keeps_its_retry_key_and_counts_409_as_sent(line: LineWorld) -> None:
    client = LineClient("ama-line-token", line.api.base_url, timeout=5, backoff=0)
    try:
        key = "5d2a9e0c-7b1f-4c3e-8f6a-2e4b9d1c0a37"  # LINE takes a UUID as the retry key
        line.api.multicast_failures.extend([429])
        assert await client.multicast(["U1", "U2"], [text("hello")], retry_key=key)
        assert [m.headers["X-Line-Retry-Key"] for m in line.api.multicasts()] == [key, key]
        assert await client.multicast(["U1", "U2"], [text("hello")], retry_key=key)  # 409: already sent
        line.api.multicast_failures.extend([400])
        assert not await client.multicast(["U1"], [text("hello")])
        for wrong in ([], [f"U{i}" for i in range(501)]):
            try:
                await client.multicast(wrong, [text("hello")])
            except ValueError:
                continue
            raise AssertionError(f"{len(wrong)} recipients were accepted")
        assert len(line.api.multicasts()) == 4
    finally:
        await client.close()


# --- check-in ---------------------------------------------------------------------------------------------
async def test_checking_in_with_the_venue_code_earns_points(line: LineWorld, clock: ManualClock) -> None:
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", "たろう")
    event = await new_event(line, "朝市の手伝い", start="2026-11-22 11:00")  # check-in opens 2 h before
    code = event.checkin_code
    await line.post([text_event("U1", f"チェックイン {code}")])
    assert line.last_reply() == [
        "「朝市の手伝い」にチェックインしました。ようこそ！\n"
        "地域活動への参加：+5ポイント\n累計 5ポイントになりました。\n\n"
        "おめでとうございます！ 関わりの段階が「関わる」（段階2）に上がりました。"
    ]
    assert line.api.pushes() == []  # the promotion was said in the free reply
    assert await line.hub.contributions.points(who(line, "U1")) == 5
    [entry] = await line.hub.contributions.history(who(line, "U1"))
    assert (entry.category, entry.status, entry.points) == ("local_activity", "approved", 5)
    await line.post([text_event("U1", f"{code[:3].lower()}-{code[3:]}")])  # the code alone, typed loosely
    assert line.last_reply() == ["「朝市の手伝い」にはすでにチェックイン済みです。"]
    assert await line.hub.contributions.points(who(line, "U1")) == 5
    await line.post([text_event("U2", "チェックイン IOI101")])  # a code no event can have
    assert line.last_reply() == [
        "そのチェックインコードは見つかりませんでした。会場に表示されているコード（例：ABC234）を確認してください。"
    ]
    await line.post([text_event("U2", "チェックイン")])
    assert line.last_reply()[0].startswith("会場に表示されているチェックインコードを続けて送ってください。")
    later = await new_event(line)
    await line.post([text_event("U2", later.checkin_code)])
    assert line.last_reply() == ["このイベントのチェックインはまだ始まっていません。"]
    clock.advance(timedelta(hours=9, minutes=1))  # past the end (13:00) and six hours more
    await line.post([text_event("U2", f"check in {code}")])
    assert line.last_reply() == ["このイベントのチェックインは締め切りました。"]
    assert await line.hub.contributions.points(who(line, "U2")) == 0
    came = await line.hub.events.attendance(event.community_id, event.id)
    assert [(r.member_number, r.status, r.checked_in) for r in came] == [(1, "walk-in", True)]


async def test_link_codes_still_link_next_to_checkin_codes(line: LineWorld) -> None:
    on_discord = Identity(community(line), "discord", "321")
    await register_directly(line.hub, on_discord)
    code = (await line.hub.links.issue(on_discord)).code
    await line.post([text_event("U5", code)])  # a LINE account with no dialogue going on
    assert "連携しました" in line.last_reply()[0]
    assert (await line.hub.ambassadors.get(who(line, "U5"))).member_number == 1


# --- calendar ---------------------------------------------------------------------------------------------
async def test_calendar_links_serve_the_members_events_and_nothing_else(line: LineWorld) -> None:
    await configure(line, public_url=line.base_url)
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", "たろう")
    event = await new_event(line, place="海士町中央公民館")
    other = await new_event(line, "オンライン交流会", start="2026-12-12 20:00")
    await line.post([rsvp("U1", event.id, "going")])
    going_reply = line.last_reply()[0]
    assert (
        going_reply.startswith(f"「{TITLE}」に参加で受け付けました。") and "カレンダーに追加：" in going_reply
    )
    await line.post([text_event("U1", "カレンダー")])
    reply = line.last_reply()[0]
    assert reply.startswith("参加予定のイベント") and "あなた専用" in reply
    mine = url_in(reply)
    assert mine.startswith(f"{line.base_url}/calendar/ama/")
    async with line.http.get(mine) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
        body = await resp.text()
    assert "BEGIN:VEVENT" in body
    summaries = [str(c["SUMMARY"]) for c in Calendar.from_ical(body).walk("VEVENT")]
    assert summaries == [TITLE]  # only what the member answered
    # Each card in the list carries the member's own link to that one event.
    await line.post([text_event("U1", "イベント")])
    message = line.api.replies()[-1].messages[0]
    assert "カレンダー" in quick_labels(message)
    links = [a["uri"] for a in flex_actions(message) if a["type"] == "uri" and "/calendar/" in a["uri"]]
    assert len(links) == 2
    async with line.http.get(links[1]) as resp:
        one = Calendar.from_ical(await resp.text())
    [vevent] = one.walk("VEVENT")
    assert (str(vevent["SUMMARY"]), str(vevent["UID"])) == (
        "オンライン交流会",
        f"event-{other.id}@ama.kankei-hub",
    )
    # An altered token, another member's number or one event with this signature, another community: 404.
    folder, token = mine.removesuffix(".ics").rsplit("/", 1)
    member, whole, signature = token.split(".")
    assert (member, whole) == ("1", "0")
    altered = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for url in (
        f"{folder}/1.0.{altered}.ics",
        f"{folder}/2.0.{signature}.ics",  # U2 exists: only the signature stops this
        f"{folder}/1.{event.id}.{signature}.ics",
        f"{folder}/1.0.{signature}",
        mine.replace("/calendar/ama/", "/calendar/tabayama/"),
        mine.replace("/calendar/ama/", "/calendar/nowhere/"),
    ):
        async with line.http.get(url) as resp:
            assert resp.status == 404, url
    # Once the member has left, the link serves nothing.
    await line.post([postback_event("U1", "action=leave_confirm")])
    async with line.http.get(mine) as resp:
        assert resp.status == 404


async def test_the_offered_cards_calendar_button_replies_with_the_members_own_link(line: LineWorld) -> None:
    await configure(line, public_url=line.base_url)
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "イベント通知オン")])
    event = await new_event(line)
    await line.hub.offers.offer_event(event)
    [multicast] = line.api.multicasts()
    [button] = [a for a in flex_actions(multicast.messages[0]) if a.get("label") == "カレンダーに追加"]
    assert button["type"] == "postback"  # one card for many: it carries nobody's link
    await line.post([postback_event("U1", button["data"])])
    reply = line.last_reply()[0]
    assert reply.startswith(f"「{TITLE}」をカレンダーアプリに追加できます。")
    async with line.http.get(url_in(reply)) as resp:
        assert resp.status == 200
        assert f"SUMMARY:{TITLE}" in await resp.text()
    theirs = await new_event(line, "丹波山の山歩き", key="tabayama")
    await line.post([postback_event("U1", f"action=calendar&e={theirs.id}")])
    assert line.last_reply() == [f"イベント #{theirs.id} は見つかりませんでした。"]


async def test_without_a_public_url_there_are_no_calendar_links(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    event = await new_event(line)
    await line.post([rsvp("U1", event.id, "going")])
    assert "カレンダー" not in line.last_reply()[0]
    await line.post([text_event("U1", "カレンダー")])
    assert line.last_reply() == [
        "この公式アカウントでは、カレンダーへの追加はまだ使えません。日時は「イベント」と送って一覧でご確認ください。"
    ]


# --- reminders --------------------------------------------------------------------------------------------
async def test_a_line_answer_gets_its_reminder_by_push_once(line: LineWorld, clock: ManualClock) -> None:
    await register_on_line(line, "U1")
    event = await new_event(line, place="海士町中央公民館")
    await line.post([rsvp("U1", event.id, "going")])
    assert (await line.hub.reminder_sender.run_due()).sent == 0
    clock.advance(event.starts_at - timedelta(hours=24) - clock.now() + timedelta(minutes=1))
    run = await line.hub.reminder_sender.run_due()
    assert (run.sent, run.failed) == (1, 0)
    [push] = line.api.pushes()
    assert push.body is not None and push.body["to"] == "U1"
    assert push.texts == [
        f"⏰ リマインダー：「{TITLE}」\n{WHEN_JA}\n場所：海士町中央公民館\nお待ちしています！"
    ]
    assert (await line.hub.reminder_sender.run_due()).sent == 0
    assert len(line.api.pushes()) == 1
    assert await line.hub.reminders.counts(event.community_id, event.id) == {"sent": 1, "pending": 1}
