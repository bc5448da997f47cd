"""The LINE face of projects (プロジェクト, 関わりしろ): the list of projects looking for help with Apply
buttons, and project news (being among the members staff are shown when a project needs their skills).

Every rule is in the services (``hub.projects``): one application per member, none once a project is closed
or past its deadline, another community's project is "not found". Postbacks come from phones and can be
forged: an odd one gets a clear answer and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from linebot.v3.messaging import Message, QuickReplyItem

from bot.community.communities import CommunityRef
from bot.community.identity import Identity
from bot.hub import Hub
from bot.line import render
from bot.line.project_cards import ProjectCard, deadline_of, projects_carousel
from bot.line.subcommittees import id_of


class LineProjects:
    """One community's project commands on LINE."""

    def __init__(self, hub: Hub, ref: CommunityRef) -> None:
        self.hub = hub
        self.ref = ref
        self.tr = hub.tr

    def menu(self, lang: str) -> list[QuickReplyItem]:
        return render.menu_items(self.tr, lang, True)

    def _bad_button(self, lang: str) -> list[Message]:
        return [render.text(self.tr.t(lang, "line.project.error.bad_button"), self.menu(lang))]

    # --- the list -------------------------------------------------------------------------------------
    async def listing(self, who: Identity, lang: str) -> list[Message]:
        """Up to ten open projects, soonest deadline first, deadlines in the member's time zone, each with
        the member's application or an Apply button; a quick reply turns project news on or off."""
        view = await self.hub.ambassadors.get(who)  # members only: raises profile.error.not_registered
        lang = view.language
        projects = await self.hub.projects.open_projects(self.ref.id, limit=render.CARDS_SHOWN)
        applied = await self.hub.projects.my_applications(who)
        news = await self.hub.projects.project_news(who)
        quick = [
            render.postback_item(
                self.tr.t(lang, "line.project.news.turn_off" if news else "line.project.news.turn_on"),
                render.postback_data("project_news", on="0" if news else "1"),
            ),
            *self.menu(lang),
        ]
        if not projects:
            body = self.tr.t(lang, "line.projects.empty")
            if not news:
                body += "\n" + self.tr.t(lang, "line.projects.news_hint")
            return [render.text(body, quick)]
        names: dict[int, str] = {}
        if any(p.subcommittee_id is not None for p in projects):
            subs = await self.hub.subcommittees.all(self.ref.id, include_archived=True)
            names = {s.id: s.name for s in subs}
        cards = [
            ProjectCard(p, applied.get(p.id), names.get(p.subcommittee_id) if p.subcommittee_id else None)
            for p in projects
        ]
        return [*projects_carousel(self.tr, lang, view.timezone, self.ref.name, cards, quick)]

    # --- applying -------------------------------------------------------------------------------------
    async def apply(self, who: Identity, lang: str, params: Mapping[str, str]) -> list[Message]:
        """``action=project_apply&p=<id>``: apply once to an open project of this community."""
        project_id = id_of(params.get("p"))
        if project_id is None:
            return self._bad_button(lang)
        result = await self.hub.projects.apply(who, project_id)
        member = result.ambassador
        body = self.tr.t(
            member.language,
            "line.project.apply.done",
            tz=member.timezone,
            title=result.project.title,
            when=deadline_of(result.project),
        )
        return [render.text(body, self.menu(member.language))]

    # --- project news ---------------------------------------------------------------------------------
    async def set_news(self, who: Identity, lang: str, on: bool | None) -> list[Message]:
        """Opt in or out of calls for help matched to the member's skills and interests."""
        if on is None:
            return self._bad_button(lang)
        now_on = await self.hub.projects.set_project_news(who, on)
        key = "line.project.news.on" if now_on else "line.project.news.off"
        return [render.text(self.tr.t(lang, key), self.menu(lang))]
