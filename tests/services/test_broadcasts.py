"""Broadcasts to segments: who is selected, what it costs, each member reached once on one app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from bot.community.errors import DomainError
from bot.community.profile_rules import validate_profile
from bot.community.segments import Segment, build_segment
from bot.config import settings_from_mapping
from bot.hub import Hub
from bot.notify import broadcasts
from storage.models import AuditEntry, Broadcast, Delivery
from tests.conftest import settings_data
from tests.services.test_ambassadors import who
from tests.services.test_events import expect
from tests.services.test_notifier import RecordingSink, with_budget
from tests.services.test_subcommittees import make

STAFF = "discord:staff-1"


@dataclass
class LineRecorder(RecordingSink):
    """The LINE face as the broadcasts see it: pushes (``send``) and multicasts of one text."""

    multicasts: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    refuse_calls: set[int] = field(default_factory=set)  # 1-based multicast calls LINE refuses

    async def multicast_text(self, community_id: int, external_ids: Sequence[str], text: str) -> bool:
        self.multicasts.append((tuple(external_ids), text))
        return len(self.multicasts) not in self.refuse_calls


@dataclass
class Channel:
    posts: list[str] = field(default_factory=list)
    works: bool = True

    async def post_broadcast(self, community_id: int, text: str) -> int | None:
        self.posts.append(text)
        return 4242 if self.works else None


async def person(
    hub: Hub,
    uid: str,
    platform: str = "discord",
    *,
    residence: str = "島根",
    connection: str = "fan",
    interests: str = "食、教育",
    language: str = "ja",
) -> int:
    ident = who(hub, uid, platform)
    view = await hub.ambassadors.register(
        ident,
        validate_profile(uid, residence, connection, interests, ""),
        notice_version="2026-04",
        language=language,
        timezone="Asia/Tokyo",
    )
    return view.id


async def link(hub: Hub, discord_uid: str, line_uid: str) -> None:
    code = await hub.links.issue(who(hub, discord_uid))
    await hub.links.redeem(who(hub, line_uid, "line"), code.code)


def cid(hub: Hub) -> int:
    return who(hub, "-").community_id


async def sinks(hub: Hub) -> tuple[RecordingSink, LineRecorder]:
    discord, line = RecordingSink("discord"), LineRecorder("line")
    hub.notifier.attach(discord)
    hub.notifier.attach(line)
    return discord, line


async def town(hub: Hub) -> dict[str, int]:
    """Five members: on Discord, on LINE, on both, an English speaker in France, and one who left."""
    ids = {
        "disc": await person(hub, "disc"),
        "line": await person(hub, "U-line", "line", connection="roots", interests="漁業"),
        "both": await person(hub, "both", residence="東京", interests="食"),
        "paris": await person(hub, "U-paris", "line", residence="France", language="en", interests="food"),
        "gone": await person(hub, "U-gone", "line"),
    }
    await link(hub, "both", "U-both")
    await hub.ambassadors.leave(who(hub, "U-gone", "line"))
    return ids


async def delivered(hub: Hub, broadcast_id: int) -> list[int]:
    async with hub.db.transaction() as s:
        rows = await s.scalars(
            select(Delivery.ambassador_id)
            .where(Delivery.kind == "broadcast", Delivery.item_id == broadcast_id)
            .order_by(Delivery.ambassador_id)
        )
        return list(rows.all())


# --- segments --------------------------------------------------------------------------------------------
async def test_each_filter_selects_its_members_and_the_preview_counts_each_app(hub: Hub) -> None:
    ids = await town(hub)
    food = await make(hub)
    await hub.subcommittees.join(who(hub, "U-line", "line"), food.id)
    await hub.stages.set_stage(cid(hub), 3, 3, "地域の会議で発表", STAFF)  # member No.3: "both"

    async def chosen(**filters: object) -> set[int]:
        segment = build_segment(**filters)  # type: ignore[arg-type]
        return {p.ambassador_id for p in await hub.segments.members(cid(hub), segment)}

    everyone = {ids["disc"], ids["line"], ids["both"], ids["paris"]}  # not the one who left
    assert await chosen() == everyone
    assert await chosen(min_stage=1) == everyone  # stage 1 is everyone: no filter
    assert await chosen(min_stage=3) == {ids["both"]}
    assert await chosen(interest="ＦＯＯＤ") == {ids["paris"]}  # width and case do not matter
    assert await chosen(interest="食") == {ids["disc"], ids["both"]}
    assert await chosen(subcommittee_id=food.id) == {ids["line"]}
    assert await chosen(residence="島根") == {ids["disc"], ids["line"]}
    assert await chosen(residence="JP-32") == {ids["disc"], ids["line"]}
    assert await chosen(residence="jp-13") == {ids["both"]}
    assert await chosen(residence="日本") == {ids["disc"], ids["line"], ids["both"]}
    assert await chosen(residence="FR") == {ids["paris"]}
    assert await chosen(connection="roots") == {ids["line"]}
    assert await chosen(language="English") == {ids["paris"]}
    assert await chosen(residence="島根", interest="食") == {ids["disc"]}  # all filters hold
    await with_budget(hub, 10)
    await hub.notifier.budget.claim(cid(hub), 4)
    preview = await hub.segments.preview(cid(hub), Segment())
    assert (preview.members, preview.discord, preview.line, preview.unreachable) == (4, 2, 2, 0)
    assert (preview.pushes, preview.budget_left, preview.budget_limit, preview.fits) == (2, 6, 10, True)
    await hub.ambassadors.set_identity_active(who(hub, "U-paris", "line"), False)  # blocked the account
    preview = await hub.segments.preview(cid(hub), build_segment(language="en"))
    assert (preview.members, preview.reachable, preview.unreachable, preview.pushes) == (1, 0, 1, 0)


@pytest.mark.parametrize(
    ("filters", "key"),
    [
        ({"min_stage": 5}, "segment.error.stage"),
        ({"interest": "x" * 31}, "segment.error.interest_too_long"),
        ({"residence": "Atlantis"}, "profile.error.residence_unknown"),
        ({"connection": "neighbour"}, "profile.error.connection_unknown"),
        ({"language": "fr"}, "profile.error.language_unknown"),
    ],
)
def test_a_filter_that_cannot_be_read_is_refused(filters: dict[str, object], key: str) -> None:
    with pytest.raises(DomainError) as err:
        build_segment(**filters)  # type: ignore[arg-type]
    assert err.value.key == key


async def test_another_communitys_subcommittee_is_not_found(hub: Hub) -> None:
    await town(hub)
    theirs = await make(hub, key="tabayama")
    segment = build_segment(subcommittee_id=theirs.id)
    await expect("subcommittee.error.not_found", hub.broadcasts.draft(cid(hub), STAFF, "お知らせ", segment))


# --- sending ---------------------------------------------------------------------------------------------
async def test_a_segment_gets_dms_on_discord_and_one_push_each_for_those_only_on_line(hub: Hub) -> None:
    ids = await town(hub)
    discord, line = await sinks(hub)
    await with_budget(hub, 10)
    draft = await hub.broadcasts.draft(
        cid(hub), STAFF, "島の清掃は雨天決行です。", build_segment(residence="日本")
    )
    assert not draft.in_channel and (draft.preview.discord, draft.preview.line) == (2, 1)
    assert draft.broadcast.status == "draft" and discord.sent == [] and line.multicasts == []
    report = await hub.broadcasts.send(cid(hub), draft.broadcast.id, STAFF)
    assert (report.posted, report.dms, report.line_sent, report.complete) == (None, 2, 1, True)
    text = "📣 海士町オフィシャルアンバサダーからのお知らせ\n\n島の清掃は雨天決行です。"
    assert sorted(discord.sent) == [("both", text), ("disc", text)]  # "both" is not sent it on LINE too
    assert line.multicasts == [(("U-line",), text)] and line.sent == []
    assert await hub.notifier.budget.used(cid(hub)) == 1
    assert await delivered(hub, draft.broadcast.id) == sorted([ids["disc"], ids["line"], ids["both"]])
    sent = report.broadcast
    assert (sent.status, sent.discord_recipients, sent.line_recipients, sent.line_sent) == ("sent", 2, 1, 1)
    async with hub.db.transaction() as s:
        entry = (await s.scalars(select(AuditEntry).where(AuditEntry.action == "broadcast.sent"))).one()
    assert entry.actor == STAFF and entry.detail is not None
    assert json.loads(entry.detail) == {
        "broadcast": sent.id, "segment": {"residence": "JP"}, "discord": 2, "line": 1,
    }  # fmt: skip
    await expect("broadcast.error.already_sent", hub.broadcasts.send(cid(hub), sent.id, STAFF))
    await expect("broadcast.error.already_sent", hub.broadcasts.resume(cid(hub), sent.id, STAFF))
    assert len(discord.sent) == 2 and len(line.multicasts) == 1


async def test_without_a_segment_one_post_in_the_announcement_channel_and_line_in_each_language(
    hub: Hub,
) -> None:
    await town(hub)
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["discord"]["announcement_channel_id"] = 777
    await hub.reconfigure(settings_from_mapping(data, env={}))
    discord, line = await sinks(hub)
    channel = Channel()
    hub.notifier.attach_board(channel)
    draft = await hub.broadcasts.draft(cid(hub), STAFF, "総会のお知らせ", Segment())
    assert draft.in_channel and (draft.preview.discord, draft.preview.line) == (2, 2)
    report = await hub.broadcasts.send(cid(hub), draft.broadcast.id, STAFF)
    assert (report.posted, report.dms, report.line_sent) == (True, 0, 2)
    assert channel.posts == ["📣 海士町オフィシャルアンバサダーからのお知らせ\n\n総会のお知らせ"]
    assert discord.sent == []  # the channel reaches them
    assert sorted(line.multicasts) == [
        (("U-line",), "📣 海士町オフィシャルアンバサダーからのお知らせ\n\n総会のお知らせ"),
        (("U-paris",), "📣 News from 海士町オフィシャルアンバサダー\n\n総会のお知らせ"),
    ]
    assert (await hub.broadcasts.get(cid(hub), draft.broadcast.id)).discord_message_id == 4242


async def test_a_segment_that_matches_nobody_is_refused_and_nothing_is_kept(hub: Hub) -> None:
    await town(hub)
    discord, line = await sinks(hub)
    err = await expect(
        "broadcast.error.nobody", hub.broadcasts.draft(cid(hub), STAFF, "x", build_segment(interest="宇宙"))
    )
    assert err.params == {"members": 0}
    assert "Nothing was sent" in hub.tr.error("en", err)
    async with hub.db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Broadcast)) == 0
    assert discord.sent == [] and line.multicasts == []


async def test_a_broadcast_past_the_budget_is_refused_with_the_numbers_and_nothing_is_sent(hub: Hub) -> None:
    for i in range(3):
        await person(hub, f"U{i}", "line")
    await person(hub, "disc")
    discord, line = await sinks(hub)
    await with_budget(hub, 2)
    assert await hub.notifier.budget.claim(cid(hub))  # one push already used this month
    err = await expect("broadcast.error.over_budget", hub.broadcasts.draft(cid(hub), STAFF, "x", Segment()))
    assert err.params == {"needed": 3, "left": 1, "limit": 2}
    assert hub.tr.error("ja", err).startswith(
        "LINEだけを使っている3人に届けるには3通が必要ですが、今月のLINE送信枠（2通）の残りは1通です。"
    )
    # A draft that fitted when it was made is checked again when it is sent.
    await with_budget(hub, 10)
    draft = await hub.broadcasts.draft(cid(hub), STAFF, "x", Segment())
    await with_budget(hub, 2)
    err = await expect(
        "broadcast.error.over_budget", hub.broadcasts.send(cid(hub), draft.broadcast.id, STAFF)
    )
    assert err.params == {"needed": 3, "left": 1, "limit": 2}
    assert discord.sent == [] and line.multicasts == []
    assert await hub.notifier.budget.used(cid(hub)) == 1 and await delivered(hub, draft.broadcast.id) == []
    assert (await hub.broadcasts.get(cid(hub), draft.broadcast.id)).status == "draft"


async def test_a_refused_batch_is_given_back_and_a_retry_sends_only_to_those_it_missed(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcasts, "BATCH", 2)
    users = [f"U{i}" for i in range(5)]
    for uid in users:
        await person(hub, uid, "line")
    _, line = await sinks(hub)
    line.refuse_calls = {2}  # LINE refuses the second multicast for good (after the client's retries)
    draft = await hub.broadcasts.draft(cid(hub), STAFF, "x", Segment())
    report = await hub.broadcasts.send(cid(hub), draft.broadcast.id, STAFF)
    assert (report.line_sent, report.line_failed, report.complete) == (3, 2, False)
    assert [batch for batch, _ in line.multicasts] == [("U0", "U1"), ("U2", "U3"), ("U4",)]
    assert await hub.notifier.budget.used(cid(hub)) == 3  # the refused two were given back
    assert len(await delivered(hub, draft.broadcast.id)) == 3
    assert report.broadcast.status == "sending"
    again = await hub.broadcasts.resume(cid(hub), draft.broadcast.id, "discord:staff-2")
    assert (again.line_sent, again.line_failed, again.complete) == (2, 0, True)
    assert [batch for batch, _ in line.multicasts][3:] == [("U2", "U3")]
    got = [u for batch, _ in line.multicasts[:1] + line.multicasts[2:] for u in batch]
    assert sorted(got) == users  # every member once, counting only the accepted multicasts
    assert again.broadcast.status == "sent" and again.broadcast.line_sent == 5
    assert await hub.notifier.budget.used(cid(hub)) == 5
    await expect("broadcast.error.already_sent", hub.broadcasts.resume(cid(hub), draft.broadcast.id, STAFF))


async def test_two_confirms_at_once_send_it_once(hub: Hub) -> None:
    await town(hub)
    discord, line = await sinks(hub)
    draft = await hub.broadcasts.draft(cid(hub), STAFF, "x", build_segment(language="ja"))
    results = await asyncio.gather(
        hub.broadcasts.send(cid(hub), draft.broadcast.id, STAFF),
        hub.broadcasts.send(cid(hub), draft.broadcast.id, STAFF),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1 and errors[0].key == "broadcast.error.already_sent"
    assert sorted(to for to, _ in discord.sent) == ["both", "disc"]
    assert [batch for batch, _ in line.multicasts] == [("U-line",)]
    assert await hub.notifier.budget.used(cid(hub)) == 1


async def test_a_cancelled_draft_is_never_sent(hub: Hub) -> None:
    await town(hub)
    discord, _ = await sinks(hub)
    draft = await hub.broadcasts.draft(cid(hub), STAFF, "x", Segment())
    cancelled = await hub.broadcasts.cancel(cid(hub), draft.broadcast.id, STAFF)
    assert cancelled.status == "cancelled"
    await expect("broadcast.error.cancelled", hub.broadcasts.send(cid(hub), draft.broadcast.id, STAFF))
    await expect("broadcast.error.already_sent", hub.broadcasts.cancel(cid(hub), draft.broadcast.id, STAFF))
    other = who(hub, "-", key="tabayama").community_id
    await expect("broadcast.error.not_found", hub.broadcasts.send(other, draft.broadcast.id, STAFF))
    assert discord.sent == []


@pytest.mark.parametrize(
    ("body", "key"), [("   ", "broadcast.error.empty"), ("あ" * 1501, "broadcast.error.too_long")]
)
async def test_the_text_is_checked(hub: Hub, body: str, key: str) -> None:
    await town(hub)
    await expect(key, hub.broadcasts.draft(cid(hub), STAFF, body, Segment()))
