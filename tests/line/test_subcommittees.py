"""Subcommittees on LINE over real HTTP: the list, Join and Leave buttons, forged buttons, suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.community.identity import Identity
from bot.community.subcommittees import SubcommitteeView
from bot.line.standin import postback_event, text_event
from tests.line.conftest import LineWorld
from tests.line.test_events import MENU, bubbles, flex_actions, flex_texts, quick_labels
from tests.line.test_webhook import register_on_line, who
from tests.services.test_ambassadors import register as register_directly
from tests.services.test_events import staff
from tests.services.test_subcommittees import make

NOT_REGISTERED = "まだアンバサダー登録がありません。先に登録してください。"
BAD_BUTTON = "そのボタンは読み取れませんでした。「分科会」と送ると最新の一覧を表示します。"


def join(user: str, sub: SubcommitteeView | str) -> dict[str, Any]:
    return postback_event(user, f"action=sub_join&s={sub.id if isinstance(sub, SubcommitteeView) else sub}")


def leave(user: str, sub: SubcommitteeView | str) -> dict[str, Any]:
    return postback_event(user, f"action=sub_leave&s={sub.id if isinstance(sub, SubcommitteeView) else sub}")


async def mine(line: LineWorld, user: str) -> list[str]:
    return [s.name for s in await line.hub.subcommittees.mine(who(line, user))]


async def members(line: LineWorld, sub: SubcommitteeView) -> int:
    return (await line.hub.subcommittees.get(sub.community_id, sub.id)).members


def buttons(bubble: dict[str, Any]) -> list[str]:
    return [a["data"] for a in flex_actions(bubble) if a["type"] == "postback"]


def last_message(line: LineWorld) -> dict[str, Any]:
    return line.api.replies()[-1].messages[-1]


@dataclass
class DiscordSink:
    """Stands where the Discord face would give and take roles."""

    platform: Literal["discord"] = "discord"
    synced: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    async def sync_roles(
        self, community_id: int, external_id: str, add: tuple[int, ...], remove: tuple[int, ...]
    ) -> bool:
        self.synced.append((external_id, add, remove))
        return True

    async def send(
        self, community_id: int, external_id: str, text: str, retry_key: str | None = None
    ) -> bool:
        return True


# --- the list ---------------------------------------------------------------------------------------------
async def test_the_list_shows_open_subcommittees_with_the_members_own_first(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    food = await make(line.hub)
    school = await make(line.hub, "教育", "教育、学校")
    fishing = await make(line.hub, "釣り", "")
    tourism = await make(line.hub, "観光", "観光")
    await line.hub.subcommittees.archive(tourism.community_id, tourism.id, staff(line.hub))
    await make(line.hub, "よそ者", "食", key="tabayama")  # another community's: never shown here
    await line.hub.subcommittees.join(who(line, "U1"), school.id)

    await line.post([text_event("U1", "分科会")])
    message = last_message(line)
    assert message["altText"] == "分科会（3件）"
    cards = bubbles(message)
    assert [flex_texts(b)[1] for b in cards] == ["教育", "釣り", "食と農"]  # own first, then by name
    school_card, fishing_card, food_card = (flex_texts(b) for b in cards)
    assert school_card == [
        "海士町オフィシャルアンバサダー", "教育", "島の食を考える", "🏷 教育、学校", "👥 メンバー 1人",
        "✅ 参加しています",
    ]  # fmt: skip
    assert "🏷" not in " ".join(fishing_card)  # no tags, no tag line
    assert "✅ 参加しています" not in food_card and "🏷 食、農業、料理" in food_card
    assert [buttons(b) for b in cards] == [
        [f"action=sub_leave&s={school.id}"],
        [f"action=sub_join&s={fishing.id}"],
        [f"action=sub_join&s={food.id}"],
    ]
    assert quick_labels(message) == MENU

    # The menu's postback shows the same list; an English member reads it in English.
    await line.post([postback_event("U1", "action=subcommittees")])
    assert bubbles(last_message(line)) == cards
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.post([text_event("U2", "subcommittees")])
    english = bubbles(last_message(line))
    assert "👥 Members: 1" in flex_texts(english[0]) and "You are a member" not in str(flex_texts(english[0]))
    assert [a["label"] for a in flex_actions(english[0])] == ["Join"]


async def test_more_than_ten_are_shown_ten_at_a_time(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    made = [await make(line.hub, f"分科会{n:02d}", "") for n in range(12)]
    await line.post([text_event("U1", "分科会")])
    first = last_message(line)
    assert len(bubbles(first)) == 10 and quick_labels(first) == ["ほかの分科会", *MENU]
    more = first["quickReply"]["items"][0]["action"]["data"]
    assert more == "action=subcommittees&at=10"
    await line.post([postback_event("U1", more)])
    second = last_message(line)
    assert [flex_texts(b)[1] for b in bubbles(second)] == [s.name for s in made[10:]]
    assert quick_labels(second) == MENU
    await line.post([postback_event("U1", "action=subcommittees&at=ten")])
    assert line.last_reply() == [BAD_BUTTON]


async def test_no_open_subcommittee_is_said_plainly(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "分科会")])
    assert line.last_reply() == ["いま参加できる分科会はありません。"]
    assert line.last_quick_labels() == MENU


# --- joining and leaving ----------------------------------------------------------------------------------
async def test_join_and_leave_by_postback(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    food = await make(line.hub)
    await line.post([join("U1", food)])
    assert line.last_reply() == [
        "分科会「食と農」に参加しました（メンバー 1人）。分科会のイベントや投票にも参加できます。"
    ]
    assert line.last_quick_labels() == MENU
    assert await mine(line, "U1") == ["食と農"]
    await line.post([join("U1", food)])  # a second tap
    assert line.last_reply() == ["すでに分科会「食と農」のメンバーです。"]
    assert await members(line, food) == 1
    await line.post([text_event("U1", "分科会")])
    assert buttons(bubbles(last_message(line))[0]) == [f"action=sub_leave&s={food.id}"]

    await line.post([leave("U1", food)])
    assert line.last_reply() == [
        "分科会「食と農」から抜けました。また参加するときは「分科会」と送ってください。"
    ]
    assert await mine(line, "U1") == [] and await members(line, food) == 0
    await line.post([leave("U1", food)])
    assert line.last_reply() == ["分科会「食と農」のメンバーではありません。"]
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.post([join("U2", food)])
    assert line.last_reply()[0].startswith('You joined the subcommittee "食と農" (members: 1).')


async def test_a_linked_discord_account_gets_and_loses_the_subcommittee_role(line: LineWorld) -> None:
    sink = DiscordSink()
    line.hub.notifier.attach(sink)
    await register_on_line(line, "U1")
    code = (await line.hub.links.issue(who(line, "U1"))).code
    await line.hub.links.redeem(Identity(who(line, "U1").community_id, "discord", "4242"), code)
    food = await make(line.hub)  # its Discord role is 22
    await line.post([join("U1", food)])
    await line.post([join("U1", food)])  # already a member: nothing to give
    await line.post([leave("U1", food)])
    assert sink.synced == [("4242", (22,), ()), ("4242", (), (22,))]
    await register_on_line(line, "U2")  # LINE only: no Discord call
    await line.post([join("U2", food)])
    assert len(sink.synced) == 2 and await members(line, food) == 1


async def test_forged_or_odd_buttons_change_nothing(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    food = await make(line.hub)
    design = await make(line.hub, "デザイン部", "デザイン")
    await line.hub.subcommittees.archive(design.community_id, design.id, staff(line.hub))
    other = await make(line.hub, "丹波山の食", "食", key="tabayama")
    await line.post([join("U1", design)])
    assert line.last_reply() == ["分科会「デザイン部」はアーカイブされています。"]
    assert line.last_quick_labels() == MENU
    await line.post([join("U1", other)])  # another community's id
    assert line.last_reply() == ["その分科会は見つかりませんでした。"]
    await line.post([leave("U1", other)])
    assert line.last_reply() == ["その分科会は見つかりませんでした。"]
    for data in (
        "action=sub_join",
        "action=sub_join&s=",
        "action=sub_join&s=abc",
        "action=sub_join&s=-1",
        f"action=sub_join&s={food.id}.0",
        "action=sub_join&s=１",  # full-width digits
        "action=sub_join&s=99999999999",
        "action=sub_leave&s=x",
    ):
        await line.post([postback_event("U1", data)])
        assert line.last_reply() == [BAD_BUTTON], data
    assert await mine(line, "U1") == []
    assert [await members(line, s) for s in (food, design)] == [0, 0]
    assert (await line.hub.subcommittees.get(other.community_id, other.id)).members == 0


async def test_people_not_registered_are_told_to_register(line: LineWorld) -> None:
    food = await make(line.hub)
    line.api.profiles["U9"] = {"language": "ja"}
    for event in (text_event("U9", "分科会"), postback_event("U9", "action=subcommittees"), join("U9", food)):
        await line.post([event])
        assert line.last_reply() == [NOT_REGISTERED]
        assert line.last_quick_labels() == ["登録する", "ヘルプ"]
    assert await members(line, food) == 0


# --- suggestions ------------------------------------------------------------------------------------------
async def test_registration_ends_with_matching_subcommittees_to_join(line: LineWorld) -> None:
    food = await make(line.hub)  # tags 食、農業、料理
    school = await make(line.hub, "教育", "教育、学校")
    await make(line.hub, "釣り", "釣り")
    await register_on_line(line, "U1")  # interests 食、教育
    done = line.api.replies()[-1]
    assert [m["type"] for m in done.messages] == ["text", "flex", "flex"]
    card = done.messages[2]
    assert card["altText"] == "関心に合う分科会：教育、食と農"
    texts = flex_texts(card["contents"])
    assert texts[0] == "関心に合う分科会があります"
    assert "教育" in texts and "食と農" in texts and "釣り" not in texts
    assert buttons(card["contents"]) == [f"action=sub_join&s={school.id}", f"action=sub_join&s={food.id}"]
    assert quick_labels(card) == ["分科会の一覧", *MENU]
    await line.post([join("U1", school)])  # the card's button
    assert await mine(line, "U1") == ["教育"]


async def test_no_suggestion_without_a_match(line: LineWorld) -> None:
    await make(line.hub, "釣り", "釣り")
    await register_on_line(line, "U1")  # interests 食、教育
    done = line.api.replies()[-1]
    assert [m["type"] for m in done.messages] == ["text", "flex"]
    assert "会員番号は No. 1" in done.texts[0]


async def test_editing_interests_or_skills_suggests_again(line: LineWorld) -> None:
    fishing = await make(line.hub, "釣り", "釣り")
    design = await make(line.hub, "デザイン部", "デザイン")
    await register_on_line(line, "U1")
    await line.post([postback_event("U1", "action=edit&field=interests")])
    await line.post([text_event("U1", "釣り、海")])
    saved = line.api.replies()[-1]
    assert saved.texts[:2] == ["保存しました。", "はなこ さんのプロフィール"]
    assert buttons(saved.messages[2]["contents"]) == [f"action=sub_join&s={fishing.id}"]
    await line.post([postback_event("U1", "action=edit&field=skills")])
    await line.post([text_event("U1", "デザイン")])
    assert buttons(line.api.replies()[-1].messages[2]["contents"]) == [
        f"action=sub_join&s={design.id}",
        f"action=sub_join&s={fishing.id}",
    ]
    # Another field: no suggestion, even with matches left.
    await line.post([postback_event("U1", "action=edit&field=display_name")])
    await line.post([text_event("U1", "はな")])
    assert [m["type"] for m in line.api.replies()[-1].messages] == ["text", "flex"]
    # Joined ones are not suggested again.
    await line.hub.subcommittees.join(who(line, "U1"), fishing.id)
    await line.hub.subcommittees.join(who(line, "U1"), design.id)
    await line.post([postback_event("U1", "action=edit&field=interests")])
    await line.post([text_event("U1", "釣り")])
    assert [m["type"] for m in line.api.replies()[-1].messages] == ["text", "flex"]


async def test_a_member_registered_on_discord_sees_the_list_on_line_after_linking(line: LineWorld) -> None:
    discord_user = Identity(who(line, "x").community_id, "discord", "555")
    await register_directly(line.hub, discord_user)
    food = await make(line.hub)
    await line.hub.subcommittees.join(discord_user, food.id)
    code = (await line.hub.links.issue(discord_user)).code
    line.api.profiles["U5"] = {"language": "ja"}
    await line.post([text_event("U5", code)])
    await line.post([text_event("U5", "分科会")])
    assert "✅ 参加しています" in flex_texts(bubbles(last_message(line))[0])  # one member, both apps


# --- help ---------------------------------------------------------------------------------------------------
async def test_help_and_menu_mention_subcommittees_and_projects(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "ヘルプ")])
    help_text = line.last_reply()[0]
    assert "・分科会：テーマ別の分科会の一覧と参加・退出" in help_text
    assert "・プロジェクト：募集中のプロジェクト（関わりしろ）と応募" in help_text
    assert "・プロジェクト通知オン／オフ" in help_text
    assert line.last_quick_labels() == MENU and {"分科会", "プロジェクト"} <= set(MENU)
    assert len(MENU) <= 13
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.post([text_event("U2", "help")])
    assert "- subcommittees:" in line.last_reply()[0] and "- projects:" in line.last_reply()[0]
    assert {"Subcommittees", "Projects"} <= set(line.last_quick_labels())
