"""Projects (プロジェクト, 関わりしろ) on Discord: calls for help matched to members' skills.

Staff (or a subcommittee's lead, for their subcommittee): /project create|review|close. Members: the Apply
button on the post, /project apply and /project news on|off. The rules (who may post, who matches, one
application each, crediting once at the close) live in ``bot.community.projects``; this cog posts, tells,
and keeps the accepted members together in a private thread.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.projects import MESSAGE_MAX, Application, ProjectDraft, ProjectView
from bot.discord_bot import guarded, send_private
from bot.discord_translator import fixed_choice
from bot.i18n import When
from cogs._limits import (
    MODAL_TITLE_MAX,
    SELECT_OPTIONS_MAX,
    SELECT_TEXT_MAX,
    THREAD_NAME_MAX,
    EmbedParts,
    Field,
    shorten,
)
from cogs._project_render import ApplyButton, apply_view, project_choice, project_embed, project_id
from cogs._render import BRAND_COLOUR
from cogs._staff import require_staff
from cogs._subcommittee_render import author_scope
from cogs._subcommittee_render import choices as subcommittee_choices
from cogs._views import ExpiredPanels, HubModal, OwnedView
from cogs.contributions import category_name, category_param

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

log = logging.getLogger(__name__)

REVIEW_SELECT = "project-review:pick"
REVIEW_BUTTONS = ("project-review:accept", "project-review:decline")
CLOSE_BUTTONS = ("project-close:confirm", "project-close:keep")
STATUS_ORDER = {"applied": 0, "accepted": 1, "declined": 2}  # the ones waiting for a decision first
SKILL_SEPARATOR = " / "  # in a message to a member whose language is not known here


def actor(interaction: discord.Interaction[Any], ref: CommunityRef) -> Identity:
    return Identity(ref.id, "discord", str(interaction.user.id))


def member_label(application: Application) -> str:
    member = application.ambassador
    return f"No.{member.member_number} {member.display_name or ''}".rstrip()


def reviewable(applications: list[Application]) -> list[Application]:
    """The applications a review shows (as many as a select menu holds), the waiting ones first."""
    ordered = sorted(applications, key=lambda a: STATUS_ORDER.get(a.status, len(STATUS_ORDER)))
    return ordered[:SELECT_OPTIONS_MAX]


class ApplyModal(HubModal):
    """An optional message to the staff with the application (from the Apply button)."""

    def __init__(self, cog: Projects, lang: str, ref: CommunityRef, project: ProjectView) -> None:
        title = shorten(
            cog.bot.t(lang, "discord.project.apply.modal_title", title=project.title), MODAL_TITLE_MAX
        )
        super().__init__(cog.bot, title)
        self.cog, self.ref, self.project_id = cog, ref, project.id
        self.message: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="project:message",
            label=cog.bot.t(lang, "discord.project.apply.message_label"),
            placeholder=cog.bot.t(lang, "discord.project.apply.message_placeholder"),
            required=False,
            max_length=MESSAGE_MAX,
            style=discord.TextStyle.paragraph,
        )
        self.add_item(self.message)

    @guarded
    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        text = await self.cog.apply_now(interaction, self.ref, self.project_id, self.message.value)
        await send_private(interaction, content=text)


class ReviewPanel(OwnedView):
    """The applications to one project: pick an applicant, then Accept or Decline."""

    def __init__(
        self, cog: Projects, owner_id: int, lang: str, ref: CommunityRef, project: ProjectView,
        applications: list[Application], chosen: int | None = None,
    ) -> None:  # fmt: skip
        super().__init__(cog.bot, owner_id, lang)
        self.cog, self.ref, self.project, self.applications = cog, ref, project, applications
        shown = reviewable(applications)
        numbers = [a.ambassador.member_number for a in shown]
        waiting = [a.ambassador.member_number for a in shown if a.status == "applied"]
        self.chosen = chosen if chosen in numbers else (waiting or numbers)[0]
        select = self.select_item(REVIEW_SELECT)
        select.placeholder = cog.bot.t(lang, "discord.project.review.placeholder")
        select.options = [
            discord.SelectOption(
                label=shorten(member_label(a), SELECT_TEXT_MAX),
                value=str(a.ambassador.member_number),
                description=cog.bot.t(lang, f"discord.project.status.{a.status}"),
                default=a.ambassador.member_number == self.chosen,
            )
            for a in shown
        ]
        self.button_item(REVIEW_BUTTONS[0]).label = cog.bot.t(lang, "discord.project.review.accept")
        self.button_item(REVIEW_BUTTONS[1]).label = cog.bot.t(lang, "discord.project.review.decline")

    @discord.ui.select(custom_id=REVIEW_SELECT, row=0, options=[discord.SelectOption(label="-", value="-")])
    @guarded
    async def pick(self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]) -> None:
        self.chosen = int(select.values[0])
        for option in select.options:
            option.default = option.value == select.values[0]
        embed = self.cog.review_embed(self.lang, self.project, self.applications, self.chosen)
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(custom_id=REVIEW_BUTTONS[0], style=discord.ButtonStyle.success, row=1)
    @guarded
    async def accept(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self.cog.decide(interaction, self, accept=True)

    @discord.ui.button(custom_id=REVIEW_BUTTONS[1], style=discord.ButtonStyle.danger, row=1)
    @guarded
    async def decline(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self.cog.decide(interaction, self, accept=False)


class ClosePanel(OwnedView):
    """Closing credits every accepted member and ends the applications: confirm first."""

    def __init__(self, cog: Projects, owner_id: int, lang: str, ref: CommunityRef, project_id: int) -> None:
        super().__init__(cog.bot, owner_id, lang)
        self.cog, self.ref, self.project_id = cog, ref, project_id
        self.button_item(CLOSE_BUTTONS[0]).label = cog.bot.t(lang, "discord.project.close.button")
        self.button_item(CLOSE_BUTTONS[1]).label = cog.bot.t(lang, "discord.project.close.keep")

    @discord.ui.button(custom_id=CLOSE_BUTTONS[0], style=discord.ButtonStyle.danger)
    @guarded
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        require_staff(interaction, self.ref)
        await interaction.response.defer()
        text = await self.cog.close_now(interaction, self.ref, self.lang, self.project_id)
        self.stop()
        await interaction.edit_original_response(content=text, view=None)

    @discord.ui.button(custom_id=CLOSE_BUTTONS[1], style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.project.close.kept"), view=None
        )


class Projects(commands.Cog):
    group = app_commands.Group(name="project", description="Projects", guild_only=True)

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ApplyButton)
        self.bot.add_view(ExpiredPanels(self.bot, REVIEW_BUTTONS + CLOSE_BUTTONS, (REVIEW_SELECT,)))

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ApplyButton)

    # --- autocomplete --------------------------------------------------------------------------------
    async def _choices(
        self, interaction: discord.Interaction[Any], current: str, *, only_open: bool
    ) -> list[app_commands.Choice[str]]:
        ref = self.bot.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return []
        now = self.bot.hub.clock.now()
        found = await self.bot.hub.projects.search(ref.id, str(current or ""))
        if only_open:
            found = [p for p in found if p.open and p.deadline > now]
        return [project_choice(p, ref.settings.timezone) for p in found]

    async def open_projects(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, only_open=True)

    async def any_projects(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, only_open=False)

    async def subcommittees(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        ref = self.bot.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return []
        return subcommittee_choices(await self.bot.hub.subcommittees.all(ref.id), current)

    # --- staff and leads: create ---------------------------------------------------------------------
    @group.command(name="create", description="Post a call for help")
    @app_commands.describe(
        title="Title",
        needs="What help is needed",
        skills="Skills wanted (comma-separated)",
        deadline="Deadline (e.g. 2026-12-20 18:00)",
        place="Place",
        online="Can be done online",
        subcommittee="Subcommittee (a lead: their own)",
    )
    @app_commands.autocomplete(subcommittee=subcommittees)
    @guarded
    async def create(
        self,
        interaction: discord.Interaction[Any],
        title: str,
        needs: str,
        skills: str,
        deadline: str,
        place: str | None = None,
        online: bool = False,
        subcommittee: str | None = None,
    ) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        hub = self.bot.hub
        staff, sub = await author_scope(hub, interaction, ref, subcommittee)
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = ProjectDraft(
            title=title, needs=needs, skills=skills, deadline=deadline, place=place, online=online,
            subcommittee_id=sub.id if sub else None,
        )  # fmt: skip
        project = await hub.projects.create(ref.id, actor(interaction, ref), draft, is_staff=staff)
        sep = self.bot.t(lang, "profile.list_separator")
        lines = [
            self.bot.t(lang, "discord.project.created", id=project.id, title=project.title),
            self.bot.t(
                lang,
                "discord.project.deadline_line",
                tz=ref.settings.timezone,
                deadline=When(project.deadline),
            ),
            self.bot.t(lang, "discord.project.skills_line", skills=sep.join(project.skills)),
            await self.post(ref, project, lang, sub.name if sub else None),
        ]
        told = unreached = 0
        matches = await hub.projects.matches(ref.id, project.id)
        for match in matches:
            delivered = await hub.notifier.tell(
                ref.id,
                match.ambassador_id,
                "project.matched",
                id=project.id,
                title=project.title,
                skills=SKILL_SEPARATOR.join(match.matched),
                deadline=When(project.deadline),
            )
            if delivered is None:
                unreached += 1
            else:
                told += 1
        lines.append(self.bot.t(lang, "discord.project.matches_told", count=len(matches), told=told))
        if unreached:
            lines.append(self.bot.t(lang, "discord.project.matches_unreached", count=unreached))
        await send_private(interaction, content="\n".join(lines))

    async def post(self, ref: CommunityRef, project: ProjectView, lang: str, subcommittee: str | None) -> str:
        """The public call for help with the Apply button; returns the line for the staff reply."""
        channel_id = ref.settings.discord.announcement_channel_id if ref.settings.discord else None
        if channel_id is None:
            return self.bot.t(lang, "discord.project.not_posted_no_channel")
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return self.bot.t(lang, "discord.project.not_posted_failed", channel=f"<#{channel_id}>")
        tr, post_lang = self.bot.hub.tr, ref.default_language
        try:
            await channel.send(
                embed=project_embed(tr, post_lang, project, subcommittee),
                view=apply_view(tr, post_lang, project),
            )
        except discord.HTTPException:
            return self.bot.t(lang, "discord.project.not_posted_failed", channel=channel.mention)
        return self.bot.t(lang, "discord.project.posted", channel=channel.mention)

    # --- members: apply, news ------------------------------------------------------------------------
    async def apply_now(
        self, interaction: discord.Interaction[Any], ref: CommunityRef, pid: int, message: str
    ) -> str:
        applied = await self.bot.hub.projects.apply(actor(interaction, ref), pid, message)
        return self.bot.t(
            applied.ambassador.language, "discord.project.apply.done", title=applied.project.title
        )

    async def open_apply(self, interaction: discord.Interaction[Any], pid: int) -> None:
        """A click on Apply (called by ``ApplyButton``, also after a restart): the form, unless it is too late
        or the member is not registered (said at once, not after they wrote a message)."""
        hub = self.bot.hub
        try:
            ref = self.bot.community_of(interaction)
            member = await hub.ambassadors.get(actor(interaction, ref))
            project = await hub.projects.get(ref.id, pid)
            if not project.open or hub.clock.now() >= project.deadline:
                raise DomainError("project.error.closed")
        except Exception as exc:  # a DynamicItem has no view error handler: answer here, log bugs
            await self.bot.report_error(interaction, exc)
            return
        await interaction.response.send_modal(ApplyModal(self, member.language, ref, project))

    @group.command(name="apply", description="Apply to a project")
    @app_commands.describe(project="Project", message="A message to the staff")
    @app_commands.autocomplete(project=open_projects)
    @guarded
    async def apply(
        self, interaction: discord.Interaction[Any], project: str, message: str | None = None
    ) -> None:
        ref = self.bot.community_of(interaction)
        text = await self.apply_now(interaction, ref, project_id(project), message or "")
        await send_private(interaction, content=text)

    @group.command(name="news", description="News of projects that fit your skills")
    @app_commands.describe(state="Receive them or not")
    @app_commands.choices(
        state=[
            fixed_choice("On (receive them)", "on", key="slash.project.news.option.state.choice.on"),
            fixed_choice("Off (stop them)", "off", key="slash.project.news.option.state.choice.off"),
        ]
    )
    @guarded
    async def news(self, interaction: discord.Interaction[Any], state: str) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        on = await self.bot.hub.projects.set_project_news(actor(interaction, ref), state == "on")
        await send_private(
            interaction, content=self.bot.t(lang, f"discord.project.news.{'on' if on else 'off'}")
        )

    # --- staff: review -------------------------------------------------------------------------------
    @group.command(name="review", description="Review the applications")
    @app_commands.describe(project="Project")
    @app_commands.autocomplete(project=any_projects)
    @guarded
    async def review(self, interaction: discord.Interaction[Any], project: str) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        found = await self.bot.hub.projects.get(ref.id, project_id(project))
        applications = await self.bot.hub.projects.applications(ref.id, found.id)
        if not found.open or not applications:
            await send_private(interaction, embed=self.review_embed(lang, found, applications))
            return
        panel = ReviewPanel(self, interaction.user.id, lang, ref, found, applications)
        embed = self.review_embed(lang, found, applications, panel.chosen)
        await send_private(interaction, embed=embed, view=panel)

    def review_embed(
        self, lang: str, project: ProjectView, applications: list[Application], chosen: int | None = None
    ) -> discord.Embed:
        """Every application in one embed (the panel's select picks among them). When their messages do
        not fit whole together they share the room, and the chosen applicant's is shown whole as well."""
        counts = {
            s: sum(1 for a in applications if a.status == s) for s in ("applied", "accepted", "declined")
        }
        summary = self.bot.t(lang, "discord.project.review.summary", **counts)
        shown = reviewable(applications)
        fields = [Field("—", self.bot.t(lang, "discord.project.review.empty"))] if not applications else []
        for a in shown:
            status = self.bot.t(lang, f"discord.project.status.{a.status}")
            via = (
                self.bot.t(lang, f"profile.platform.{a.platform}")
                if a.platform in ("discord", "line")
                else a.platform
            )
            message = a.message or self.bot.t(lang, "discord.project.review.no_message")
            fields.append(Field(f"{member_label(a)} — {status}", f"{message}\n({via})"))
        notes = []
        if len(applications) > len(shown):
            notes.append(
                self.bot.t(lang, "discord.project.review.more", shown=len(shown), count=len(applications))
            )
        if not project.open:
            notes.append(self.bot.t(lang, "discord.project.review.closed"))
        parts = EmbedParts(
            title=self.bot.t(lang, "discord.project.review.title", id=project.id, title=project.title),
            description=summary,
            fields=fields,
            footer="\n".join(notes) or None,
            colour=BRAND_COLOUR,
        )
        embed = parts.one()
        picked = next((a for a in shown if a.ambassador.member_number == chosen), None)
        if picked is not None and [f.value for f in embed.fields] != [f.value for f in fields]:
            whole = self.bot.t(
                lang,
                "discord.project.review.chosen",
                member=member_label(picked),
                message=picked.message or self.bot.t(lang, "discord.project.review.no_message"),
            )
            embed = replace(parts, description=f"{summary}\n\n{whole}").one()
        return embed

    async def decide(
        self, interaction: discord.Interaction[Any], panel: ReviewPanel, *, accept: bool
    ) -> None:
        """Record the decision, tell the member, bring an accepted one into the project's thread, then show
        the panel again with the new state."""
        ref, lang, hub = panel.ref, panel.lang, self.bot.hub
        require_staff(interaction, ref)
        await interaction.response.defer()
        decided = await hub.projects.decide(
            ref.id, panel.project.id, panel.chosen, actor(interaction, ref), accept
        )
        outcome = "accepted" if accept else "declined"
        delivered = await hub.notifier.tell(
            ref.id, decided.ambassador.id, f"project.told.{outcome}", title=decided.project.title
        )
        lines = [self.bot.t(lang, f"discord.project.review.{outcome}", member=member_label(decided))]
        if delivered is None:
            lines.append(self.bot.t(lang, "discord.project.review.not_told"))
        if accept:
            lines.append(await self.add_to_thread(interaction, ref, lang, decided))
        panel.stop()
        applications = await hub.projects.applications(ref.id, decided.project.id)
        fresh = ReviewPanel(self, panel.owner_id, lang, ref, decided.project, applications, panel.chosen)
        embed = self.review_embed(lang, decided.project, applications, fresh.chosen)
        await interaction.edit_original_response(content="\n".join(lines), embed=embed, view=fresh)

    async def add_to_thread(
        self, interaction: discord.Interaction[Any], ref: CommunityRef, lang: str, decided: Application
    ) -> str:
        """Add an accepted member to the project's private thread (made on the first acceptance)."""
        discord_id = await self.bot.hub.ambassadors.external_id(ref.id, decided.ambassador.id, "discord")
        if discord_id is None:
            return self.bot.t(lang, "discord.project.thread.not_on_discord")
        try:
            thread = await self.thread_for(ref, decided.project, interaction.user.id)
            if thread is None:
                return self.bot.t(lang, "discord.project.thread.no_channel")
            await thread.add_user(discord.Object(id=int(discord_id)))
        except discord.HTTPException as exc:
            log.warning("member not added to the project thread", extra={"status": exc.status})
            return self.bot.t(lang, "discord.project.thread.failed")
        return self.bot.t(lang, "discord.project.thread.added", thread=thread.mention)

    async def thread_for(
        self, ref: CommunityRef, project: ProjectView, staff_id: int
    ) -> discord.Thread | None:
        if project.discord_thread_id is not None:
            known = self.bot.get_channel(project.discord_thread_id)
            if isinstance(known, discord.Thread):
                return known
            try:
                fetched = await self.bot.fetch_channel(project.discord_thread_id)
            except discord.NotFound:  # deleted: a new one is made below
                fetched = None
            if isinstance(fetched, discord.Thread):
                return fetched
        channel_id = ref.settings.projects.discord_channel_id or (
            ref.settings.discord.announcement_channel_id if ref.settings.discord else None
        )
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return None
        thread = await channel.create_thread(
            name=shorten(f"#{project.id} {project.title}", THREAD_NAME_MAX),
            type=discord.ChannelType.private_thread,
            invitable=False,
            reason="project team",
        )
        await self.bot.hub.projects.set_thread(ref.id, project.id, thread.id)
        await thread.add_user(discord.Object(id=staff_id))  # the staff who accepted, to welcome them
        return thread

    # --- staff: close --------------------------------------------------------------------------------
    @group.command(name="close", description="Close a project")
    @app_commands.describe(project="Project")
    @app_commands.autocomplete(project=open_projects)
    @guarded
    async def close(self, interaction: discord.Interaction[Any], project: str) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        found = await self.bot.hub.projects.get(ref.id, project_id(project))
        if not found.open:
            raise DomainError("project.error.closed")
        text = self.bot.t(
            lang, "discord.project.close.confirm", id=found.id, title=found.title, count=found.accepted
        )
        await send_private(
            interaction, content=text, view=ClosePanel(self, interaction.user.id, lang, ref, found.id)
        )

    async def close_now(
        self, interaction: discord.Interaction[Any], ref: CommunityRef, lang: str, pid: int
    ) -> str:
        hub = self.bot.hub
        closed = await hub.projects.close(ref.id, pid, actor(interaction, ref))
        category = ref.settings.project_category
        lines = [
            self.bot.t(lang, "discord.project.close.done", id=closed.project.id, title=closed.project.title)
        ]
        if category is None:
            lines.append(self.bot.t(lang, "discord.project.close.no_category"))
            return "\n".join(lines)
        configured = ref.settings.contributions.category(category)
        points = configured.points if configured else 0
        told = 0
        for ambassador_id in closed.credited:
            delivered = await hub.notifier.tell(
                ref.id,
                ambassador_id,
                "project.told.closed",
                title=closed.project.title,
                category=category_param(self.bot, ref, category),
                points=points,
            )
            told += delivered is not None
        for change in closed.promotions:
            await hub.notifier.stage_changed(ref.id, change)
        lines.append(
            self.bot.t(
                lang, "discord.project.close.credited", count=len(closed.credited), told=told,
                category=category_name(self.bot, ref, lang, category), points=points,
            )
        )  # fmt: skip
        return "\n".join(lines)


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Projects(bot))
