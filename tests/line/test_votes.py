"""Votes on LINE over real HTTP: ballot buttons, the list, results, weights, vote news cards, reminders."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.community.ambassadors import ProfileChanges
from bot.community.identity import Identity
from bot.community.votes import VoteDraft, VoteView
from bot.line.standin import postback_event, text_event
from storage.models import Ballot
from tests.line.conftest import LineWorld
from tests.line.test_events import MENU, bubbles, community, configure, flex_actions, flex_texts, quick_labels
from tests.line.test_webhook import register_on_line, who
from tests.services.test_ambassadors import register as register_directly

QUESTION = "島の予算の使い道"
OPTIONS = "港の桟橋を直す|図書館を広げる|祭りに使う"
CLOSES_JA = "2026年11月25日(水) 10:00（日本時間）"  # three days after the clock's start
COMMUNITY = "海士町オフィシャルアンバサダー"
WEIGHT_USAGE = (
    "「重み」と送ると、あなたの投票の重みを説明します。「重み 12」と送ると投票 #12 での重みを表示します。"
)
BAD_BUTTON = "そのボタンは読み取れませんでした。「投票」と送ると、いま投票できる議案を表示します。"


# --- helpers ----------------------------------------------------------------------------------------------
async def open_vote(
    line: LineWorld, question: str = QUESTION, options: str = OPTIONS, key: str = "ama", **fields: Any
) -> VoteView:
    cid = community(line, key)
    draft = VoteDraft(question=question, options=options, closes=fields.pop("closes", "3日"), **fields)
    return await line.hub.votes.open(cid, Identity(cid, "discord", "staff"), draft)


def ballot(user: str, vote_id: int | str, option: int | str) -> dict[str, Any]:
    return postback_event(user, f"action=ballot&v={vote_id}&o={option}")


async def give_points(line: LineWorld, user: str, points: int) -> None:
    view = await line.hub.ambassadors.get(who(line, user))
    await line.hub.contributions.record_automatic(
        view.community_id, view.id, "knowledge", "seed", points=points
    )


async def ballots(line: LineWorld) -> list[tuple[int, int, int, str]]:
    """Every ballot row: (vote id, member number, option, source)."""
    async with line.hub.db.transaction() as s:
        rows = (
            await s.execute(
                select(Ballot.vote_id, Ballot.ambassador_id, Ballot.option, Ballot.source).order_by(
                    Ballot.vote_id, Ballot.ambassador_id, Ballot.option
                )
            )
        ).all()
    numbers: dict[int, int] = {}
    for _, aid, _, _ in rows:
        if aid not in numbers:
            numbers[aid] = await member_number(line, aid)
    return [(v, numbers[a], o, src) for v, a, o, src in rows]


async def member_number(line: LineWorld, ambassador_id: int) -> int:
    for user in ("U1", "U2", "U3", "U4"):
        view = await line.hub.ambassadors.find(who(line, user))
        if view is not None and view.id == ambassador_id:
            return view.member_number
    raise AssertionError(f"no LINE member with id {ambassador_id}")


def ballot_buttons(bubble: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (a["label"], a["data"])
        for a in flex_actions(bubble)
        if a["type"] == "postback" and a["data"].startswith("action=ballot")
    ]


def button_styles(bubble: dict[str, Any]) -> list[str]:
    return [c["style"] for c in bubble["footer"]["contents"] if c["type"] == "button"]


def bar_widths(bubble: dict[str, Any]) -> list[str | None]:
    """The filled part of each result bar (None: an empty bar), in option order."""
    widths: list[str | None] = []
    for row in bubble["body"]["contents"]:
        if row["type"] == "box" and len(row["contents"]) == 2 and row["contents"][1]["type"] == "box":
            fill = row["contents"][1]["contents"]
            widths.append(fill[0]["width"] if fill else None)
    return widths


# --- ballots ------------------------------------------------------------------------------------------------
async def test_a_ballot_by_postback_is_confirmed_and_a_second_tap_moves_it(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    vote = await open_vote(line)
    await line.post([ballot("U1", vote.id, 1)])
    assert line.last_reply() == [
        f"🗳️ 投票 #{vote.id}「{QUESTION}」に投票しました。\n"
        f"いまの選択：2. 図書館を広げる\n{CLOSES_JA}まで変更できます。"
    ]
    assert line.last_quick_labels() == MENU
    assert await ballots(line) == [(vote.id, 1, 1, "postback")]
    await line.post([ballot("U1", vote.id, 2)])
    assert line.last_reply() == [
        f"🗳️ 投票 #{vote.id}「{QUESTION}」の投票を変更しました。\n"
        f"いまの選択：3. 祭りに使う\n{CLOSES_JA}まで変更できます。"
    ]
    assert await ballots(line) == [(vote.id, 1, 2, "postback")]  # one ballot row, moved
    await line.post([ballot("U1", vote.id, 2)])  # a double tap
    assert line.last_reply()[0].startswith(
        f"🗳️ 投票 #{vote.id}「{QUESTION}」には、すでにその選択で投票しています。"
    )
    assert await ballots(line) == [(vote.id, 1, 2, "postback")]
    assert line.api.pushes() == [] and line.api.multicasts() == []  # every answer was a free reply


async def test_approval_votes_take_several_options_and_a_second_tap_takes_one_back(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    vote = await open_vote(line, approval=True)
    await line.post([ballot("U1", vote.id, 0)])
    await line.post([ballot("U1", vote.id, 2)])
    assert line.last_reply()[0].split("\n")[:2] == [
        f"🗳️ 投票 #{vote.id}「{QUESTION}」で「3. 祭りに使う」を選びました。",
        "いまの選択：1. 港の桟橋を直す、3. 祭りに使う",
    ]
    assert await ballots(line) == [(vote.id, 1, 0, "postback"), (vote.id, 1, 2, "postback")]
    await line.post([ballot("U1", vote.id, 0)])
    assert line.last_reply()[0].split("\n")[:2] == [
        f"🗳️ 投票 #{vote.id}「{QUESTION}」で「1. 港の桟橋を直す」の選択を取り消しました。",
        "いまの選択：3. 祭りに使う",
    ]
    await line.post([ballot("U1", vote.id, 2)])
    assert line.last_reply()[0].split("\n")[1] == "いまは何も選んでいません。"
    assert await ballots(line) == []


async def test_weighted_and_hidden_ballots_say_the_weight_and_when_results_come(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await give_points(line, "U1", 100)  # √100 = 10: 1 + 0.2 × 10 = 3.0
    vote = await open_vote(line, weighted=True, hidden=True)
    await line.post([ballot("U1", vote.id, 0)])
    assert line.last_reply() == [
        f"🗳️ 投票 #{vote.id}「{QUESTION}」に投票しました。\n"
        "いまの選択：1. 港の桟橋を直す\n"
        "この投票でのあなたの重み：3.0（投票が始まった時点で決まりました）\n"
        "結果は締め切りのあとに公開されます。\n"
        f"{CLOSES_JA}まで変更できます。"
    ]
    assert line.last_quick_labels() == ["重みの説明", *MENU]
    [button] = line.api.replies()[-1].messages[0]["quickReply"]["items"][:1]
    assert button["action"]["data"] == f"action=weight&v={vote.id}"


async def test_a_member_on_discord_and_line_at_once_has_one_ballot(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    on_discord = Identity(community(line), "discord", "321")
    code = (await line.hub.links.issue(who(line, "U1"))).code
    await line.hub.links.redeem(on_discord, code)
    vote = await open_vote(line)
    await line.hub.votes.cast(on_discord, vote.id, 0, "reaction")  # as the Discord reaction does
    await line.post([ballot("U1", vote.id, 1)])
    assert line.last_reply()[0].startswith(f"🗳️ 投票 #{vote.id}「{QUESTION}」の投票を変更しました。")
    assert await ballots(line) == [(vote.id, 1, 1, "postback")]
    # Both at the same moment: still one ballot, whichever came last.
    await asyncio.gather(
        line.post([ballot("U1", vote.id, 2)]), line.hub.votes.cast(on_discord, vote.id, 0, "reaction")
    )
    [(vote_id, number, option, _)] = await ballots(line)
    assert (vote_id, number) == (vote.id, 1) and option in (0, 2)
    assert await line.hub.votes.ballot_of(on_discord, vote.id) == (option,)
    await line.post([text_event("U1", "投票")])
    [card] = bubbles(line.api.replies()[-1].messages[0])
    chosen = ["1. 港の桟橋を直す", "2. 図書館を広げる", "3. 祭りに使う"][option]
    assert f"あなたの選択：{chosen}" in flex_texts(card)


async def test_forged_postbacks_get_a_clear_answer_and_change_nothing(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    mine = await open_vote(line)
    taba = community(line, "tabayama")
    await register_directly(line.hub, Identity(taba, "discord", "t1"))
    theirs = await open_vote(line, "丹波山の祭りの日取り", "春|秋", key="tabayama")
    cases = {
        "action=ballot&v=abc&o=0": BAD_BUTTON,
        "action=ballot&o=0": BAD_BUTTON,
        f"action=ballot&v={mine.id}": BAD_BUTTON,
        f"action=ballot&v={mine.id}&o=x": BAD_BUTTON,
        f"action=ballot&v={mine.id}&o=-1": BAD_BUTTON,
        "action=ballot&v=１&o=0": BAD_BUTTON,  # full-width digits are not ours
        "action=ballot&v=99999999999999999999&o=0": BAD_BUTTON,  # would not fit the database
        f"action=ballot&v={mine.id}&o=3": "選択肢は1〜3の中から選んでください。",
        f"action=ballot&v={mine.id}&o=10": "選択肢は1〜3の中から選んでください。",
        f"action=ballot&v={theirs.id}&o=0": f"投票 #{theirs.id} は見つかりませんでした。",
        "action=ballot&v=99999&o=0": "投票 #99999 は見つかりませんでした。",
        "action=vote_news&on=yes": BAD_BUTTON,
        "action=vote_news": BAD_BUTTON,
        "action=weight&v=x": WEIGHT_USAGE,
        f"action=weight&v={theirs.id}": f"投票 #{theirs.id} は見つかりませんでした。",
    }
    for data, reply in cases.items():
        await line.post([postback_event("U1", data)])
        assert line.last_reply() == [reply], data
    await line.post([ballot("U9", mine.id, 0)])  # not a member
    assert line.last_reply() == ["投票にはアンバサダー登録が必要です。先に登録してください。"]
    assert line.last_quick_labels() == ["登録する", "ヘルプ"]
    assert await ballots(line) == []
    assert (await line.hub.votes.get(taba, theirs.id)).voters == 0
    assert not await line.hub.votes.vote_news(who(line, "U1"))


async def test_closed_and_cancelled_votes_refuse_ballots(line: LineWorld, clock: ManualClock) -> None:
    await register_on_line(line, "U1")
    cid = community(line)
    staff = Identity(cid, "discord", "staff")
    called_off = await open_vote(line, "取り消す議案")
    closed_early = await open_vote(line, "早く締める議案")
    timed_out = await open_vote(line, "時間切れの議案", closes="1時間")
    await line.hub.votes.cancel(cid, called_off.id, staff)
    await line.hub.votes.close(cid, closed_early.id, staff)
    await line.post([ballot("U1", called_off.id, 0)])
    assert line.last_reply() == ["この投票は取り消されました。"]
    await line.post([ballot("U1", closed_early.id, 0)])
    assert line.last_reply() == ["この投票はすでに締め切られました。"]
    clock.advance(timedelta(hours=1))  # its time has come; the closer has not run yet
    await line.post([ballot("U1", timed_out.id, 0)])
    assert line.last_reply() == ["この投票はすでに締め切られました。"]
    await line.post([text_event("U1", "投票")])  # none of them is offered any more
    assert line.last_reply()[0].startswith("いま投票できる議案はありません。")
    assert await ballots(line) == []


async def test_members_below_the_stage_or_registered_after_opening_are_refused(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", "たろう")
    await give_points(line, "U2", 1)  # stage 2
    vote = await open_vote(line, min_stage=2)
    await register_on_line(line, "U3", "じろう")
    await give_points(line, "U3", 1)
    await line.post([ballot("U1", vote.id, 0)])
    assert line.last_reply() == ["この投票は関わりの段階2以上の方が対象です。"]
    await line.post([ballot("U3", vote.id, 0)])
    assert line.last_reply() == ["この投票は、始まった時点で登録していた方が対象です。"]
    await line.post([ballot("U2", vote.id, 0)])
    assert await ballots(line) == [(vote.id, 2, 0, "postback")]
    await line.post([text_event("U1", "投票")])
    assert line.last_reply()[0].startswith("いま投票できる議案はありません。")


# --- the list -----------------------------------------------------------------------------------------------
async def test_the_votes_list_shows_open_votes_with_the_members_choices(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", "たろう")
    await give_points(line, "U2", 100)  # stage 3
    first = await open_vote(line)
    second = await open_vote(
        line,
        "分科会で取り上げるテーマ",
        "移住体験のしくみ|島の食の発信|高校生との交流プロジェクトを続けるために",
        closes="1週間",
        approval=True,
        weighted=True,
        quorum="2",
    )
    await open_vote(line, "段階3以上の議案", "はい|いいえ", min_stage=3)  # U1 is at stage 1: not listed
    taba = community(line, "tabayama")
    await register_directly(line.hub, Identity(taba, "discord", "t1"))
    await open_vote(line, "丹波山の祭りの日取り", "春|秋", key="tabayama")  # another community's
    await line.post([ballot("U1", first.id, 1)])
    await line.post([ballot("U2", first.id, 0)])
    await line.post([text_event("U1", "投票")])
    message = line.api.replies()[-1].messages[0]
    assert message["altText"] == "投票できる議案（2件）"
    one, two = bubbles(message)
    assert flex_texts(one) == [
        COMMUNITY,
        f"🗳️ 投票 #{first.id}",
        QUESTION,
        "1人1票・1つ選ぶ",
        f"⏰ 締め切り：{CLOSES_JA}",
        "あなたの選択：2. 図書館を広げる",
        "投票済み 2人／対象 2人",
        "選択肢を押すと投票します。押し直すと変更できます。",
    ]
    assert ballot_buttons(one) == [
        ("1. 港の桟橋を直す", f"action=ballot&v={first.id}&o=0"),
        ("2. 図書館を広げる", f"action=ballot&v={first.id}&o=1"),
        ("3. 祭りに使う", f"action=ballot&v={first.id}&o=2"),
    ]
    assert button_styles(one) == ["secondary", "primary", "secondary"]  # the member's choice stands out
    long_option = "3. 高校生との交流プロジェクトを続けるために"
    assert flex_texts(two) == [
        COMMUNITY,
        f"🗳️ 投票 #{second.id}",
        "分科会で取り上げるテーマ",
        "貢献による重み付け・複数選べる",
        "⏰ 締め切り：2026年11月29日(日) 10:00（日本時間）",
        "定足数：2人",
        "1. 移住体験のしくみ",  # a label is cut on its button, so the options are listed in full
        "2. 島の食の発信",
        long_option,
        "あなたの選択：まだ投票していません",
        "投票済み 0人／対象 2人",
        "いくつでも選べます。選んだものをもう一度押すと取り消せます。",
    ]
    labels = [label for label, _ in ballot_buttons(two)]
    assert labels == ["1. 移住体験のしくみ", "2. 島の食の発信", long_option[:19] + "…"]
    displayed = [a["displayText"] for a in flex_actions(two) if a["type"] == "postback"]
    assert displayed[2] == long_option  # what the member sees they sent is the whole option
    assert quick_labels(message) == ["投票通知をオン", "投票結果", *MENU]
    await line.post([postback_event("U1", "action=votes")])  # the rich menu
    assert bubbles(line.api.replies()[-1].messages[0]) == [one, two]


async def test_the_list_is_in_the_members_language_and_zone(line: LineWorld) -> None:
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.hub.ambassadors.update_profile(who(line, "U2"), ProfileChanges(timezone="Europe/Paris"))
    vote = await open_vote(line, hidden=True)
    await line.post([text_event("U2", "votes")])
    message = line.api.replies()[-1].messages[0]
    assert message["altText"] == "Votes open to you (1)"
    [card] = bubbles(message)
    assert flex_texts(card)[3:7] == [
        "one member, one vote, choose one",
        "⏰ Closes Wed 25 Nov 2026, 02:00 (Europe/Paris)",
        "🔒 Results are shown when the vote closes.",
        "Your choice: not voted yet",
    ]
    await line.post([ballot("U2", vote.id, 0)])
    assert line.last_reply() == [
        f'🗳️ Your vote on #{vote.id}, "{QUESTION}", is in.\n'
        "Your choice now: 1. 港の桟橋を直す\n"
        "Results are shown when the vote closes.\n"
        "You can change it until Wed 25 Nov 2026, 02:00 (Europe/Paris)."
    ]


async def test_an_empty_list_says_so_and_vote_news_can_be_turned_on_and_off(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "投票")])
    assert line.last_reply() == [
        "いま投票できる議案はありません。\n"
        "新しい投票のお知らせをLINEで受け取るには「投票通知オン」と送ってください。"
    ]
    assert line.last_quick_labels()[:2] == ["投票通知をオン", "投票結果"]
    await line.post([postback_event("U1", "action=vote_news&on=1")])  # the quick reply
    assert line.last_reply() == [
        "新しい投票のお知らせをLINEでお届けします。止めるときは「投票通知オフ」と送ってください。"
    ]
    assert await line.hub.votes.vote_news(who(line, "U1"))
    await line.post([text_event("U1", "投票")])
    assert line.last_reply() == ["いま投票できる議案はありません。"]
    assert line.last_quick_labels()[0] == "投票通知をオフ"
    await line.post([text_event("U1", "投票通知オフ")])
    assert line.last_reply()[0].startswith("新しい投票のお知らせを止めました。")
    assert not await line.hub.votes.vote_news(who(line, "U1"))
    await line.post([text_event("U1", "vote news on")])
    assert line.last_reply()[0].startswith("新しい投票のお知らせをLINEでお届けします。")  # in their language
    assert await line.hub.votes.vote_news(who(line, "U1"))
    for command in ("投票", "投票結果", "重み", "投票通知オン"):
        await line.post([text_event("U9", command)])  # not registered
        assert line.last_reply() == ["まだアンバサダー登録がありません。先に登録してください。"], command


async def test_help_and_menu_mention_votes(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "ヘルプ")])
    help_text = line.last_reply()[0]
    assert "・投票：いま投票できる議案と投票ボタン" in help_text
    assert "・投票結果：最近の投票の結果" in help_text and "「重み 12」" in help_text
    assert line.last_quick_labels() == MENU and "投票" in MENU


# --- results ------------------------------------------------------------------------------------------------
async def test_results_show_totals_turnout_quorum_and_the_winner(line: LineWorld, clock: ManualClock) -> None:
    for user, points in (("U1", 100), ("U2", 1), ("U3", 0)):  # weights 3.0, 1.2 and 1.0
        await register_on_line(line, user)
        if points:
            await give_points(line, user, points)
    weighted = await open_vote(line, weighted=True, quorum="50%")
    await line.post([ballot("U1", weighted.id, 1)])
    await line.post([ballot("U2", weighted.id, 0)])
    clock.advance(timedelta(days=3))
    run = await line.hub.vote_closer.run_due()
    assert run.closed == 1
    live = await open_vote(line, "次の集まりの場所", "公民館|港の倉庫")
    hidden = await open_vote(line, "匿名で聞きたいこと", "はい|いいえ", hidden=True)
    dropped = await open_vote(line, "取り消す議案", "はい|いいえ")
    await line.hub.votes.cancel(
        dropped.community_id, dropped.id, Identity(dropped.community_id, "discord", "s")
    )
    await line.post([ballot("U3", live.id, 1)])
    await line.post([ballot("U3", hidden.id, 0)])
    await line.post([text_event("U3", "投票結果")])
    message = line.api.replies()[-1].messages[0]
    assert message["altText"] == "最近の投票（4件）"
    cancelled, secret, so_far, final = bubbles(message)  # newest first
    assert flex_texts(final) == [
        COMMUNITY,
        f"🗳️ 投票 #{weighted.id}",
        QUESTION,
        f"締め切り：{CLOSES_JA}",
        "貢献による重み付け・1つ選ぶ",
        "1. 港の桟橋を直す",
        "1票・重み 1.2",
        "2. 図書館を広げる",
        "1票・重み 3.0",
        "3. 祭りに使う",
        "0票・重み 0.0",
        "投票 2人／対象 3人（投票率 67%）",
        "定足数 2人：達成",
        "🏆 最多：2. 図書館を広げる",
    ]
    assert bar_widths(final) == ["29%", "71%", None]  # 1.2 and 3.0 of 4.2
    assert flex_texts(so_far)[3:] == [
        "途中経過（締め切り 2026年11月28日(土) 10:00（日本時間））",
        "1人1票・1つ選ぶ",
        "1. 公民館",
        "0票",
        "2. 港の倉庫",
        "1票",
        "投票 1人／対象 3人（投票率 33%）",
    ]
    assert bar_widths(so_far) == [None, "100%"]
    assert flex_texts(secret)[3:] == [
        "🔒 結果は締め切り（2026年11月28日(土) 10:00（日本時間））のあとに公開されます。",
        "投票済み 1人／対象 3人",
    ]
    assert flex_texts(cancelled)[3:] == ["この投票は取り消されました。"]
    assert ballot_buttons(final) == [] and ballot_buttons(secret) == []  # results carry no ballot buttons
    assert quick_labels(message)[0] == "投票"


async def test_a_quorum_missed_and_no_ballots_are_said(line: LineWorld, clock: ManualClock) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "投票結果")])
    assert line.last_reply() == ["この公式アカウントでは、まだ投票が行われていません。"]
    vote = await open_vote(line, quorum="1")
    clock.advance(timedelta(days=3))
    await line.hub.vote_closer.run_due()
    await line.post([text_event("U1", "results")])
    [card] = bubbles(line.api.replies()[-1].messages[0])
    assert flex_texts(card)[-3:] == [
        "投票 0人／対象 1人（投票率 0%）",
        "定足数 1人：未達",
        "投票はありませんでした。",
    ]
    assert bar_widths(card) == [None, None, None]
    assert (await line.hub.votes.get(vote.community_id, vote.id)).status == "closed"


# --- weight -------------------------------------------------------------------------------------------------
async def test_the_weight_is_explained_in_words(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", "たろう")
    await give_points(line, "U1", 100)
    await line.post([text_event("U1", "重み")])
    assert line.last_reply() == [
        "あなたの投票の重み\n"
        "累計 100ポイント\n"
        "重み ＝ 1 ＋ 0.2 × √ポイント（上限 5）\n"
        "いまのポイントでの重み：3.0\n"
        "重みは「貢献による重み付け」の投票でだけ使われます。1人1票の投票では、どなたの票も1です。"
    ]
    weighted = await open_vote(line, weighted=True)
    equal = await open_vote(line, "次の集まりの場所", "公民館|港の倉庫")
    staged = await open_vote(line, "段階3以上の議案", "はい|いいえ", min_stage=3)
    await give_points(line, "U1", 200)  # after the vote opened: the vote's weight stays
    await line.post([text_event("U1", f"重み {weighted.id}")])
    assert line.last_reply() == [
        f"投票 #{weighted.id}「{QUESTION}」でのあなたの重み：3.0\n"
        "投票が始まった時点の 100ポイントで決まり、締め切りまで変わりません。\n"
        "\n"
        "あなたの投票の重み\n"
        "累計 300ポイント\n"
        "重み ＝ 1 ＋ 0.2 × √ポイント（上限 5）\n"
        "いまのポイントでの重み：4.5"  # 1 + 0.2 × √300 = 4.46
    ]
    await line.post([text_event("U1", f"重み＃{equal.id}")])  # full width, no space
    assert line.last_reply()[0].startswith(
        f"投票 #{equal.id}「次の集まりの場所」は1人1票です。あなたの票は1として数えられます。\n"
    )
    await line.post([text_event("U2", f"weight {staged.id}")])
    assert line.last_reply()[0].startswith(
        f"投票 #{staged.id}「段階3以上の議案」では、あなたは投票の対象ではありません（関わりの段階3以上で、"
    )
    await give_points(line, "U1", 700)  # 1 + 0.2 × √1000 = 7.3: capped
    await line.post([postback_event("U1", f"action=weight&v={weighted.id}")])  # the ballot reply's button
    assert "いまのポイントでの重み：5.0（上限に達しています）" in line.last_reply()[0].split("\n")
    await line.post([text_event("U1", "重み abc")])
    assert line.last_reply() == [WEIGHT_USAGE]
    await line.post([text_event("U1", "重み 99999")])
    assert line.last_reply() == ["投票 #99999 は見つかりませんでした。"]


# --- vote news: cards offered to eligible members who opted in ----------------------------------------------
async def test_vote_cards_go_to_eligible_members_who_opted_in_within_the_budget(line: LineWorld) -> None:
    await configure(line, budget=1)
    for user in ("U1", "U2", "U3", "U4"):
        await register_on_line(line, user)
    for user in ("U1", "U2", "U4"):
        await give_points(line, user, 1)  # stage 2; U3 stays at stage 1
    for user in ("U1", "U2", "U3"):
        await line.post([text_event(user, "投票通知オン")])  # U4 never asked
    vote = await open_vote(line, min_stage=2)
    report = await line.hub.offers.offer_vote(vote)
    assert (report.sent, report.over_budget, report.failed) == (1, 1, 0)  # U3 may not vote: not counted
    [multicast] = line.api.multicasts()
    assert multicast.body is not None and multicast.body["to"] == ["U1"]
    assert multicast.headers["X-Line-Retry-Key"]
    [card] = multicast.messages
    assert card["altText"] == f"新しい投票：{QUESTION}（締め切り {CLOSES_JA}）"
    [bubble] = bubbles(card)
    assert flex_texts(bubble) == [
        COMMUNITY,
        "新しい投票のお知らせ",
        f"🗳️ 投票 #{vote.id}",
        QUESTION,
        "1人1票・1つ選ぶ",
        f"⏰ 締め切り：{CLOSES_JA}",
        "対象：関わりの段階2以上",
        "選択肢を押すと投票します。押し直すと変更できます。",
    ]  # one card for many: nobody's choices on it
    assert [data for _, data in ballot_buttons(bubble)] == [
        f"action=ballot&v={vote.id}&o={i}" for i in range(3)
    ]
    assert quick_labels(card) == ["投票", "投票通知をオフ"]
    assert await line.hub.notifier.budget.used(vote.community_id) == 1
    again = await line.hub.offers.offer_vote(vote)
    assert (again.sent, again.over_budget) == (0, 1)
    assert len(line.api.multicasts()) == 1  # nobody gets the card twice, and the budget holds
    # The card's button votes like any other.
    await line.post([postback_event("U1", ballot_buttons(bubble)[2][1])])
    assert await ballots(line) == [(vote.id, 1, 2, "postback")]
    # With room in the budget, the one left out gets it; the first never twice.
    await configure(line, budget=None)
    later = await line.hub.offers.offer_vote(vote)
    assert (later.sent, later.over_budget, later.failed) == (1, 0, 0)
    assert [m.body["to"] for m in line.api.multicasts() if m.body] == [["U1"], ["U2"]]
    assert (await line.hub.offers.offer_vote(vote)).wanted == 0
    assert len(line.api.multicasts()) == 2


async def test_one_vote_card_per_language_and_zone(line: LineWorld) -> None:
    await configure(line, budget=None)
    await register_on_line(line, "U1")
    line.api.profiles["U2"] = {"language": "en"}
    await register_on_line(line, "U2", "Sam")
    await line.hub.ambassadors.update_profile(who(line, "U2"), ProfileChanges(timezone="Europe/Paris"))
    await line.post([text_event("U1", "投票通知オン")])
    await line.post([text_event("U2", "vote news on")])
    assert line.last_reply()[0].startswith("You will get new votes here on LINE.")
    vote = await open_vote(line, weighted=True, approval=True)
    report = await line.hub.offers.offer_vote(vote)
    assert (report.sent, report.over_budget, report.failed) == (2, 0, 0)
    by_recipient = {tuple(m.body["to"]): m.messages[0] for m in line.api.multicasts() if m.body}
    assert by_recipient[("U1",)]["altText"] == f"新しい投票：{QUESTION}（締め切り {CLOSES_JA}）"
    english = by_recipient[("U2",)]
    assert english["altText"] == f"New vote: {QUESTION} (closes Wed 25 Nov 2026, 02:00 (Europe/Paris))"
    assert flex_texts(bubbles(english)[0])[4:6] == [
        "weighted by contribution, choose any",
        "⏰ Closes Wed 25 Nov 2026, 02:00 (Europe/Paris)",
    ]
    assert quick_labels(english) == ["Votes", "Vote news off"]


async def test_a_closed_vote_is_not_offered(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "投票通知オン")])
    vote = await open_vote(line)
    closed = await line.hub.votes.close(
        vote.community_id, vote.id, Identity(vote.community_id, "discord", "s")
    )
    assert (await line.hub.offers.offer_vote(closed)).wanted == 0
    assert line.api.multicasts() == []


# --- the reminder before the close --------------------------------------------------------------------------
async def test_the_reminder_reaches_a_line_member_who_has_not_voted_once(
    line: LineWorld, clock: ManualClock
) -> None:
    await register_on_line(line, "U1")
    await register_on_line(line, "U2", "たろう")
    vote = await open_vote(line)
    await line.post([ballot("U2", vote.id, 0)])
    assert (await line.hub.vote_closer.run_due()).reminded == 0
    clock.advance(timedelta(days=2, minutes=1))  # 24 h before the close, and a minute
    run = await line.hub.vote_closer.run_due()
    assert (run.closed, run.reminded) == (0, 1)
    [push] = line.api.pushes()
    assert push.body is not None and push.body["to"] == "U1"
    assert push.texts == [
        f"🗳️ 投票 #{vote.id}「{QUESTION}」は{CLOSES_JA}に締め切られます。まだ投票していない方はお忘れなく。"
    ]
    assert await line.hub.notifier.budget.used(vote.community_id) == 1
    assert (await line.hub.vote_closer.run_due()).reminded == 0
    assert len(line.api.pushes()) == 1


async def test_long_votes_are_split_into_carousels_within_lines_size_limit(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    options = "|".join(f"{n}番目の案：" + "島の暮らしを良くするための長い説明" * 4 for n in range(1, 11))
    for n in range(10):
        await open_vote(line, f"議案{n}は" + "とても長い問いかけの文章です。" * 19, options)
    await line.post([text_event("U1", "投票")])
    messages = line.api.replies()[-1].messages
    # LINE refuses a carousel over 50 KB: the ten votes come in two carousels or more, none left out.
    assert len(messages) >= 2
    for message in messages:
        assert len(json.dumps(message["contents"], ensure_ascii=False).encode()) <= 50_000
        assert message["altText"] == f"投票できる議案（{len(bubbles(message))}件）"
    shown = [b for message in messages for b in bubbles(message)]
    assert [flex_texts(b)[2][:4] for b in shown] == [f"議案{n}は" for n in range(10)]
    assert "quickReply" in messages[-1] and not any("quickReply" in m for m in messages[:-1])
