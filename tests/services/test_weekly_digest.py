"""The weekly digest and the push budget's fallbacks: due at the community's slot, one message per member
and week (also with two processes), what waits for each member, messages held when the budget is spent."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.config import settings_from_mapping
from bot.hub import Hub, open_hub
from bot.i18n import When
from bot.notify.digest_week import digest_week, next_digest_at
from storage.models import AuditEntry, Delivery, HeldMessage
from tests.conftest import settings_data
from tests.services.test_ambassadors import who
from tests.services.test_broadcasts import cid, link, person
from tests.services.test_events import expect, post
from tests.services.test_notifier import RecordingSink, with_budget
from tests.services.test_projects import post as post_project
from tests.services.test_subcommittees import make
from tests.services.test_votes import open_vote

MONDAY_9 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 23 November, 09:00 in Tokyo (ISO week 48)


@dataclass
class StaffChannel:
    notices: list[tuple[int, str]] = field(default_factory=list)

    async def post_staff_notice(self, community_id: int, text: str) -> bool:
        self.notices.append((community_id, text))
        return True


def go(clock: ManualClock, when: datetime) -> None:
    clock.advance(when - clock.now())


def attach(hub: Hub) -> tuple[RecordingSink, RecordingSink]:
    discord, line = RecordingSink("discord"), RecordingSink("line")
    hub.notifier.attach(discord)
    hub.notifier.attach(line)
    return discord, line


async def claimed(hub: Hub) -> int:
    async with hub.db.transaction() as s:
        return int(
            await s.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "digest")) or 0
        )


async def test_the_digest_goes_out_once_the_slot_has_come_and_once_a_week(
    hub: Hub, clock: ManualClock
) -> None:
    discord, _ = attach(hub)
    await person(hub, "alice")
    await person(hub, "carol")
    await hub.weekly_digest.set_digest(who(hub, "carol"), False)  # opted out
    await post(hub)  # Saturday 5 December: nobody has answered yet
    await post(hub, title="島の忘年会", start="2026-12-20 19:00")  # within three weeks from the 30th on
    # Sunday 22 November: this week's slot (Monday 16th) was before they registered.
    assert (await hub.weekly_digest.run()).sent == 0 and discord.sent == []
    go(clock, MONDAY_9 - timedelta(minutes=1))
    assert (await hub.weekly_digest.run()).communities == 0  # not yet in Tokyo
    go(clock, MONDAY_9)
    run = await hub.weekly_digest.run()
    assert (run.communities, run.sent) == (2, 1)  # both communities are due; Tabayama has no one
    assert [to for to, _ in discord.sent] == ["alice"]
    clock.advance(timedelta(hours=1))
    assert (await hub.weekly_digest.run()).sent == 0  # once a week
    clock.advance(timedelta(days=2))
    assert (await hub.weekly_digest.run()).sent == 0
    go(clock, MONDAY_9 + timedelta(days=7))
    assert (await hub.weekly_digest.run()).sent == 1 and len(discord.sent) == 2
    await hub.weekly_digest.set_digest(who(hub, "carol"), True)
    assert await hub.weekly_digest.digest_on(who(hub, "carol"))
    go(clock, MONDAY_9 + timedelta(days=14))
    assert (await hub.weekly_digest.run()).sent == 2
    assert sorted(to for to, _ in discord.sent[2:]) == ["alice", "carol"]
    assert "島の忘年会" in discord.sent[-1][1] and "島の国際交流祭" not in discord.sent[-1][1]  # past by now
    async with hub.db.transaction() as s:
        actions = (
            await s.scalars(select(AuditEntry.action).where(AuditEntry.action == "ambassador.digest"))
        ).all()
    assert len(actions) == 2
    await expect("profile.error.not_registered", hub.weekly_digest.set_digest(who(hub, "nobody"), False))


async def test_each_member_is_told_what_waits_for_them_and_nothing_else(hub: Hub, clock: ManualClock) -> None:
    discord, line = attach(hub)
    await person(hub, "alice", interests="食、教育")  # skills: none; interests match the project
    await person(hub, "U-bob", "line", interests="漁業")
    await person(hub, "eve", interests="漁業")
    await link(hub, "eve", "U-eve")  # on both apps: the digest goes to Discord only
    food = await make(hub)
    await hub.subcommittees.join(who(hub, "U-bob", "line"), food.id)
    open_event = await post(hub, title="島の食卓を囲む会")
    answered = await post(hub, title="浜辺の清掃", start="2026-12-06 10:00")
    await post(hub, title="分科会の集まり", start="2026-12-07 19:00", subcommittee_id=food.id)
    await post(hub, title="新年会", start="2027-01-20 19:00")  # too far ahead for this digest
    vote = await open_vote(hub, closes="5日")
    await hub.rsvps.answer(who(hub, "alice"), answered.id, "going")
    await hub.rsvps.answer(who(hub, "U-bob", "line"), answered.id, "declined")
    await hub.rsvps.answer(who(hub, "eve"), open_event.id, "going")
    await hub.rsvps.answer(who(hub, "eve"), answered.id, "maybe")
    await hub.votes.cast(who(hub, "alice"), vote.id, 0, "button")
    await hub.votes.cast(who(hub, "eve"), vote.id, 1, "button")
    project = await post_project(hub)  # skills: プログラミング、教育、デザイン
    go(clock, MONDAY_9)
    run = await hub.weekly_digest.run()
    assert (run.sent, run.nothing) == (2, 1)  # eve has nothing waiting: no message
    [(to, alice)] = [m for m in discord.sent if m[0] == "alice"]
    assert alice == (
        "📬 海士町オフィシャルアンバサダー 今週のダイジェスト\n\n"
        "🗓 まだ参加表明していないイベント\n"
        "・島の食卓を囲む会　2026年12月5日(土) 19:00〜21:00（日本時間）\n\n"
        "🤝 スキルや関心に合う新しいプロジェクト\n"
        f"・島の高校の情報授業（締め切り：{_jst(project.deadline)}）\n\n"
        "イベントへの参加表明は告知の投稿のボタンで、投票は /votes で。ダイジェストを止めるには /digest off。"
    )
    [(to, bob)] = line.sent
    assert to == "U-bob"
    assert "・島の食卓を囲む会" in bob and "・分科会の集まり" in bob  # his subcommittee's event too
    assert "浜辺の清掃" not in bob and "新年会" not in bob and "プロジェクト" not in bob.split("\n\n")[1]
    assert f"・#{vote.id} 島の予算をどこに使う?（締め切り：" in bob
    assert bob.endswith("ダイジェストを止めるには「ダイジェスト停止」と送ってください。")
    assert await hub.notifier.budget.used(cid(hub)) == 1  # bob's push; alice's DM is free
    assert not any(to == "eve" for to, _ in discord.sent) and not any(to == "U-eve" for to, _ in line.sent)
    assert await claimed(hub) == 3  # everyone who wanted it is done for the week, message or not


def _jst(when: datetime) -> str:
    local = when.astimezone(ZoneInfo("Asia/Tokyo"))
    weekday = "月火水木金土日"[local.weekday()]
    return f"{local.year}年{local.month}月{local.day}日({weekday}) {local:%H:%M}（日本時間）"


async def test_a_push_past_the_budget_is_held_for_the_digest_and_staff_are_told_once_a_month(
    hub: Hub, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["line"]["monthly_push_budget"] = 1
    data["communities"][0]["digest"] = {"weekday": 0, "hour": 9}
    await hub.reconfigure(settings_from_mapping(data, env={}))
    _, line = attach(hub)
    staff = StaffChannel()
    hub.notifier.attach_board(staff)
    bob = await person(hub, "U-bob", "line")
    ann = await person(hub, "U-ann", "line")
    assert await hub.notifier.tell(cid(hub), bob, "discord.profile.saved") == "line"
    told = await hub.notifier.tell(
        cid(hub), bob, "event.told.cancelled", title="祭", when=_when(), reason="台風"
    )
    assert told is None  # held, not dropped
    assert await hub.notifier.tell(cid(hub), ann, "discord.profile.saved") is None
    assert await hub.notifier.tell(cid(hub), bob, "discord.profile.saved") is None
    assert len(line.sent) == 1 and await hub.held.waiting(cid(hub)) == 3
    [(where, notice)] = staff.notices  # told once, not three times
    assert where == cid(hub) and notice.startswith(
        "⚠️ 海士町オフィシャルアンバサダー：今月（2026-11）のLINE送信枠を使い切りました（1／1通）。"
    )
    assert "次の週刊ダイジェスト（2026年11月23日(月) 09:00（日本時間））" in notice
    # Monday 30 November: the budget is still spent, so the digests wait (nothing is claimed).
    go(clock, MONDAY_9 + timedelta(days=7))
    run = await hub.weekly_digest.run()
    assert (run.sent, run.held) == (0, 2) and len(line.sent) == 1 and await claimed(hub) == 0
    # Tuesday 1 December: a new month, a new budget, the same week: one push for bob (the first in line).
    clock.advance(timedelta(days=1))
    run = await hub.weekly_digest.run()
    assert (run.sent, run.held) == (1, 1)
    to, digest = line.sent[-1]
    assert to == "U-bob"
    assert (
        "📨 LINEの送信枠の都合でお届けできなかったお知らせ\n"
        "・参加表明いただいたイベント「祭」（2026年12月5日(土) 19:00（日本時間））は中止になりました。\n"
        "理由：台風\n"
        "・保存しました。"
    ) in digest
    assert await hub.held.waiting(cid(hub)) == 1  # ann's is still waiting
    async with hub.db.transaction() as s:
        released = (
            await s.scalars(select(HeldMessage.released_at).where(HeldMessage.ambassador_id == bob))
        ).all()
    assert released == [clock.now(), clock.now()]
    # December's budget ran out again: staff are told again (once for December).
    assert await hub.notifier.tell(cid(hub), ann, "discord.profile.saved") is None
    assert len(staff.notices) == 2 and "（2026-12）" in staff.notices[1][1]
    # Without a staff channel it is logged instead.
    hub.notifier.detach_board(staff)
    with caplog.at_level(logging.WARNING):
        assert not await hub.held.tell_staff(cid(hub))
    assert any("no staff channel" in r.getMessage() for r in caplog.records)


def _when() -> When:
    return When(datetime(2026, 12, 5, 10, 0, tzinfo=UTC))


async def test_two_processes_send_each_digest_once(hub: Hub, clock: ManualClock) -> None:
    """Two hubs (two engines, as two processes would have) run the same week's digest at the same time."""
    await with_budget(hub, 1000)
    people = []
    for i in range(12):
        await person(hub, f"m{i}")
        await person(hub, f"U{i}", "line")
        people += [f"m{i}", f"U{i}"]
    await post(hub)
    first_d, first_l = attach(hub)
    other = await open_hub(hub.settings, clock=clock)
    second_d, second_l = attach(other)
    try:
        go(clock, MONDAY_9)
        runs = await asyncio.gather(
            hub.weekly_digest.run(),
            other.weekly_digest.run(),
            hub.weekly_digest.run(),
            other.weekly_digest.run(),
        )
    finally:
        await other.close()
    assert sum(r.sent for r in runs) == 24
    recipients = [to for to, _ in first_d.sent + first_l.sent + second_d.sent + second_l.sent]
    assert sorted(recipients) == sorted(people)  # everyone once, nobody twice
    assert await hub.notifier.budget.used(cid(hub)) == 12  # one push per LINE member


async def test_a_process_without_a_members_app_leaves_them_to_one_that_has_it(
    hub: Hub, clock: ManualClock
) -> None:
    line = RecordingSink("line")
    hub.notifier.attach(line)  # a process running only the LINE face
    await person(hub, "alice")
    await person(hub, "U-bob", "line")
    await post(hub)
    go(clock, MONDAY_9)
    assert (await hub.weekly_digest.run()).sent == 1 and [to for to, _ in line.sent] == ["U-bob"]
    assert await claimed(hub) == 1  # alice is left for the Discord face
    discord = RecordingSink("discord")
    hub.notifier.attach(discord)
    assert (await hub.weekly_digest.run()).sent == 1 and [to for to, _ in discord.sent] == ["alice"]


async def test_a_refused_line_push_gives_the_budget_back_and_is_tried_again(
    hub: Hub, clock: ManualClock
) -> None:
    line = RecordingSink("line", works=False)
    hub.notifier.attach(line)
    await person(hub, "U-bob", "line")
    await post(hub)
    go(clock, MONDAY_9)
    run = await hub.weekly_digest.run()
    assert (run.sent, run.failed) == (0, 1) and await hub.notifier.budget.used(cid(hub)) == 0
    line.works = True
    clock.advance(timedelta(hours=1))
    assert (await hub.weekly_digest.run()).sent == 1 and len(line.sent) == 2


def test_the_slot_is_the_communitys_weekday_and_hour_in_its_own_zone() -> None:
    data = settings_data("sqlite+aiosqlite:///unused.sqlite3")
    data["communities"][0].update(timezone="Europe/Paris", digest={"weekday": 6, "hour": 18})
    data["communities"][1]["digest"] = {"enabled": False}
    ama, taba = settings_from_mapping(data, env={}).communities
    # Sunday 25 October 2026, 18:00 in Paris, the day summer time ends (UTC+1 from 03:00).
    week = digest_week(ama, datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    assert (week.item, week.slot) == (202643, datetime(2026, 10, 25, 17, 0, tzinfo=UTC))
    assert next_digest_at(ama, datetime(2026, 10, 25, 12, 0, tzinfo=UTC)) == week.slot
    assert next_digest_at(ama, datetime(2026, 10, 25, 17, 0, tzinfo=UTC)) == datetime(
        2026, 11, 1, 17, 0, tzinfo=UTC
    )
    assert digest_week(ama, datetime(2027, 1, 1, tzinfo=UTC)).item == 202653  # ISO week 53 of 2026
    assert next_digest_at(taba, datetime(2026, 10, 25, tzinfo=UTC)) is None
