"""The LINE digest of subcommittee channels: bundled per member, once per period, for LINE-only members."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import ManualClock
from bot.config import settings_from_mapping
from bot.hub import Hub, open_hub
from bot.notify.digests import Activity
from tests.conftest import settings_data
from tests.services.test_ambassadors import register, who
from tests.services.test_events import staff
from tests.services.test_notifier import RecordingSink


@dataclass
class Counter:
    posts: dict[int, int]
    asked: list[tuple[int, datetime]] = field(default_factory=list)

    async def channel_activity(self, channel_id: int, since: datetime) -> Activity | None:
        self.asked.append((channel_id, since))
        n = self.posts.get(channel_id, 0)
        return Activity(n, min(n, 2))


async def enable(hub: Hub, **rules: object) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["subcommittees"] = {"line_digest": True, **rules}
    await hub.reconfigure(settings_from_mapping(data, env={}))


async def setup(hub: Hub) -> tuple[RecordingSink, Counter]:
    line = RecordingSink("line")
    hub.notifier.attach(line)
    counter = Counter({101: 5, 102: 0, 103: 2})
    hub.notifier.attach_board(counter)
    cid = who(hub, "x").community_id
    names = {101: "食と農", 102: "教育", 103: "観光"}
    subs = {}
    for channel, name in names.items():
        new = await hub.subcommittees.check_new(cid, name, "", "")
        subs[channel] = await hub.subcommittees.create(
            new, staff(hub), discord_channel_id=channel, discord_role_id=1
        )
    hanako, both = who(hub, "U-hanako", "line"), who(hub, "aiko")
    await register(hub, hanako, "はなこ")
    await register(hub, both, "あいこ")  # on Discord: reads the channels herself
    for sub in subs.values():
        await hub.subcommittees.join(hanako, sub.id)
        await hub.subcommittees.join(both, sub.id)
    return line, counter


async def test_one_bundled_push_per_line_member_then_nothing_until_the_next_period(
    hub: Hub, clock: ManualClock
) -> None:
    await enable(hub)
    line, counter = await setup(hub)
    created = clock.now()
    clock.advance(timedelta(hours=1))
    first = clock.now()
    run = await hub.digests.run()
    assert (run.subcommittees, run.sent, run.unreached) == (2, 1, 0)
    assert {since for _, since in counter.asked} == {created}  # the first digest covers all since creation
    [(to, text)] = line.sent
    assert to == "U-hanako"
    assert "・「食と農」新しい投稿 5件（2人）" in text and "・「観光」新しい投稿 2件（2人）" in text
    assert "教育" not in text  # no news there
    assert (await hub.digests.run()).sent == 0 and len(line.sent) == 1  # not due again yet
    clock.advance(timedelta(days=7))
    asked = len(counter.asked)
    assert (await hub.digests.run()).sent == 1
    assert {since for _, since in counter.asked[asked:]} == {first}  # the next one from the last digest on


async def test_off_by_default_and_without_a_discord_face(hub: Hub) -> None:
    line, counter = await setup(hub)
    assert (await hub.digests.run()).sent == 0 and counter.asked == []
    await enable(hub)
    hub.notifier.detach_board(counter)
    assert (await hub.digests.run()).sent == 0 and line.sent == []


async def test_two_processes_send_each_digest_once(hub: Hub, clock: ManualClock) -> None:
    await enable(hub)
    line, counter = await setup(hub)
    other = await open_hub(hub.settings, clock=clock)
    other.notifier.attach(line)
    other.notifier.attach_board(counter)
    try:
        runs = await asyncio.gather(hub.digests.run(), other.digests.run())
    finally:
        await other.close()
    assert sum(r.subcommittees for r in runs) == 2
    texts = "\n".join(text for _, text in line.sent)
    assert texts.count("食と農") == 1 and texts.count("観光") == 1


async def test_a_spent_budget_is_counted_not_hidden(hub: Hub) -> None:
    await enable(hub)
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["subcommittees"] = {"line_digest": True}
    data["communities"][0]["line"]["monthly_push_budget"] = 0
    await hub.reconfigure(settings_from_mapping(data, env={}))
    await setup(hub)
    run = await hub.digests.run()
    assert (run.sent, run.unreached) == (0, 1)
