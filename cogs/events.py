"""Events on Discord: staff post, edit and cancel them; members answer with buttons, check in, list them.

Staff: /event create|edit|cancel|checkin|code|attendees. Members: the RSVP buttons on the announcement,
/checkin, /events and /calendar. The rules (capacity, waiting list, when answers close, check-in windows)
live in the services; this cog translates between them and Discord.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.calendar import calendar_file
from bot.community.checkins import CheckinResult
from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.events import AttendanceRow, EventChange, EventDraft, EventView
from bot.community.identity import Identity
from bot.community.text import typed_number
from bot.discord_bot import guarded, send_private
from bot.i18n import Msg, When
from cogs._event_render import (
    EventAnnouncements,
    RsvpButton,
    announcement,
    discord_span,
    joined_fields,
    where_text,
)
from cogs._limits import (
    CHOICE_NAME_MAX,
    SCHEDULED_DESCRIPTION_MAX,
    SCHEDULED_LOCATION_MAX,
    SCHEDULED_NAME_MAX,
    EmbedParts,
    Field,
    line_fields,
    shorten,
)
from cogs._pages import page_buttons, send_pages
from cogs._render import BRAND_COLOUR
from cogs._staff import is_staff, require_staff
from cogs._subcommittee_render import author_scope, subcommittee_options
from cogs._views import ExpiredPanels, OwnedView
from cogs.contributions import category_name

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

CANCEL_BUTTONS = ("event-cancel:confirm", "event-cancel:keep")
PAGES = "event-pages"
EVENTS_LISTED = 100  # /events shows every upcoming event (of the next hundred), in pages
WHERE_SHOWN = 200
ATTENDANCE_ORDER = ("going", "waitlist", "maybe", "declined", "walk-in")


def staff_identity(interaction: discord.Interaction[Any], ref: CommunityRef) -> Identity:
    return Identity(ref.id, "discord", str(interaction.user.id))


def attendee_line(row: AttendanceRow) -> str:
    return f"{'✅' if row.checked_in else '・'} No.{row.member_number} {row.display_name or ''}".rstrip()


def when_of(event: EventView) -> When:
    return When(event.starts_at, event.ends_at)


def local(event: EventView) -> datetime:
    return event.starts_at.astimezone(ZoneInfo(event.timezone))


def event_id(raw: str) -> int:
    """The event staff picked: autocomplete sends its number; 「#12」 or 「12 祭り」 typed also work.

    The option is text, not a number, so that staff can search by title while typing."""
    head = raw.strip().lstrip("#").split(" ")[0] if raw.strip() else ""
    number = typed_number(head)
    if number is None:
        raise DomainError("event.error.not_found", id=raw.strip()[:30])
    return number


def event_choice(event: EventView, tz: str) -> app_commands.Choice[str]:
    """「#12 浜辺の清掃 (2026/12/05 19:00)」 in the community zone (choices have no reader timestamps)."""
    date = event.starts_at.astimezone(ZoneInfo(tz)).strftime("%Y/%m/%d %H:%M")
    suffix = f" ({date})"
    head = f"#{event.id} "
    title = shorten(event.title, CHOICE_NAME_MAX - len(head) - len(suffix))
    return app_commands.Choice(name=f"{head}{title}{suffix}", value=str(event.id))


class CancelPanel(OwnedView):
    """Cancelling tells everyone who answered and cannot be undone: staff confirm it first."""

    def __init__(self, cog: Events, owner_id: int, lang: str, ref: CommunityRef, event_id: int, reason: str):
        super().__init__(cog.bot, owner_id, lang)
        self.cog, self.ref, self.event_id, self.reason = cog, ref, event_id, reason
        self.button_item("event-cancel:confirm").label = cog.bot.t(
            lang, "discord.event.cancel.confirm_button"
        )
        self.button_item("event-cancel:keep").label = cog.bot.t(lang, "discord.event.cancel.keep_button")

    @discord.ui.button(custom_id="event-cancel:confirm", style=discord.ButtonStyle.danger)
    @guarded
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await interaction.response.defer()
        hub = self.bot.hub
        change = await hub.events.cancel(
            self.ref.id, self.event_id, staff_identity(interaction, self.ref), self.reason,
            is_staff=is_staff(interaction, self.ref),
        )  # fmt: skip
        self.stop()
        await hub.notifier.event_changed(self.ref.id, change.event.id)
        scheduled_ok = await self.cog.cancel_scheduled(self.ref, change.event)
        told = await self.cog.tell_all(
            self.ref,
            change.notify,
            "event.told.cancelled",
            title=change.event.title,
            when=when_of(change.event),
            reason=change.event.cancel_reason or "",
        )
        lines = [
            self.bot.t(
                self.lang,
                "discord.event.cancel.done",
                id=change.event.id,
                title=change.event.title,
                told=told,
                count=len(change.notify),
            )
        ]
        if not scheduled_ok:
            lines.append(self.bot.t(self.lang, "discord.event.scheduled.not_updated"))
        await interaction.edit_original_response(content="\n".join(lines), view=None)

    @discord.ui.button(custom_id="event-cancel:keep", style=discord.ButtonStyle.secondary)
    async def keep(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.event.cancel.kept"), view=None
        )


class Events(commands.Cog):
    event_group = app_commands.Group(name="event", description="Events (staff)", guild_only=True)

    def __init__(self, bot: HubBot) -> None:
        self.bot = bot
        self.board = EventAnnouncements(bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RsvpButton)
        self.bot.add_view(ExpiredPanels(self.bot, CANCEL_BUTTONS + page_buttons(PAGES), ()))
        self.bot.hub.notifier.attach_board(self.board)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RsvpButton)
        self.bot.hub.notifier.detach_board(self.board)

    # --- autocomplete --------------------------------------------------------------------------------
    async def _choices(
        self, interaction: discord.Interaction[Any], current: str, *, include_past: bool
    ) -> list[app_commands.Choice[str]]:
        ref = self.bot.hub.communities.by_guild(interaction.guild_id)
        if ref is None:
            return []
        found = await self.bot.hub.events.search(ref.id, str(current or ""), include_past=include_past)
        return [event_choice(e, ref.settings.timezone) for e in found]

    async def upcoming_events(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, include_past=False)

    async def any_events(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, include_past=True)

    # --- staff: create, edit, cancel -----------------------------------------------------------------
    @event_group.command(name="create", description="Create and announce an event")
    @app_commands.describe(
        title="Title",
        start="Start (e.g. 2026-12-05 19:00)",
        end="End (e.g. 21:00)",
        place="Place",
        online_url="Online link",
        capacity="Capacity",
        description="Description",
        timezone="Time zone (e.g. Asia/Tokyo)",
        subcommittee="Subcommittee (its members only)",
    )
    @app_commands.autocomplete(subcommittee=subcommittee_options)
    @guarded
    async def create(
        self,
        interaction: discord.Interaction[Any],
        title: str,
        start: str,
        end: str | None = None,
        place: str | None = None,
        online_url: str | None = None,
        capacity: int | None = None,
        description: str | None = None,
        timezone: str | None = None,
        subcommittee: str | None = None,
    ) -> None:
        ref = self.bot.community_of(interaction)
        hub = self.bot.hub
        staff, sub = await author_scope(hub, interaction, ref, subcommittee)
        lang = await self.bot.language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = EventDraft(
            title=title,
            start=start,
            end=end,
            place=place,
            online_url=online_url,
            capacity=capacity,
            description=description,
            timezone=timezone,
            subcommittee_id=sub.id if sub else None,
        )
        created = await hub.events.create(ref.id, staff_identity(interaction, ref), draft, is_staff=staff)
        event = created.event
        lines = [self.bot.t(lang, "discord.event.created", id=event.id, title=event.title)]
        lines += self.details(lang, event)
        if created.year_assumed:
            lines.append(self.bot.t(lang, "discord.event.year_assumed", year=local(event).year))
        if created.end_assumed:
            minutes = int((event.ends_at - event.starts_at).total_seconds() // 60)
            lines.append(self.bot.t(lang, "discord.event.end_assumed", minutes=minutes))
        lines.append(self.bot.t(lang, "discord.event.code_line", code=event.checkin_code))
        lines.append(await self.post(ref, event, lang))
        if ref.settings.events.discord_scheduled_events:
            lines.append(await self.create_scheduled(interaction, ref, event, lang))
        report = await hub.offers.offer_event(await hub.events.get(ref.id, event.id))
        lines.append(self.bot.t(lang, "discord.event.line_offered", count=report.sent))
        if report.over_budget:
            lines.append(self.bot.t(lang, "discord.event.line_over_budget", count=report.over_budget))
        if report.failed:
            lines.append(self.bot.t(lang, "discord.event.line_failed", count=report.failed))
        await send_private(interaction, content="\n".join(lines))

    def details(self, lang: str, event: EventView) -> list[str]:
        """What was understood: the span in the event's zone, the place and the capacity."""
        lines = [self.bot.t(lang, "discord.event.when_line", tz=event.timezone, when=when_of(event))]
        where = where_text(event)
        lines.append(
            self.bot.t(lang, "discord.event.where_line", where=where)
            if where
            else self.bot.t(lang, "discord.event.no_place")
        )
        lines.append(
            self.bot.t(lang, "discord.event.no_capacity")
            if event.capacity is None
            else self.bot.t(lang, "discord.event.capacity_line", capacity=event.capacity)
        )
        return lines

    async def post(self, ref: CommunityRef, event: EventView, lang: str) -> str:
        """The public announcement with the RSVP buttons; returns the line for the staff reply."""
        channel_id = ref.settings.discord.announcement_channel_id if ref.settings.discord else None
        if channel_id is None:
            return self.bot.t(lang, "discord.event.not_posted_no_channel")
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return self.bot.t(lang, "discord.event.not_posted_failed", channel=f"<#{channel_id}>")
        embed, view = announcement(self.bot.hub.tr, ref.default_language, event, self.bot.hub.clock.now())
        try:
            message = await channel.send(embed=embed, view=view)
        except discord.HTTPException:
            return self.bot.t(lang, "discord.event.not_posted_failed", channel=channel.mention)
        await self.bot.hub.events.set_discord_post(
            ref.id, event.id, channel_id=channel.id, message_id=message.id
        )
        return self.bot.t(lang, "discord.event.posted", channel=channel.mention)

    async def create_scheduled(
        self, interaction: discord.Interaction[Any], ref: CommunityRef, event: EventView, lang: str
    ) -> str:
        guild = interaction.guild
        if guild is None:
            return self.bot.t(lang, "discord.event.scheduled.failed")
        try:
            scheduled = await guild.create_scheduled_event(
                name=shorten(event.title, SCHEDULED_NAME_MAX),
                start_time=event.starts_at,
                end_time=event.ends_at,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=shorten(where_text(event) or ref.name, SCHEDULED_LOCATION_MAX),
                description=shorten(event.description, SCHEDULED_DESCRIPTION_MAX),
            )
        except discord.HTTPException:  # Forbidden: the bot lacks Manage Events
            return self.bot.t(lang, "discord.event.scheduled.failed")
        await self.bot.hub.events.set_discord_post(ref.id, event.id, scheduled_event_id=scheduled.id)
        return self.bot.t(lang, "discord.event.scheduled.created")

    async def _scheduled(self, ref: CommunityRef, event: EventView) -> discord.ScheduledEvent | None:
        guild = self.bot.get_guild(ref.settings.discord.guild_id) if ref.settings.discord else None
        if guild is None or event.discord_scheduled_event_id is None:
            return None
        found = guild.get_scheduled_event(event.discord_scheduled_event_id)
        return found or await guild.fetch_scheduled_event(event.discord_scheduled_event_id)

    async def update_scheduled(self, ref: CommunityRef, event: EventView) -> bool:
        """Keep the Discord scheduled event in step with an edit; False if Discord refused."""
        if event.discord_scheduled_event_id is None:
            return True
        try:
            scheduled = await self._scheduled(ref, event)
            if scheduled is not None:
                await scheduled.edit(
                    name=shorten(event.title, SCHEDULED_NAME_MAX),
                    description=shorten(event.description, SCHEDULED_DESCRIPTION_MAX),
                    start_time=event.starts_at,
                    end_time=event.ends_at,
                    entity_type=discord.EntityType.external,
                    location=shorten(where_text(event) or ref.name, SCHEDULED_LOCATION_MAX),
                )
        except discord.HTTPException:
            return False
        return True

    async def cancel_scheduled(self, ref: CommunityRef, event: EventView) -> bool:
        if event.discord_scheduled_event_id is None:
            return True
        try:
            scheduled = await self._scheduled(ref, event)
            if scheduled is not None:
                if scheduled.status is discord.EventStatus.scheduled:
                    await scheduled.cancel()
                else:
                    await scheduled.delete()
        except discord.HTTPException:
            return False
        return True

    async def tell_all(
        self, ref: CommunityRef, ambassador_ids: tuple[int, ...], key: str, **params: Any
    ) -> int:
        """Tell each member (in their language and zone); returns how many were reached."""
        told = 0
        for ambassador_id in ambassador_ids:
            if await self.bot.hub.notifier.tell(ref.id, ambassador_id, key, **params) is not None:
                told += 1
        return told

    async def tell_promoted(self, ref: CommunityRef, event: EventView, promoted: tuple[int, ...]) -> int:
        return await self.tell_all(
            ref, promoted, "event.told.promoted", title=event.title, when=when_of(event)
        )

    @event_group.command(name="edit", description="Edit an event")
    @app_commands.describe(
        event="Event",
        title="Title",
        start="Start",
        end="End",
        place="Place ('-' clears it)",
        online_url="Online link ('-' clears it)",
        capacity="Capacity",
        remove_capacity="Remove the capacity",
        description="Description ('-' clears it)",
        timezone="Time zone",
    )
    @app_commands.autocomplete(event=upcoming_events)
    @guarded
    async def edit(
        self,
        interaction: discord.Interaction[Any],
        event: str,
        title: str | None = None,
        start: str | None = None,
        end: str | None = None,
        place: str | None = None,
        online_url: str | None = None,
        capacity: int | None = None,
        remove_capacity: bool = False,
        description: str | None = None,
        timezone: str | None = None,
    ) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        hub = self.bot.hub
        draft = EventDraft(
            title=title,
            start=start,
            end=end,
            place=place,
            online_url=online_url,
            capacity=capacity,
            remove_capacity=remove_capacity,
            description=description,
            timezone=timezone,
        )
        change = await hub.events.edit(
            ref.id,
            event_id(event),
            staff_identity(interaction, ref),
            draft,
            is_staff=is_staff(interaction, ref),
        )
        await hub.notifier.event_changed(ref.id, change.event.id)
        lines = await self.after_edit(ref, change, lang)
        await send_private(interaction, content="\n".join(lines))

    async def after_edit(self, ref: CommunityRef, change: EventChange, lang: str) -> list[str]:
        event = change.event
        fields = change.changed or ("timezone",)  # only the zone changed: the times read differently
        told = await self.tell_all(
            ref,
            change.notify,
            "event.told.changed",
            title=event.title,
            fields=joined_fields(fields),
            when=when_of(event),
            where=where_text(event) or "—",
        )
        promoted = await self.tell_promoted(ref, event, change.promoted)
        separator = self.bot.t(lang, "discord.event.list_separator")
        names = separator.join(self.bot.t(lang, f"event.field.{f}") for f in fields)
        lines = [self.bot.t(lang, "discord.event.edited", id=event.id, title=event.title, fields=names)]
        lines += self.details(lang, event)
        lines.append(self.bot.t(lang, "discord.event.edit_told", told=told, count=len(change.notify)))
        if change.promoted:
            lines.append(
                self.bot.t(lang, "discord.event.edit_promoted", count=len(change.promoted), told=promoted)
            )
        if not await self.update_scheduled(ref, event):
            lines.append(self.bot.t(lang, "discord.event.scheduled.not_updated"))
        return lines

    @event_group.command(name="cancel", description="Cancel an event")
    @app_commands.describe(event="Event", reason="Reason")
    @app_commands.autocomplete(event=upcoming_events)
    @guarded
    async def cancel(self, interaction: discord.Interaction[Any], event: str, reason: str) -> None:
        ref = self.bot.community_of(interaction)
        who = staff_identity(interaction, ref)
        found, clean_reason = await self.bot.hub.events.check_cancel(
            who, event_id(event), reason, is_staff=is_staff(interaction, ref)
        )  # the reason's rule first: the confirmation shows it as it will be sent
        lang = await self.bot.language_of(interaction)
        panel = CancelPanel(self, interaction.user.id, lang, ref, found.id, clean_reason)
        text = self.bot.t(
            lang,
            "discord.event.cancel.confirm",
            tz=found.timezone,
            id=found.id,
            title=found.title,
            when=when_of(found),
            count=found.going + found.maybe + found.waitlist,
            reason=clean_reason,
        )
        await send_private(interaction, content=text, view=panel)

    # --- staff: attendance -----------------------------------------------------------------------------
    @event_group.command(name="checkin", description="Check a member in")
    @app_commands.describe(event="Event", member="Member")
    @app_commands.autocomplete(event=any_events)
    @guarded
    async def staff_checkin(
        self, interaction: discord.Interaction[Any], event: str, member: discord.Member
    ) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        if member.bot:
            raise DomainError("checkin.error.not_member")
        hub = self.bot.hub
        result = await hub.checkins.by_staff(
            ref.id,
            event_id(event),
            Identity(ref.id, "discord", str(member.id)),
            staff_identity(interaction, ref),
        )
        if result.promotion is not None:
            await hub.notifier.stage_changed(ref.id, result.promotion)
        who = result.ambassador
        text = self.bot.t(
            lang,
            "discord.event.staff_checked_in",
            number=who.member_number,
            name=who.display_name or "",
            title=result.event.title,
        )
        if result.seq is not None:
            text += "\n" + self.points_line(ref, lang, result)
        await send_private(interaction, content=text)

    def points_line(self, ref: CommunityRef, lang: str, result: CheckinResult) -> str:
        return self.bot.t(
            lang,
            "discord.event.checkin_points",
            points=result.points,
            category=category_name(self.bot, ref, lang, result.category or ""),
        )

    @event_group.command(name="code", description="The venue check-in code")
    @app_commands.describe(event="Event")
    @app_commands.autocomplete(event=any_events)
    @guarded
    async def code(self, interaction: discord.Interaction[Any], event: str) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        found = await self.bot.hub.events.get(ref.id, event_id(event))
        text = self.bot.t(lang, "discord.event.code", id=found.id, title=found.title, code=found.checkin_code)
        await send_private(interaction, content=text)

    @event_group.command(name="attendees", description="Who answered and who came")
    @app_commands.describe(event="Event")
    @app_commands.autocomplete(event=any_events)
    @guarded
    async def attendees(self, interaction: discord.Interaction[Any], event: str) -> None:
        ref = self.bot.community_of(interaction)
        require_staff(interaction, ref)
        lang = await self.bot.language_of(interaction)
        found = await self.bot.hub.events.get(ref.id, event_id(event))
        rows = await self.bot.hub.events.attendance(ref.id, found.id)
        fields = [] if rows else [Field("—", self.bot.t(lang, "discord.event.attendees_empty"))]
        for status in ATTENDANCE_ORDER:
            group = [r for r in rows if r.status == status]
            if group:
                heading = f"{self.bot.t(lang, f'event.status.{status}')} ({len(group)})"
                fields += line_fields(heading, [attendee_line(r) for r in group])
        pages = EmbedParts(
            title=self.bot.t(lang, "discord.event.attendees_title", id=found.id, title=found.title),
            description=self.bot.t(
                lang,
                "discord.event.attendees_summary",
                going=found.going,
                waitlist=found.waitlist,
                maybe=found.maybe,
                checked_in=found.checked_in,
            ),
            fields=fields,
            colour=BRAND_COLOUR,
        ).pages()
        await send_pages(interaction, pages, self.bot, lang, PAGES)

    # --- members -------------------------------------------------------------------------------------
    async def rsvp(self, interaction: discord.Interaction[Any], event_id: int, choice: str) -> None:
        """A click on 参加 / 検討中 / 不参加 (called by ``RsvpButton``, also after a restart)."""
        hub = self.bot.hub
        try:
            ref = self.bot.community_of(interaction)
            who = Identity(ref.id, "discord", str(interaction.user.id))
            result = await hub.rsvps.answer(who, event_id, choice)
        except Exception as exc:  # a DynamicItem has no view error handler: answer here, log bugs
            await self.bot.report_error(interaction, exc)
            return
        member, event = result.ambassador, result.event
        lang, tz = member.language, member.timezone
        if not result.changed:
            answer = Msg(f"event.status.{result.status}")
            text = self.bot.t(lang, "discord.event.rsvp.already", title=event.title, answer=answer)
        elif result.status == "waitlist":
            text = self.bot.t(
                lang, "discord.event.rsvp.waitlist", title=event.title, position=result.position
            )
        else:
            text = self.bot.t(
                lang, f"discord.event.rsvp.{result.status}", tz=tz, title=event.title, when=when_of(event)
            )
        await send_private(interaction, content=text)
        if result.changed:
            await hub.notifier.event_changed(ref.id, event.id)
            await self.tell_promoted(ref, event, result.promoted)

    @app_commands.command(name="checkin", description="Check in with the venue code")
    @app_commands.describe(code="The code shown at the venue")
    @app_commands.guild_only()
    @guarded
    async def checkin(self, interaction: discord.Interaction[Any], code: str) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        result = await self.bot.hub.checkins.with_code(who, code)
        lang = result.ambassador.language
        text = self.bot.t(lang, "discord.event.checked_in", title=result.event.title)
        if result.seq is not None:
            text += "\n" + self.points_line(ref, lang, result)
        if result.promotion is not None:
            await self.bot.hub.notifier.stage_changed(ref.id, result.promotion, tell=False)
            text += "\n" + self.bot.t(
                lang,
                "stage.promoted_message",
                stage=Msg(f"profile.stage.{result.promotion.new}"),
                number=result.promotion.new,
            )
        await send_private(interaction, content=text)

    @app_commands.command(name="events", description="Upcoming events")
    @app_commands.guild_only()
    @guarded
    async def events(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        items = await self.bot.hub.events.upcoming(ref.id, who, limit=EVENTS_LISTED)
        guild_id = ref.settings.discord.guild_id if ref.settings.discord else None
        fields: list[Field] = []
        for item in items:
            e = item.event
            lines = [discord_span(e.starts_at, e.ends_at)]
            where = where_text(e)
            if where:
                lines.append(shorten(where, WHERE_SHOWN))
            if e.capacity is not None:
                lines.append(
                    self.bot.t(lang, "discord.events.seats", left=e.seats_left or 0, capacity=e.capacity)
                )
            answer = Msg(f"event.status.{item.status or 'none'}")
            line = self.bot.t(lang, "discord.events.your_answer", answer=answer)
            if item.checked_in:
                line += " · " + self.bot.t(lang, "discord.events.checked_in")
            lines.append(line)
            if guild_id and e.discord_channel_id and e.discord_message_id:
                url = f"https://discord.com/channels/{guild_id}/{e.discord_channel_id}/{e.discord_message_id}"
                lines.append(self.bot.t(lang, "discord.events.open_post", url=url))
            fields.append(Field(f"#{e.id} {e.title}", "\n".join(lines)))
        pages = EmbedParts(
            title=self.bot.t(lang, "discord.events.title"),
            description=None if items else self.bot.t(lang, "discord.events.empty"),
            fields=fields,
            footer=self.bot.t(lang, "discord.events.footer"),
            colour=BRAND_COLOUR,
        ).pages()
        await send_pages(interaction, pages, self.bot, lang, PAGES)

    @app_commands.command(name="calendar", description="Add to your calendar (.ics)")
    @app_commands.describe(event="Event (empty: all yours)")
    @app_commands.autocomplete(event=upcoming_events)
    @app_commands.guild_only()
    @guarded
    async def calendar(self, interaction: discord.Interaction[Any], event: str | None = None) -> None:
        ref = self.bot.community_of(interaction)
        lang = await self.bot.language_of(interaction)
        hub = self.bot.hub
        if event is not None:
            chosen = [await hub.events.get(ref.id, event_id(event))]
            text = self.bot.t(lang, "discord.events.calendar_one", title=chosen[0].title)
            filename = f"{ref.key}-event-{chosen[0].id}.ics"
        else:
            who = Identity(ref.id, "discord", str(interaction.user.id))
            chosen = [m.event for m in await hub.events.mine(who)]
            if not chosen:
                await send_private(interaction, content=self.bot.t(lang, "discord.events.calendar_empty"))
                return
            text = self.bot.t(lang, "discord.events.calendar_all", count=len(chosen))
            filename = f"{ref.key}-events.ics"
        data = calendar_file(ref.key, ref.name, chosen, hub.clock.now())
        file = discord.File(io.BytesIO(data), filename=filename)
        await interaction.response.send_message(content=text, file=file, ephemeral=True)


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Events(bot))
