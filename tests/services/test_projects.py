"""Projects (関わりしろ): matched to skills, applied to once, decided by staff, credited once at the close."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.community.identity import Identity
from bot.community.profile_rules import validate_profile
from bot.community.projects import ProjectDraft, ProjectView
from bot.hub import Hub
from tests.services.test_ambassadors import who
from tests.services.test_events import expect, staff

DRAFT = ProjectDraft(
    title="島の高校の情報授業",
    needs="プログラミングを教えられる方を探しています。オンライン可。",
    skills="プログラミング、教育、デザイン",
    deadline="2026-12-20 18:00",
    online=True,
)


async def person(hub: Hub, uid: str, interests: str, skills: str, opted_in: bool = True) -> Identity:
    ident = who(hub, uid)
    profile = validate_profile(uid, "島根", "fan", interests, skills)
    await hub.ambassadors.register(
        ident, profile, notice_version="2026-04", language="ja", timezone="Asia/Tokyo"
    )
    if opted_in:
        await hub.projects.set_project_news(ident, True)
    return ident


async def post(hub: Hub, draft: ProjectDraft = DRAFT) -> ProjectView:
    ref = hub.communities.by_key("ama")
    assert ref is not None
    return await hub.projects.create(ref.id, staff(hub), draft, is_staff=True)


async def test_matches_rank_skills_over_interests_and_respect_the_opt_in(hub: Hub) -> None:
    coder = await person(hub, "coder", "釣り", "プログラミング、デザイン")
    teacher = await person(hub, "teacher", "教育", "書道")
    both = await person(hub, "both", "教育", "プログラミング")
    await person(hub, "quiet", "", "プログラミング", opted_in=False)
    await person(hub, "fisher", "釣り", "料理")
    project = await post(hub)
    matches = await hub.projects.matches(project.community_id, project.id)
    ids = {(await hub.ambassadors.get(p)).id: p.external_id for p in (coder, teacher, both)}
    assert [(ids[m.ambassador_id], m.score) for m in matches] == [("coder", 4), ("both", 3), ("teacher", 1)]
    assert matches[0].matched == ("プログラミング", "デザイン")
    assert len(await hub.projects.matches(project.community_id, project.id, limit=2)) == 2
    await hub.projects.apply(coder, project.id, "週末なら")
    assert "coder" not in [
        ids.get(m.ambassador_id) for m in await hub.projects.matches(project.community_id, project.id)
    ]


async def test_apply_once_decide_and_close_credits_accepted_members_once(
    hub: Hub, clock: ManualClock
) -> None:
    a = await person(hub, "a", "", "プログラミング")
    b = await person(hub, "b", "", "デザイン")
    project = await post(hub)
    applied = await hub.projects.apply(a, project.id, "平日の夜にオンラインで")
    assert (applied.status, applied.project.applied, applied.platform) == ("applied", 1, "discord")
    await expect("project.error.already_applied", hub.projects.apply(a, project.id))
    await hub.projects.apply(b, project.id)
    accepted = await hub.projects.decide(project.community_id, project.id, a, staff(hub), accept=True)
    assert accepted.status == "accepted" and accepted.project.accepted == 1
    await expect(
        "project.error.already_decided",
        hub.projects.decide(project.community_id, project.id, a, staff(hub), accept=True),
    )
    declined = await hub.projects.decide(project.community_id, project.id, 2, staff(hub), accept=False)
    assert declined.status == "declined" and declined.ambassador.member_number == 2
    await expect(
        "project.error.no_application",
        hub.projects.decide(project.community_id, project.id, 99, staff(hub), accept=True),
    )
    closed = await hub.projects.close(project.community_id, project.id, staff(hub))
    a_id = (await hub.ambassadors.get(a)).id
    assert closed.project.status == "closed" and closed.credited == (a_id,)
    assert await hub.contributions.points(a) == 10 and await hub.contributions.points(b) == 0  # knowledge: 10
    await expect("project.error.closed", hub.projects.close(project.community_id, project.id, staff(hub)))
    assert await hub.contributions.points(a) == 10  # once
    await expect(
        "project.error.closed", hub.projects.apply(await person(hub, "late", "", "デザイン"), project.id)
    )
    assert (await hub.ledger.verify(project.community_id)).ok


async def test_bad_projects_are_refused(hub: Hub, clock: ManualClock) -> None:
    for draft, key in (
        (ProjectDraft("t", "n", "デザイン", "2026-11-01 10:00"), "project.error.deadline_past"),
        (ProjectDraft("t", "n", "", "2026-12-20 10:00"), "project.error.skills_empty"),
        (ProjectDraft(" ", "n", "デザイン", "2026-12-20 10:00"), "project.error.title_empty"),
        (ProjectDraft("t", "n", "デザイン", "そのうち"), "event.error.time_format"),
    ):
        await expect(key, post(hub, draft))
    project = await post(hub)
    a = await person(hub, "a", "", "デザイン")
    await expect("profile.error.not_registered", hub.projects.apply(who(hub, "nobody"), project.id))
    clock.advance(project.deadline - clock.now() + timedelta(minutes=1))
    await expect("project.error.closed", hub.projects.apply(a, project.id))
    taba = hub.communities.by_key("tabayama")
    assert taba is not None
    await expect("project.error.not_found", hub.projects.apply(Identity(taba.id, "line", "U1"), project.id))


async def test_a_lead_posts_a_project_for_their_subcommittee_only(hub: Hub) -> None:
    lead = await person(hub, "lead", "", "")
    new = await hub.subcommittees.check_new(lead.community_id, "IT部", "", "IT")
    sub = await hub.subcommittees.create(new, staff(hub))
    draft = ProjectDraft("サイト更新", "手伝って", "HTML", "2026-12-20 10:00", subcommittee_id=sub.id)
    await expect(
        "subcommittee.error.not_lead", hub.projects.create(lead.community_id, lead, draft, is_staff=False)
    )
    await hub.subcommittees.set_lead(sub.community_id, sub.id, lead, staff(hub))
    made = await hub.projects.create(lead.community_id, lead, draft, is_staff=False)
    assert made.subcommittee_id == sub.id and [
        p.id for p in await hub.projects.open_projects(lead.community_id)
    ] == [made.id]
