"""Projects (プロジェクト, 関わりしろ): a local issue needing skills, matched to members who can help.

Staff post one; the members whose skills and interests meet it (and who opted in) are found and ranked;
members apply once; staff accept or decline; closing the project records a contribution (``knowledge`` by
default) for each accepted member, once, in one transaction with the closing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.community import audit
from bot.community.ambassadors import (
    AmbassadorView,
    active_by_number,
    active_for,
    ambassador_for,
    platforms_of,
    view_of,
)
from bot.community.communities import CommunityDirectory
from bot.community.contributions import ContributionService
from bot.community.errors import DomainError
from bot.community.event_times import parse_event_time
from bot.community.identity import Identity
from bot.community.profile_rules import clean_tags
from bot.community.stages import StageChange
from bot.community.subcommittees import check_lead, name_key
from bot.community.text import clean_text, query_text, typed_number
from storage.database import Database
from storage.models import Ambassador, Project, ProjectApplication

TITLE_MAX = 100
NEEDS_MAX = 1000
PLACE_MAX = 200
MESSAGE_MAX = 500


@dataclass(frozen=True)
class ProjectDraft:
    title: str
    needs: str
    skills: str
    deadline: str
    place: str | None = None
    online: bool = False
    subcommittee_id: int | None = None


@dataclass(frozen=True)
class ProjectView:
    id: int
    community_id: int
    title: str
    needs: str
    skills: tuple[str, ...]
    place: str | None
    online: bool
    deadline: datetime
    status: str
    subcommittee_id: int | None
    applied: int
    accepted: int
    discord_thread_id: int | None

    @property
    def open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class Match:
    ambassador_id: int
    member_number: int
    score: int
    matched: tuple[str, ...]  # the project's skills the member has (as skills or interests)


@dataclass(frozen=True)
class Application:
    project: ProjectView
    ambassador: AmbassadorView
    status: str  # applied | accepted | declined
    message: str
    platform: str


@dataclass(frozen=True)
class Closed:
    project: ProjectView
    credited: tuple[int, ...]  # ambassador ids given the completion contribution
    promotions: tuple[StageChange, ...]


async def _view(s: AsyncSession, p: Project) -> ProjectView:
    counts = dict(
        (
            await s.execute(
                select(ProjectApplication.status, func.count())
                .where(
                    ProjectApplication.community_id == p.community_id, ProjectApplication.project_id == p.id
                )
                .group_by(ProjectApplication.status)
            )
        ).all()
    )
    return ProjectView(
        p.id, p.community_id, p.title, p.needs, tuple(p.skills), p.place, p.online, p.deadline, p.status,
        p.subcommittee_id, int(counts.get("applied", 0)), int(counts.get("accepted", 0)), p.discord_thread_id,
    )  # fmt: skip


async def _project(s: AsyncSession, community_id: int, project_id: int) -> Project:
    row = await s.scalar(
        select(Project).where(Project.community_id == community_id, Project.id == project_id)
    )
    if row is None:
        raise DomainError("project.error.not_found", id=project_id)
    return row


class ProjectService:
    def __init__(
        self, db: Database, clock: Clock, directory: CommunityDirectory, contributions: ContributionService
    ) -> None:
        self.db = db
        self.clock = clock
        self.directory = directory
        self.contributions = contributions

    # --- staff --------------------------------------------------------------------------------------
    async def create(
        self, community_id: int, actor: Identity, draft: ProjectDraft, *, is_staff: bool
    ) -> ProjectView:
        """Staff (or a subcommittee's lead, for their subcommittee) post a call for help."""
        now = self.clock.now()
        tz = self.directory.by_id(community_id).settings.timezone
        title = clean_text(
            draft.title, "project.error.title_empty", "project.error.title_too_long", TITLE_MAX
        )
        needs = clean_text(
            draft.needs, "project.error.needs_empty", "project.error.needs_too_long", NEEDS_MAX
        )
        skills = clean_tags(draft.skills, "skills")
        if not skills:
            raise DomainError("project.error.skills_empty")
        place = (
            clean_text(draft.place, "project.error.place_too_long", "project.error.place_too_long", PLACE_MAX)
            if draft.place and draft.place.strip()
            else None
        )
        deadline = parse_event_time(draft.deadline, now, tz).at
        if deadline <= now:
            raise DomainError("project.error.deadline_past")
        async with self.db.transaction() as s:
            await check_lead(s, actor, draft.subcommittee_id, is_staff)
            row = Project(
                community_id=community_id, title=title, needs=needs, skills=list(skills), place=place,
                online=draft.online, deadline=deadline, status="open", subcommittee_id=draft.subcommittee_id,
                created_by=f"{actor.platform}:{actor.external_id}", created_at=now,
            )  # fmt: skip
            s.add(row)
            await s.flush()
            audit.record(
                s, community_id=community_id, action="project.created", at=now, platform=actor.platform,
                detail=f"project={row.id}", actor=audit.actor_of(actor),
            )  # fmt: skip
            return await _view(s, row)

    async def matches(self, community_id: int, project_id: int, limit: int | None = None) -> list[Match]:
        """Members who opted in to calls for help and have at least one of the skills (as a skill or an
        interest), best first: more skills met, then skills over interests, then the longest involved."""
        cap = limit or self.directory.by_id(community_id).settings.projects.max_matches
        async with self.db.transaction() as s:
            project = await _project(s, community_id, project_id)
            wanted = {name_key(t): t for t in project.skills}
            applied = select(ProjectApplication.ambassador_id).where(
                ProjectApplication.project_id == project.id
            )
            rows = (
                await s.execute(
                    select(Ambassador.id, Ambassador.member_number, Ambassador.skills, Ambassador.interests)
                    .where(
                        Ambassador.community_id == community_id,
                        Ambassador.status == "active",
                        Ambassador.project_news.is_(True),
                        Ambassador.id.not_in(applied),
                    )
                    .order_by(Ambassador.member_number)
                )
            ).all()
        found: list[tuple[int, int, Match]] = []
        for aid, number, skills, interests in rows:
            as_skill = {name_key(t) for t in skills} & wanted.keys()
            as_interest = ({name_key(t) for t in interests} & wanted.keys()) - as_skill
            met = as_skill | as_interest
            if met:
                score = 2 * len(as_skill) + len(as_interest)
                matched = tuple(wanted[k] for k in wanted if k in met)
                found.append((score, number, Match(aid, number, score, matched)))
        found.sort(key=lambda x: (-x[0], x[1]))
        return [m for _, _, m in found[:cap]]

    async def decide(
        self, community_id: int, project_id: int, member: Identity | int, staff: Identity, accept: bool
    ) -> Application:
        now = self.clock.now()
        async with self.db.transaction() as s:
            project = await _project(s, community_id, project_id)
            if project.status != "open":
                raise DomainError("project.error.closed")
            found = (
                await active_by_number(s, community_id, member)
                if isinstance(member, int)
                else await active_for(s, member)
            )
            application = (
                await s.get(ProjectApplication, (project.id, found.id)) if found is not None else None
            )
            if found is None or application is None:
                raise DomainError("project.error.no_application")
            target = "accepted" if accept else "declined"
            if application.status == target:
                raise DomainError("project.error.already_decided")
            application.status = target
            application.decided_at = now
            application.decided_by = f"{staff.platform}:{staff.external_id}"
            audit.record(
                s, community_id=community_id, action=f"project.{target}", at=now, ambassador_id=found.id,
                platform=staff.platform, detail=f"project={project.id}", actor=audit.actor_of(staff),
            )  # fmt: skip
            await s.flush()
            return Application(
                await _view(s, project), view_of(found, await platforms_of(s, found)), target,
                application.message, application.platform,
            )  # fmt: skip

    async def close(self, community_id: int, project_id: int, staff: Identity) -> Closed:
        """Close once: every accepted member gets the completion contribution in the same transaction."""
        now = self.clock.now()
        category = self.directory.by_id(community_id).settings.project_category
        async with self.db.transaction() as s:
            claimed = await s.execute(
                update(Project)
                .where(
                    Project.community_id == community_id, Project.id == project_id, Project.status == "open"
                )
                .values(status="closed", closed_at=now)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                await _project(s, community_id, project_id)  # not found, or:
                raise DomainError("project.error.closed")
            project = await _project(s, community_id, project_id)
            await s.refresh(project)
            accepted = (
                await s.scalars(
                    select(Ambassador)
                    .join(ProjectApplication, ProjectApplication.ambassador_id == Ambassador.id)
                    .where(
                        ProjectApplication.project_id == project.id,
                        ProjectApplication.status == "accepted",
                        Ambassador.status == "active",
                    )
                    .order_by(Ambassador.member_number)
                )
            ).all()
            promotions: list[StageChange] = []
            if category is not None:
                for member in accepted:
                    logged = await self.contributions.append_automatic(
                        s, member, category, f"{project.title} (project #{project.id})"
                    )
                    if logged.promotion is not None:
                        promotions.append(logged.promotion)
            audit.record(
                s, community_id=community_id, action="project.closed", at=now, platform=staff.platform,
                detail=f"project={project.id} credited={len(accepted) if category else 0}",
                actor=audit.actor_of(staff),
            )  # fmt: skip
            return Closed(
                await _view(s, project),
                tuple(m.id for m in accepted) if category else (),
                tuple(promotions),
            )

    async def set_thread(self, community_id: int, project_id: int, thread_id: int) -> None:
        async with self.db.transaction() as s:
            project = await _project(s, community_id, project_id)
            project.discord_thread_id = thread_id

    # --- members ------------------------------------------------------------------------------------
    async def apply(self, who: Identity, project_id: int, message: str = "") -> Application:
        now = self.clock.now()
        text = (
            clean_text(
                message, "project.error.message_too_long", "project.error.message_too_long", MESSAGE_MAX
            )
            if message.strip()
            else ""
        )
        async with self.db.transaction() as s:
            project = await _project(s, who.community_id, project_id)
            if project.status != "open" or now >= project.deadline:
                raise DomainError("project.error.closed")
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            if await s.get(ProjectApplication, (project.id, member.id)) is not None:
                raise DomainError("project.error.already_applied", title=project.title)
            s.add(
                ProjectApplication(
                    project_id=project.id, ambassador_id=member.id, community_id=who.community_id,
                    status="applied", message=text, platform=who.platform, applied_at=now,
                )
            )  # fmt: skip
            await s.flush()
            return Application(
                await _view(s, project),
                view_of(member, await platforms_of(s, member)),
                "applied",
                text,
                who.platform,
            )

    async def set_project_news(self, who: Identity, on: bool) -> bool:
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            member.project_news = on
            return on

    async def project_news(self, who: Identity) -> bool:
        """Whether this member opted in to calls for help (and so is among the matches staff are shown)."""
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            return member.project_news

    async def my_applications(self, who: Identity) -> dict[int, str]:
        """The member's own applications: project id → status (applied, accepted or declined)."""
        async with self.db.transaction() as s:
            member = await ambassador_for(s, who)
            if member is None:
                raise DomainError("profile.error.not_registered")
            rows = await s.execute(
                select(ProjectApplication.project_id, ProjectApplication.status).where(
                    ProjectApplication.community_id == who.community_id,
                    ProjectApplication.ambassador_id == member.id,
                )
            )
            return {int(project_id): str(status) for project_id, status in rows.all()}

    # --- reading ------------------------------------------------------------------------------------
    async def get(self, community_id: int, project_id: int) -> ProjectView:
        async with self.db.transaction() as s:
            return await _view(s, await _project(s, community_id, project_id))

    async def open_projects(self, community_id: int, limit: int = 10) -> list[ProjectView]:
        now = self.clock.now()
        async with self.db.transaction() as s:
            rows = (
                await s.scalars(
                    select(Project)
                    .where(
                        Project.community_id == community_id, Project.status == "open", Project.deadline > now
                    )
                    .order_by(Project.deadline, Project.id)
                    .limit(limit)
                )
            ).all()
            return [await _view(s, p) for p in rows]

    async def search(self, community_id: int, text: str = "", limit: int = 25) -> list[ProjectView]:
        query = select(Project).where(Project.community_id == community_id)
        wanted = query_text(text)
        if wanted:
            number = typed_number(wanted)
            query = query.where(
                Project.title.ilike(f"%{wanted}%") | (Project.id == number if number is not None else False)
            )
        async with self.db.transaction() as s:
            rows = (
                await s.scalars(query.order_by(Project.created_at.desc(), Project.id.desc()).limit(limit))
            ).all()
            return [await _view(s, p) for p in rows]

    async def applications(self, community_id: int, project_id: int) -> list[Application]:
        async with self.db.transaction() as s:
            project = await _project(s, community_id, project_id)
            view = await _view(s, project)
            rows = (
                await s.execute(
                    select(ProjectApplication, Ambassador)
                    .join(Ambassador, Ambassador.id == ProjectApplication.ambassador_id)
                    .where(
                        ProjectApplication.project_id == project.id,
                        ProjectApplication.community_id == community_id,
                    )
                    .order_by(ProjectApplication.applied_at, Ambassador.member_number)
                )
            ).all()
            return [
                Application(view, view_of(a, await platforms_of(s, a)), app.status, app.message, app.platform)
                for app, a in rows
            ]
