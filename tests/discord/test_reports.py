"""Numbers, exports and statements on Discord, acted out in SimCord: staff see /stats with its chart and take
/export files (UTF-8 with BOM); members are refused both; a member takes their /statement, staff issue one."""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bot.charts.stats_chart import HEIGHT, WIDTH
from bot.clock import ManualClock
from bot.community.exports import KINDS
from bot.config import settings_from_mapping
from storage.models import AuditEntry
from tests.conftest import settings_data
from tests.discord.conftest import World
from tests.discord.test_events import NOT_STAFF, member
from tests.discord.test_registration import who
from tests.services.test_events import staff as service_staff
from tests.services.test_stats import build_programme

PNG = b"\x89PNG\r\n\x1a\n"
BOM = b"\xef\xbb\xbf"


async def with_staff(world: World, goal: int | None = 2500) -> Any:
    """The staff role configured (and the goal); returns a staff member."""
    staff_role = world.guild.create_role("運営スタッフ")
    data = settings_data(world.hub.settings.database.url)
    community = data["communities"][0]
    community["discord"].update(ambassador_role_id=world.role.id, staff_role_id=staff_role.id)
    community["goal_members"] = goal
    await world.hub.reconfigure(settings_from_mapping(data, env={}))
    return world.guild.add_member(world.env.create_user("staff"), roles=[staff_role])


async def audits(world: World, action: str) -> list[AuditEntry]:
    async with world.hub.db.transaction() as s:
        return list((await s.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_stats_shows_the_numbers_and_the_chart_to_staff(world: World, clock: ManualClock) -> None:
    await build_programme(world.hub, clock)
    staff = await with_staff(world)
    result = await staff.slash(world.channel, "stats")
    reply = world.last_ephemeral(result)
    assert reply.ephemeral
    embed = reply.embeds[0]
    assert embed.title == "📊 海士町オフィシャルアンバサダー: the numbers"  # SimCord's client speaks en-US
    shown = {f.name: f.value for f in embed.fields}
    assert shown["Ambassadors"] == "4 (0.2% of the goal of 2,500)"
    assert shown["Active members"] == "1 in the last 30 days, 3 in the last 90"
    assert shown["Stages of involvement"].splitlines()[:2] == ["1. Interested: 1", "2. Involved: 2"]
    assert "Lending expertise: 2 entries, 20 pt" in shown["Contributions (approved)"]
    assert "浜辺の清掃: 1/2" in shown["Event turnout (checked in / going)"]
    assert "1/4 (25%)" in shown["Turnout of the latest votes"]
    [chart] = reply.attachments
    assert chart.filename == "ama-stats.png" and embed.image.url == "attachment://ama-stats.png"
    data = await chart.read()
    assert data.startswith(PNG) and Image.open(io.BytesIO(data)).size == (WIDTH, HEIGHT)


async def test_export_gives_staff_each_kind_as_an_excel_ready_file(world: World, clock: ManualClock) -> None:
    await build_programme(world.hub, clock)
    staff = await with_staff(world)
    first_columns = {
        "ambassadors": "Member number",
        "contributions": "Record number",
        "attendance": "Event ID",
        "votes": "Vote ID",
    }
    for kind in KINDS:
        result = await staff.slash(world.channel, "export", kind=kind)
        reply = world.last_ephemeral(result)
        assert reply.ephemeral and "Excel opens it" in reply.content
        [attachment] = reply.attachments
        assert attachment.filename == f"ama-{kind}-20270120.csv"
        data = await attachment.read()
        assert data.startswith(BOM) and b"\r\n" in data
        assert data[len(BOM) :].decode("utf-8").split(",", 1)[0] == first_columns[kind]
    logged = await audits(world, "export")
    assert [(a.actor, a.platform, a.detail.split()[0] if a.detail else "") for a in logged] == [
        (f"discord:{staff.id}", "discord", f"kind={kind}") for kind in KINDS
    ]


async def test_members_are_refused_the_staff_commands(world: World, clock: ManualClock) -> None:
    await with_staff(world)
    alice = await member(world, "Alice")
    for name, options in (
        ("stats", {}),
        ("export", {"kind": "ambassadors"}),
        ("statement issue", {"member": 1, "year": 2026}),
    ):
        result = await alice.slash(world.channel, name, **options)
        reply = world.last_ephemeral(result)
        assert result.ephemeral and NOT_STAFF in reply.content, name
        assert reply.attachments == []
    assert await audits(world, "export") == [] and await audits(world, "statement.issued") == []


async def test_a_member_takes_their_statement_and_staff_issue_one(world: World, clock: ManualClock) -> None:
    staff = await with_staff(world)
    alice = await member(world, "Alice")
    me = who(world, alice)
    claim = await world.hub.contributions.log(me, "local_activity", "浜辺の清掃を手伝った", "2026-05-03")
    await world.hub.contributions.review(me.community_id, claim.seq, service_staff(world.hub), approve=True)
    result = await alice.slash(world.channel, "statement mine")
    reply = world.last_ephemeral(result)
    assert reply.ephemeral and reply.content.startswith("Your activity statement for 2026 (1 approved")
    pdf, document = reply.attachments
    assert (pdf.filename, document.filename) == ("ama-statement-2026-no1.pdf", "ama-statement-2026-no1.json")
    text = PdfReader(io.BytesIO(await pdf.read())).pages[0].extract_text()
    assert "Statement of activities" in text and "Alice" in text and "浜辺の清掃を手伝った" in text
    body = (await document.read()).decode("utf-8")
    assert json.loads(body)["activities"][0]["description"] == "浜辺の清掃を手伝った"
    assert (await world.hub.statements.verify(body)).ok
    earlier = world.last_ephemeral(await alice.slash(world.channel, "statement mine", year=2025))
    assert "(0 approved" in earlier.content
    future = world.last_ephemeral(await alice.slash(world.channel, "statement mine", year=2030))
    assert future.attachments == [] and "Choose a year from 2000 to 2026" in future.content

    issued = world.last_ephemeral(await staff.slash(world.channel, "statement issue", member=1, year=2026))
    assert issued.content.startswith("Issued the 2026 activity statement of No. 1 Alice")
    assert [a.filename for a in issued.attachments] == [
        "ama-statement-2026-no1.pdf",
        "ama-statement-2026-no1.json",
    ]
    [entry] = await audits(world, "statement.issued")
    assert entry.actor == f"discord:{staff.id}" and entry.detail is not None and "year=2026" in entry.detail
    unknown = world.last_ephemeral(await staff.slash(world.channel, "statement issue", member=99, year=2026))
    assert unknown.attachments == [] and "No. 99" in unknown.content
