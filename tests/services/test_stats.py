"""Programme numbers for staff: members by month against the goal, stages, contributions, turnout, activity;
and the chart drawn from them (a real PNG with Japanese labels)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageChops, ImageDraw, ImageFont

from bot.charts.fonts import japanese_font
from bot.charts.stats_chart import (
    ACCENT,
    BACKGROUND,
    BAR,
    HEIGHT,
    LIGHT,
    TITLE_SIZE,
    WIDTH,
    stats_chart,
    title_origin,
)
from bot.clock import ManualClock
from bot.community.events import EventView
from bot.community.identity import Identity
from bot.community.stats import CategoryFigure, CommunityStats, EventTurnout, MonthFigure, VoteTurnout
from bot.config import Settings, settings_from_mapping
from bot.hub import Hub
from bot.i18n import Translator
from tests.conftest import START, settings_data
from tests.services.test_ambassadors import register, who
from tests.services.test_events import post, staff
from tests.services.test_votes import open_vote


@dataclass
class Programme:
    """What ``build_programme`` made, for the assertions of the tests that use it."""

    a: Identity
    b: Identity
    c: Identity
    d: Identity
    e: Identity
    held: EventView  # took place: a and b going, a checked in
    vote_id: int
    pending_seq: int  # a's knowledge claim still waiting
    removed_seq: int  # d's promotion claim that staff took back


async def with_goal(hub: Hub, goal: int | None = 2500) -> None:
    data = settings_data(hub.settings.database.url)
    data["communities"][0]["goal_members"] = goal
    await hub.reconfigure(settings_from_mapping(data, env={}))


async def build_programme(hub: Hub, clock: ManualClock) -> Programme:
    """Ama-cho from 22 Nov 2026 to 20 Jan 2027 (clock left there), with a partner community beside it.

    November: a, b, c (LINE) and e register; a logs a promotion (approved) and a knowledge claim (left
    waiting), b two knowledge claims (approved), c one (rejected); a thanks b; a vote is opened, a votes and
    staff close it; events: one held on 5 Dec (a and b going, c maybe), one cancelled, one in February.
    d registers at 01:00 on 1 Dec in Japan (still 30 Nov in UTC). 5 Dec: a checks in. 10 Dec: c leaves.
    10 Jan: d logs a promotion, approved then taken back by staff, and another approved."""
    assert clock.now() == START
    cid = who(hub, "-").community_id
    a, b, c, e = who(hub, "a"), who(hub, "b"), who(hub, "U-c", "line"), who(hub, "e")
    for person, name in ((a, "あおい"), (b, "ばんり"), (c, "ちはる"), (e, "えいた")):
        await register(hub, person, name)

    async def approved(person: Identity, category: str, text: str) -> int:
        claim = await hub.contributions.log(person, category, text)
        await hub.contributions.review(cid, claim.seq, staff(hub), approve=True)
        return claim.seq

    await approved(a, "promotion", "島の写真をSNSで紹介")
    pending = await hub.contributions.log(a, "knowledge", "観光パンフレットの英訳")
    for text in ("高校で授業をした", "移住相談会で話した"):
        await approved(b, "knowledge", text)
    refused = await hub.contributions.log(c, "knowledge", "証拠のない申告")
    await hub.contributions.review(cid, refused.seq, staff(hub), approve=False, reason="内容が確認できません")
    await hub.contributions.thank(a, b, "案内ありがとう")
    vote = await open_vote(hub)
    await hub.votes.cast(a, vote.id, 0, "reaction")
    await hub.votes.close(cid, vote.id, staff(hub))
    held = await post(hub, title="浜辺の清掃")
    dropped = await post(hub, title="釣り大会", start="2026-12-12 09:00")
    await post(hub, title="春の植樹", start="2027-02-01 10:00")
    await hub.rsvps.answer(a, held.id, "going")
    await hub.rsvps.answer(b, held.id, "going")
    await hub.rsvps.answer(c, held.id, "maybe")
    await hub.rsvps.answer(a, dropped.id, "going")
    await hub.events.cancel(cid, dropped.id, staff(hub), "台風")
    # The partner community's numbers stay its own.
    x = who(hub, "x", key="tabayama")
    await register(hub, x, "よそのひと")
    await hub.contributions.log(x, "promotion", "丹波山の紹介")

    clock.advance(datetime(2026, 11, 30, 16, 0, tzinfo=UTC) - clock.now())  # 1 Dec, 01:00 in Tokyo
    d = who(hub, "d")
    await register(hub, d, "だいち")
    clock.advance(held.starts_at - clock.now() + timedelta(minutes=20))
    await hub.checkins.with_code(a, held.checkin_code)
    clock.advance(datetime(2026, 12, 10, 3, 0, tzinfo=UTC) - clock.now())
    await hub.ambassadors.leave(c)
    clock.advance(datetime(2027, 1, 10, 3, 0, tzinfo=UTC) - clock.now())
    removed = await approved(d, "promotion", "間違えて記録")
    await hub.moderation.remove_contribution(cid, removed, staff(hub), "重複")
    await approved(d, "promotion", "ラジオで島を紹介")
    clock.advance(datetime(2027, 1, 20, 3, 0, tzinfo=UTC) - clock.now())
    return Programme(a, b, c, d, e, held, vote.id, pending.seq, removed)


async def test_the_numbers_of_a_programme(hub: Hub, clock: ManualClock) -> None:
    await with_goal(hub)
    p = await build_programme(hub, clock)
    stats = await hub.stats.overview(p.a.community_id)
    assert stats.members == 4 and stats.goal == 2500 and stats.goal_percent == 100 * 4 / 2500
    assert stats.members_by_month[-3:] == (
        MonthFigure("2026-11", 4),
        MonthFigure("2026-12", 4),  # d joined (1 Dec in Japan), c left
        MonthFigure("2027-01", 4),
    )
    assert [f.month for f in stats.members_by_month] == [
        *(f"2026-{m:02d}" for m in range(2, 13)),
        "2027-01",
    ]
    assert [f.value for f in stats.members_by_month[:9]] == [0] * 9
    assert stats.joined_by_month[-3:] == (
        MonthFigure("2026-11", 4),
        MonthFigure("2026-12", 1),
        MonthFigure("2027-01", 0),
    )
    # a: 2 + 5 (check-in) = 7 → stage 2; b: 20 + 1 → stage 3; d: 2 → stage 2; e: nothing → stage 1.
    assert stats.stages == (1, 2, 1, 0)
    assert stats.categories == (
        CategoryFigure("knowledge", 2, 20),  # b's two approvals; a's waiting claim and c's rejection not
        CategoryFigure("promotion", 2, 4),  # a and d (d's other one was taken back)
        CategoryFigure("local_activity", 1, 5),
        CategoryFigure("thanks", 1, 1),
    )
    assert stats.events == (
        EventTurnout(p.held.id, "浜辺の清掃", p.held.starts_at, going=2, checked_in=1),
    )  # the cancelled one and the one in February are left out
    assert (stats.events_going, stats.events_checked_in, stats.event_percent) == (2, 1, 50.0)
    [vote] = stats.votes
    assert vote == VoteTurnout(p.vote_id, "島の予算をどこに使う?", vote.closed_at, 1, 4)
    assert vote.percent == 25.0
    # Within 90 days: a, b (thanked) and d; e did nothing and c left. Within 30 days: only d.
    assert (stats.active_30, stats.active_90) == (1, 3)


async def test_an_empty_community_and_no_goal(hub: Hub) -> None:
    cid = who(hub, "-").community_id
    stats = await hub.stats.overview(cid)
    assert (stats.members, stats.goal, stats.goal_percent) == (0, None, None)
    assert (
        stats.stages == (0, 0, 0, 0) and stats.categories == () and stats.events == () and stats.votes == ()
    )
    assert all(f.value == 0 for f in stats.members_by_month + stats.joined_by_month)
    assert (stats.active_30, stats.active_90, stats.event_percent) == (0, 0, 0.0)
    png = stats_chart(stats, hub.tr, "ja", hub.communities.by_id(cid).settings, "2026-11-22")
    assert Image.open(io.BytesIO(png)).size == (WIDTH, HEIGHT)


# --- the chart -------------------------------------------------------------------------------------------
def sample_stats() -> CommunityStats:
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    return CommunityStats(
        community_id=1,
        as_of=START,
        members=412,
        goal=2500,
        members_by_month=tuple(MonthFigure(m, 30 * (i + 1)) for i, m in enumerate(months)),
        joined_by_month=tuple(MonthFigure(m, 30) for m in months),
        stages=(300, 80, 25, 7),
        categories=(CategoryFigure("local_activity", 120, 600), CategoryFigure("knowledge", 40, 400)),
        events=(
            EventTurnout(3, "浜辺の清掃", START, 15, 12),
            EventTurnout(2, "島の食卓を囲む会", START, 20, 18),
        ),
        events_going=35,
        events_checked_in=30,
        votes=(VoteTurnout(7, "島の予算をどこに使う？", START, 120, 400),),
        active_30=95,
        active_90=180,
    )


def draw_alone(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, box: tuple[int, int]
) -> Image.Image:
    image = Image.new("RGB", box, BACKGROUND)
    ImageDraw.Draw(image).text((0, 0), text, font=font, fill=(40, 40, 40))
    return image


def test_the_chart_is_a_real_png_with_its_bars_and_japanese_labels(settings: Settings) -> None:
    data = stats_chart(sample_stats(), Translator(), "ja", settings.communities[0], "2026年11月22日")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT) == (1200, 1056)
    colours = dict((c, n) for n, c in image.getcolors(maxcolors=1_000_000) or [])
    assert colours.get(BAR, 0) > 5_000 and colours.get(ACCENT, 0) > 2_000 and colours.get(LIGHT, 0) > 500
    # Text in the header: enough dark pixels where the title is.
    header = image.crop((20, 10, 700, 80))
    dark = sum(1 for px in header.get_flattened_data() if isinstance(px, tuple) and sum(px) < 300)
    assert dark > 500
    # The first panel's title is drawn in IPAex Gothic: the region equals the label drawn alone in that
    # font, and differs from a blank region and from the same text in a font without Japanese glyphs.
    label = "アンバサダー数（各月末）"
    x, y = title_origin(0)
    font = japanese_font(TITLE_SIZE)
    width = int(font.getlength(label)) + 4
    region = image.crop((x, y, x + width, y + 28))
    alone = draw_alone(label, font, (width, 28))
    assert ImageChops.difference(region, alone).getbbox() is None
    assert ImageChops.difference(region, Image.new("RGB", (width, 28), BACKGROUND)).getbbox() is not None
    tofu = draw_alone(label, ImageFont.load_default(size=TITLE_SIZE), (width, 28))
    assert ImageChops.difference(region, tofu).getbbox() is not None
    # The goal bar is drawn in proportion: 412 of 2,500 is about a sixth of its track.
    x0, _, x1, _ = (title_origin(0)[0], 0, title_origin(0)[0] + 542, 0)
    goal_row = [image.getpixel((x, y + 34 + 30)) for x in range(x0, x1)]
    share = sum(1 for px in goal_row if px == ACCENT) / len(goal_row)
    assert 0.14 < share < 0.19
