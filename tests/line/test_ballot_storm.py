"""Ballot taps arriving together are cast together (bot/line/ballot_batch.py): the same rules and the same
replies as one at a time, redeliveries ignored, and anything unusual sent down the usual path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from linebot.v3.webhooks import Event

from bot.line.ballot_batch import QueuedTap
from bot.line.standin import postback_event, text_event
from bot.line.webhook import LINE_FACE, parse_events
from tests.line.conftest import LineWorld
from tests.line.test_votes import ballot, ballots, open_vote
from tests.line.test_webhook import register_on_line, who

USERS = ("U1", "U2", "U3")


async def _members(line: LineWorld) -> None:
    for user in USERS:
        await register_on_line(line, user)


def _replies_to(line: LineWorld, events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each event's reply, by its reply token's event (in the order sent)."""
    by_token = {r.body["replyToken"]: r.messages for r in line.api.replies() if r.body}
    return {e["webhookEventId"]: by_token.get(e["replyToken"], []) for e in events}


async def test_taps_delivered_together_follow_the_rules_of_one_tap_each(line: LineWorld) -> None:
    await _members(line)
    vote = await open_vote(line)  # single choice
    taps = [
        ballot("U1", vote.id, 0),
        ballot("U2", vote.id, 1),
        ballot("U3", vote.id, 0),
        ballot("U1", vote.id, 2),
    ]
    before = len(line.api.replies())
    assert await line.post(taps) == 200
    # U1's second tap moved the ballot, in arrival order; one ballot per member.
    assert [(v, n, o) for v, n, o, _ in await ballots(line)] == [
        (vote.id, 1, 2),
        (vote.id, 2, 1),
        (vote.id, 3, 0),
    ]
    assert {src for *_, src in await ballots(line)} == {"postback"}
    replies = _replies_to(line, taps)
    assert len(line.api.replies()) == before + 4
    first, moved = replies[taps[0]["webhookEventId"]], replies[taps[3]["webhookEventId"]]
    assert "に投票しました" in first[0]["text"] and "いまの選択：1. 港の桟橋を直す" in first[0]["text"]
    assert "いまの選択：3. 祭りに使う" in moved[0]["text"] and "に投票しました" not in moved[0]["text"]


async def test_a_batch_reply_is_the_reply_of_the_usual_path(line: LineWorld) -> None:
    """The storm path writes the reply's JSON itself: it must be what the SDK would have sent."""
    await _members(line)
    vote = await open_vote(line, weighted=True)
    assert await line.post([ballot("U1", vote.id, 1)]) == 200
    sent = line.api.replies()[-1].messages
    face = line.app[LINE_FACE]
    result = await line.hub.votes.cast(who(line, "U1"), vote.id, 1, "postback")  # the same ballot again
    expected = face.conversations["ama"].votes.ballot_reply(result, 1, "ja", "Asia/Tokyo")
    [want] = [m.to_dict() for m in expected]
    [got] = sent
    # The second cast says "the same" where the first said "voted": the rest must be identical.
    assert got.keys() == want.keys() and got["quickReply"] == want["quickReply"]
    assert got["text"].split("\n")[1:] == want["text"].split("\n")[1:]
    assert "に投票しました" in got["text"].split("\n")[0]
    assert any(
        i["action"].get("data", "").startswith("action=weight") for i in sent[0]["quickReply"]["items"]
    )


async def test_approval_taps_in_one_batch_add_and_take_back(line: LineWorld) -> None:
    await _members(line)
    vote = await open_vote(line, approval=True)
    taps = [ballot("U1", vote.id, 0), ballot("U1", vote.id, 1), ballot("U1", vote.id, 0)]
    assert await line.post(taps) == 200
    assert [(n, o) for _, n, o, _ in await ballots(line)] == [(1, 1)]
    replies = _replies_to(line, taps)
    assert "取り消しました" in replies[taps[2]["webhookEventId"]][0]["text"]


async def test_a_redelivery_in_the_same_batch_or_later_is_cast_once(line: LineWorld) -> None:
    await _members(line)
    vote = await open_vote(line, approval=True)  # a second handling would take the option back
    tap = ballot("U1", vote.id, 0)
    before = len(line.api.replies())
    assert await line.post([tap, tap]) == 200
    assert await line.post([tap]) == 200
    assert [(n, o) for _, n, o, _ in await ballots(line)] == [(1, 0)]
    assert len(line.api.replies()) == before + 1


async def test_taps_the_batch_cannot_take_get_the_usual_answers(line: LineWorld) -> None:
    await _members(line)
    vote = await open_vote(line)
    odd = [
        ballot("U9", vote.id, 0),  # not a member: the usual path answers
        ballot("U2", vote.id, 7),  # no such option
        ballot("U3", vote.id + 99, 0),  # no such vote
        postback_event("U1", f"action=ballot&v={vote.id}&o=x"),  # a button that does not parse
        ballot("U1", vote.id, 1),  # fine, among them
    ]
    assert await line.post(odd) == 200
    assert [(n, o) for _, n, o, _ in await ballots(line)] == [(1, 1)]
    replies = _replies_to(line, odd)
    assert all(replies[e["webhookEventId"]] for e in odd), "every tap got an answer"
    texts = {e["webhookEventId"]: replies[e["webhookEventId"]][0]["text"] for e in odd}
    assert "読み取れませんでした" in texts[odd[3]["webhookEventId"]]
    assert "に投票しました" in texts[odd[4]["webhookEventId"]]
    for event in odd[:3]:
        assert "投票しました" not in texts[event["webhookEventId"]]


async def test_when_the_batch_fails_each_tap_is_cast_the_usual_way(
    line: LineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _members(line)
    vote = await open_vote(line)

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the batch broke")

    monkeypatch.setattr(line.hub.votes, "cast_taps", broken)
    taps = [ballot(u, vote.id, 0) for u in USERS]
    assert await line.post(taps) == 200
    assert [(n, o) for _, n, o, _ in await ballots(line)] == [(1, 0), (2, 0), (3, 0)]
    replies = _replies_to(line, taps)
    assert all("に投票しました" in replies[t["webhookEventId"]][0]["text"] for t in taps)


def test_only_well_formed_ballot_taps_skip_the_sdk_models() -> None:
    tap = ballot("U1", 3, 1)
    standby = {**ballot("U1", 3, 1), "mode": "standby"}
    group = {**ballot("U1", 3, 1), "source": {"type": "group", "groupId": "G1", "userId": "U1"}}
    body = json.dumps({"destination": "U0", "events": [tap, standby, group, text_event("U1", "投票")]})
    parsed = parse_events(body)
    assert isinstance(parsed[0], QueuedTap) and (parsed[0].vote_id, parsed[0].option) == (3, 1)
    assert all(isinstance(e, Event) for e in parsed[1:])
    with pytest.raises(ValueError):
        parse_events('{"events": {}}')
