"""Projects (関わりしろ) on LINE over real HTTP: the list, Apply buttons, forged buttons, project news."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.clock import ManualClock
from bot.community.ambassadors import ProfileChanges
from bot.community.projects import ProjectView
from bot.line.standin import postback_event, text_event
from tests.line.conftest import LineWorld
from tests.line.test_events import MENU, bubbles, flex_actions, flex_texts, quick_labels
from tests.line.test_webhook import register_on_line, who
from tests.services.test_events import staff
from tests.services.test_projects import DRAFT, person, post

TITLE = DRAFT.title  # 島の高校の情報授業, deadline 2026-12-20 18:00 in Tokyo, online
DEADLINE_JA = "2026年12月20日(日) 18:00（日本時間）"
NOT_REGISTERED = "まだアンバサダー登録がありません。先に登録してください。"
BAD_BUTTON = "そのボタンは読み取れませんでした。「プロジェクト」と送ると募集中の一覧を表示します。"


def apply(user: str, project: ProjectView | str) -> dict[str, Any]:
    pid = project.id if isinstance(project, ProjectView) else project
    return postback_event(user, f"action=project_apply&p={pid}")


def last_message(line: LineWorld) -> dict[str, Any]:
    return line.api.replies()[-1].messages[-1]


def apply_buttons(bubble: dict[str, Any]) -> list[str]:
    return [a["data"] for a in flex_actions(bubble) if a["type"] == "postback"]


async def applicants(line: LineWorld, project: ProjectView) -> list[tuple[int, str, str]]:
    rows = await line.hub.projects.applications(project.community_id, project.id)
    return [(a.ambassador.member_number, a.status, a.platform) for a in rows]


# --- the list ---------------------------------------------------------------------------------------------
async def test_the_list_shows_open_projects_soonest_deadline_first(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    later = await post(
        line.hub,
        replace(
            DRAFT,
            title="空き家の片付け",
            skills="力仕事",
            deadline="2027-01-10 12:00",
            place="海士町 福井",
            online=False,
        ),
    )
    first = await post(line.hub)
    closed = await post(line.hub, replace(DRAFT, title="終わった募集"))
    await line.hub.projects.close(closed.community_id, closed.id, staff(line.hub))
    taba = line.hub.communities.by_key("tabayama")
    assert taba is not None
    await line.hub.projects.create(taba.id, staff(line.hub, "tabayama"), DRAFT, is_staff=True)

    await line.post([text_event("U1", "プロジェクト")])
    message = last_message(line)
    assert message["altText"] == "募集中のプロジェクト（2件）"
    cards = bubbles(message)
    assert flex_texts(cards[0]) == [
        "海士町オフィシャルアンバサダー",
        TITLE,
        DRAFT.needs,
        "🛠 求めるスキル：プログラミング、教育、デザイン",
        "💻 オンライン参加できます",
        f"⏰ 締め切り：{DEADLINE_JA}",
        "応募 0人",
    ]
    later_texts = flex_texts(cards[1])
    assert "📍 海士町 福井" in later_texts and "💻 オンライン参加できます" not in later_texts
    assert [apply_buttons(b) for b in cards] == [
        [f"action=project_apply&p={first.id}"],
        [f"action=project_apply&p={later.id}"],
    ]
    assert quick_labels(message) == ["プロジェクト通知をオン", *MENU]

    # The menu's postback shows the same; an English member in Paris reads the deadline in their zone.
    await line.post([postback_event("U1", "action=projects")])
    assert bubbles(last_message(line)) == cards
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.hub.ambassadors.update_profile(who(line, "U2"), ProfileChanges(timezone="Europe/Paris"))
    await line.post([text_event("U2", "projects")])
    english = flex_texts(bubbles(last_message(line))[0])
    assert "⏰ Deadline: Sun 20 Dec 2026, 10:00 (Europe/Paris)" in english
    assert "🛠 Skills wanted: プログラミング, 教育, デザイン" in english


async def test_a_subcommittees_project_says_whose_it_is(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    ref = line.hub.communities.by_key("ama")
    assert ref is not None
    new = await line.hub.subcommittees.check_new(ref.id, "IT部", "", "IT")
    sub = await line.hub.subcommittees.create(new, staff(line.hub))
    await line.hub.projects.create(
        ref.id, staff(line.hub), replace(DRAFT, subcommittee_id=sub.id), is_staff=True
    )
    await line.post([text_event("U1", "プロジェクト")])
    assert flex_texts(bubbles(last_message(line))[0])[1] == "分科会「IT部」のプロジェクト"


async def test_no_open_project_is_said_with_a_hint(line: LineWorld, clock: ManualClock) -> None:
    await register_on_line(line, "U1")
    project = await post(line.hub)
    clock.advance(project.deadline - clock.now())  # at the deadline: no longer open
    await line.post([text_event("U1", "プロジェクト")])
    assert line.last_reply() == [
        "いま募集中のプロジェクトはありません。\n"
        "スキルや関心に合うプロジェクトで声がかかるようにするには「プロジェクト通知オン」と送ってください。"
    ]
    await line.hub.projects.set_project_news(who(line, "U1"), True)
    await line.post([text_event("U1", "プロジェクト")])
    assert line.last_reply() == ["いま募集中のプロジェクトはありません。"]
    assert line.last_quick_labels() == ["プロジェクト通知をオフ", *MENU]


# --- applying -----------------------------------------------------------------------------------------------
async def test_apply_by_postback_once(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    project = await post(line.hub)
    await line.post([apply("U1", project)])
    assert line.last_reply() == [
        f"「{TITLE}」に応募しました。運営スタッフからの連絡をお待ちください。\n締め切り：{DEADLINE_JA}"
    ]
    assert line.last_quick_labels() == MENU
    assert await applicants(line, project) == [(1, "applied", "line")]
    # The card now shows the application instead of the button.
    await line.post([text_event("U1", "プロジェクト")])
    card = bubbles(last_message(line))[0]
    assert "あなたの応募：応募済み（運営スタッフの返事待ち）" in flex_texts(
        card
    ) and "応募 1人" in flex_texts(card)
    assert apply_buttons(card) == []
    # A second tap (an old card): a clear answer, still one application.
    await line.post([apply("U1", project)])
    assert line.last_reply() == [f"「{TITLE}」にはすでに応募しています。"]
    assert await applicants(line, project) == [(1, "applied", "line")]
    # Staff accept: the card says so.
    await line.hub.projects.decide(project.community_id, project.id, 1, staff(line.hub), accept=True)
    await line.post([text_event("U1", "プロジェクト")])
    assert "あなたの応募：参加が決まりました" in flex_texts(bubbles(last_message(line))[0])


async def test_a_passed_deadline_or_a_closed_project_takes_no_application(
    line: LineWorld, clock: ManualClock
) -> None:
    await register_on_line(line, "U1")
    project = await post(line.hub)
    await line.post([text_event("U1", "プロジェクト")])  # the card is on the phone…
    clock.advance(project.deadline - clock.now() + timedelta(minutes=1))
    await line.post([apply("U1", project)])  # …and tapped too late
    assert line.last_reply() == ["このプロジェクトの募集は終了しました。"]
    assert line.last_quick_labels() == MENU
    assert await applicants(line, project) == []
    clock.advance(-timedelta(days=2))
    await line.hub.projects.close(project.community_id, project.id, staff(line.hub))
    await line.post([apply("U1", project)])
    assert line.last_reply() == ["このプロジェクトの募集は終了しました。"]
    assert await applicants(line, project) == []


async def test_forged_or_odd_buttons_change_nothing(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    project = await post(line.hub)
    taba = line.hub.communities.by_key("tabayama")
    assert taba is not None
    other = await line.hub.projects.create(taba.id, staff(line.hub, "tabayama"), DRAFT, is_staff=True)
    await line.post([apply("U1", other)])  # another community's id
    assert line.last_reply() == [f"プロジェクト #{other.id} は見つかりませんでした。"]
    for data in (
        "action=project_apply",
        "action=project_apply&p=",
        "action=project_apply&p=one",
        "action=project_apply&p=-1",
        "action=project_apply&p=１",
        "action=project_apply&p=12345678901",
    ):
        await line.post([postback_event("U1", data)])
        assert line.last_reply() == [BAD_BUTTON], data
    assert await applicants(line, project) == [] and await applicants(line, other) == []


async def test_people_not_registered_are_told_to_register(line: LineWorld) -> None:
    project = await post(line.hub)
    line.api.profiles["U9"] = {"language": "ja"}
    for event in (
        text_event("U9", "プロジェクト"),
        postback_event("U9", "action=projects"),
        apply("U9", project),
        text_event("U9", "プロジェクト通知オン"),
        postback_event("U9", "action=project_news&on=1"),
    ):
        await line.post([event])
        assert line.last_reply() == [NOT_REGISTERED]
        assert line.last_quick_labels() == ["登録する", "ヘルプ"]
    assert await applicants(line, project) == []


# --- project news -------------------------------------------------------------------------------------------
async def test_project_news_on_and_off(line: LineWorld) -> None:
    await register_on_line(line, "U1")  # interests 食、教育
    await line.post([text_event("U1", "プロジェクト通知オン")])
    assert line.last_reply() == [
        "スキルや関心に合うプロジェクトが募集されたとき、運営スタッフから声がかかるようになります。"
        "止めるときは「プロジェクト通知オフ」と送ってください。"
    ]
    assert await line.hub.projects.project_news(who(line, "U1"))
    project = await post(line.hub)  # wants 教育, among others: U1 is now a match staff see
    ids = [m.member_number for m in await line.hub.projects.matches(project.community_id, project.id)]
    assert ids == [1]
    await line.post([text_event("U1", "プロジェクト")])
    assert quick_labels(last_message(line))[0] == "プロジェクト通知をオフ"
    off = last_message(line)["quickReply"]["items"][0]["action"]["data"]
    assert off == "action=project_news&on=0"
    await line.post([postback_event("U1", off)])
    assert line.last_reply()[0].startswith("プロジェクトで声がかからないようにしました。")
    assert not await line.hub.projects.project_news(who(line, "U1"))
    assert await line.hub.projects.matches(project.community_id, project.id) == []
    await line.post([postback_event("U1", "action=project_news&on=yes")])
    assert line.last_reply() == [BAD_BUTTON]
    assert not await line.hub.projects.project_news(who(line, "U1"))
    await line.post([postback_event("U1", "action=project_news&on=1")])
    assert await line.hub.projects.project_news(who(line, "U1"))
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.post([text_event("U2", "project news on")])
    assert line.last_reply()[0].startswith("The staff can now ask you when a project needs your skills")
    assert await line.hub.projects.project_news(who(line, "U2"))


async def test_one_application_whichever_app_the_member_uses(line: LineWorld) -> None:
    member = await person(line.hub, "d1", "", "プログラミング")
    project = await post(line.hub)
    code = (await line.hub.links.issue(member)).code
    line.api.profiles["U3"] = {"language": "ja"}
    await line.post([text_event("U3", code)])
    await line.hub.projects.apply(member, project.id)
    await line.post([apply("U3", project)])
    assert line.last_reply() == [f"「{TITLE}」にはすでに応募しています。"]
    assert await applicants(line, project) == [(1, "applied", "discord")]
