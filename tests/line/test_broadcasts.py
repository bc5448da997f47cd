"""Broadcasts and the weekly digest on LINE over real HTTP: multicasts in batches, LINE's 429 and 500
answered with retries that never send twice, digests turned off and on by text, held messages delivered."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.community.segments import Segment
from bot.i18n import When
from bot.line.standin import Received, text_event
from bot.line.webhook import LINE_FACE
from bot.notify import broadcasts
from storage.models import Delivery
from tests.line.conftest import LineWorld
from tests.line.test_events import TITLE, WHEN_JA, community, configure, new_event
from tests.line.test_webhook import register_on_line, who
from tests.services.test_ambassadors import register as register_directly
from tests.services.test_ambassadors import who as service_who

STAFF = "discord:staff"
MONDAY_9 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 23 November, 09:00 in Tokyo


async def members(line: LineWorld, n: int) -> list[str]:
    users = [f"U{i}" for i in range(1, n + 1)]
    for uid in users:
        await register_directly(line.hub, service_who(line.hub, uid, "line"))
    return users


def by_retry_key(line: LineWorld) -> dict[str, list[Received]]:
    """The multicasts grouped by their X-Line-Retry-Key: one key is one batch, however often it was tried
    (LINE answers a repeat of an accepted key with 409, so a batch is delivered at most once)."""
    groups: defaultdict[str, list[Received]] = defaultdict(list)
    for m in line.api.multicasts():
        groups[m.headers["X-Line-Retry-Key"]].append(m)
    return dict(groups)


async def delivered(line: LineWorld, broadcast_id: int) -> list[int]:
    async with line.hub.db.transaction() as s:
        rows = await s.scalars(
            select(Delivery.ambassador_id).where(
                Delivery.kind == "broadcast", Delivery.item_id == broadcast_id
            )
        )
        return sorted(rows.all())


def no_backoff(line: LineWorld) -> None:
    line.app[LINE_FACE].clients_by_community[community(line)].backoff = 0


# --- broadcasts ------------------------------------------------------------------------------------------
async def test_a_broadcast_goes_out_in_batches_one_text_per_language(
    line: LineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcasts, "BATCH", 2)  # stands for LINE's 500: 5 members make three multicasts
    users = await members(line, 5)
    line.api.profiles["U-en"] = {"language": "en"}
    await register_on_line(line, "U-en", "Sam")
    cid = community(line)
    draft = await line.hub.broadcasts.draft(cid, STAFF, "総会は12月12日です。", Segment())
    assert (draft.preview.line, draft.preview.pushes, draft.preview.budget_left) == (6, 6, 200)
    report = await line.hub.broadcasts.send(cid, draft.broadcast.id, STAFF)
    assert (report.line_sent, report.line_failed, report.complete) == (6, 0, True)
    sent = [(m.body["to"], m.texts) for m in line.api.multicasts() if m.body]
    ja = ["📣 海士町オフィシャルアンバサダーからのお知らせ\n\n総会は12月12日です。"]
    assert sent == [
        (users[:2], ja),
        (users[2:4], ja),
        (users[4:], ja),
        (["U-en"], ["📣 News from 海士町オフィシャルアンバサダー\n\n総会は12月12日です。"]),
    ]
    assert len(by_retry_key(line)) == 4  # each multicast its own retry key
    assert await line.hub.notifier.budget.used(cid) == 6
    assert len(await delivered(line, draft.broadcast.id)) == 6


async def test_429_and_500_in_the_middle_are_retried_and_nobody_gets_it_twice(
    line: LineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcasts, "BATCH", 2)
    users = await members(line, 5)
    no_backoff(line)
    cid = community(line)
    # The first batch goes through; LINE answers the second with 500, then 429, then accepts it.
    line.api.multicast_failures.extend([0, 500, 429])
    draft = await line.hub.broadcasts.draft(cid, STAFF, "台風のため明日の清掃は中止です。", Segment())
    report = await line.hub.broadcasts.send(cid, draft.broadcast.id, STAFF)
    assert (report.line_sent, report.line_failed, report.complete) == (5, 0, True)
    tried = [m.body["to"] for m in line.api.multicasts() if m.body]
    assert tried == [users[:2], users[2:4], users[2:4], users[2:4], users[4:]]
    batches = by_retry_key(line)
    assert sorted(len(tries) for tries in batches.values()) == [1, 1, 3]  # the retries kept their key
    got = [uid for tries in batches.values() for uid in (tries[0].body or {})["to"]]
    assert sorted(got) == users  # each member in exactly one batch
    assert len(await delivered(line, draft.broadcast.id)) == 5
    assert await line.hub.notifier.budget.used(cid) == 5


async def test_a_batch_refused_after_its_retries_is_sent_again_to_those_only(
    line: LineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcasts, "BATCH", 2)
    users = await members(line, 5)
    no_backoff(line)
    cid = community(line)
    line.api.multicast_failures.extend([0, 500, 500, 429])  # the second batch fails three times: given up
    draft = await line.hub.broadcasts.draft(cid, STAFF, "お知らせ", Segment())
    report = await line.hub.broadcasts.send(cid, draft.broadcast.id, STAFF)
    assert (report.line_sent, report.line_failed, report.broadcast.status) == (3, 2, "sending")
    assert await line.hub.notifier.budget.used(cid) == 3  # the two refused pushes were given back
    assert len(await delivered(line, draft.broadcast.id)) == 3
    again = await line.hub.broadcasts.resume(cid, draft.broadcast.id, STAFF)
    assert (again.line_sent, again.line_failed, again.broadcast.status) == (2, 0, "sent")
    assert [m.body["to"] for m in line.api.multicasts() if m.body][-1] == users[2:4]
    batches = list(by_retry_key(line).values())
    assert [len(tries) for tries in batches] == [1, 3, 1, 1]  # the refused batch again under a new key
    accepted = [tries[0] for tries in batches if len(tries) == 1]  # the refused key's tries all failed
    assert sorted(uid for m in accepted for uid in (m.body or {})["to"]) == users  # everyone once
    assert await line.hub.notifier.budget.used(cid) == 5


# --- the weekly digest -----------------------------------------------------------------------------------
async def test_the_digest_is_turned_off_and_on_by_text(line: LineWorld) -> None:
    await register_on_line(line, "U1")
    await line.post([text_event("U1", "ダイジェスト停止")])
    assert line.last_reply() == [
        "毎週のダイジェストを止めました。また受け取るときは「ダイジェスト再開」と送ってください。"
    ]
    assert line.last_quick_labels()[0] == "ダイジェスト再開"
    assert not await line.hub.weekly_digest.digest_on(who(line, "U1"))
    await line.post([text_event("U1", "digest on")])  # English works too
    assert line.last_reply() == [
        "毎週のダイジェストをお届けします（次回：2026年11月23日(月) 09:00（日本時間））。"
        "止めるときは「ダイジェスト停止」と送ってください。"
    ]
    assert await line.hub.weekly_digest.digest_on(who(line, "U1"))
    await line.post([text_event("U1", "ヘルプ")])
    assert "・ダイジェスト停止／ダイジェスト再開" in line.last_reply()[0]
    await line.post([text_event("U-guest", "ダイジェスト停止")])
    assert "登録" in line.last_reply()[0]


async def test_an_opted_out_member_gets_no_digest(line: LineWorld, clock: ManualClock) -> None:
    await register_on_line(line, "U1")
    await register_on_line(line, "U2")
    await line.post([text_event("U2", "ダイジェスト停止")])
    await new_event(line)
    clock.advance(MONDAY_9 - clock.now())
    assert (await line.hub.weekly_digest.run()).sent == 1
    assert [p.body["to"] for p in line.api.pushes() if p.body] == ["U1"]


async def test_a_held_message_goes_out_in_the_next_digest_in_one_push(
    line: LineWorld, clock: ManualClock
) -> None:
    await configure(line, budget=1)
    await register_on_line(line, "U1")
    cid = community(line)
    member = (await line.hub.ambassadors.get(who(line, "U1"))).id
    event = await new_event(line)
    assert await line.hub.notifier.tell(cid, member, "discord.profile.saved") == "line"  # the month's push
    held = await line.hub.notifier.tell(
        cid, member, "event.told.promoted", title=TITLE, when=When(event.starts_at, event.ends_at)
    )
    assert held is None and len(line.api.pushes()) == 1  # not pushed, and not dropped:
    assert await line.hub.held.waiting(cid) == 1
    await configure(line, budget=3)  # the staff raised the budget before the digest
    clock.advance(MONDAY_9 - clock.now())
    run = await line.hub.weekly_digest.run()
    assert (run.sent, run.held) == (1, 0)
    digest = line.api.pushes()[-1]
    assert digest.body is not None and digest.body["to"] == "U1" and digest.headers["X-Line-Retry-Key"]
    assert digest.texts == [
        "📬 海士町オフィシャルアンバサダー 今週のダイジェスト\n\n"
        "🗓 まだ参加表明していないイベント\n"
        f"・{TITLE}　{WHEN_JA}\n\n"
        "📨 LINEの送信枠の都合でお届けできなかったお知らせ\n"
        f"・キャンセル待ちから繰り上がり、イベント「{TITLE}」（{WHEN_JA}）に参加できることになりました。"
        "ご都合が悪くなったら「不参加」を押してください。\n\n"
        "「イベント」「投票」「プロジェクト」と送ると、詳しく見て答えられます。"
        "ダイジェストを止めるには「ダイジェスト停止」と送ってください。"
    ]
    assert await line.hub.held.waiting(cid) == 0 and await line.hub.notifier.budget.used(cid) == 2
    assert (await line.hub.weekly_digest.run()).sent == 0  # once a week
    clock.advance(timedelta(days=7))  # the event is still coming and still unanswered
    assert (await line.hub.weekly_digest.run()).sent == 1
    assert "📨" not in line.api.pushes()[-1].texts[0]  # the held message went out once
