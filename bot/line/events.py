"""The LINE face of events: the list of what is coming, RSVP buttons, event news, check-in codes, calendars.

Every rule is in the services (``hub.events``, ``hub.rsvps``, ``hub.checkins``); this reads what the member
sent or tapped and builds the reply. Postbacks come from phones and can be forged: an odd one gets a clear
answer and changes nothing (the services check the event's community, state and the member).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from linebot.v3.messaging import FlexMessage, Message, QuickReplyItem

from bot.community.calendar import calendar_token
from bot.community.communities import CommunityRef
from bot.community.conversations import category_label
from bot.community.events import EventView, normalise_code
from bot.community.identity import Identity
from bot.community.stages import StageChange
from bot.hub import Hub
from bot.i18n import Msg
from bot.line import render
from bot.line.event_cards import Answer, CalendarLink, events_carousel, offer_card, when_of

EVENT_ID_DIGITS = 9  # longer ids cannot be ours (and would not fit the database's integer)
_CHECKIN_SEPARATORS = " :：、,"


def calendar_secret(ref: CommunityRef) -> str | None:
    """The key calendar links are signed with: the community's LINE channel secret (None without LINE)."""
    line = ref.settings.line
    secret = line.channel_secret.get_secret_value() if line else ""
    return secret or None


def calendar_url(
    public_url: str | None, ref: CommunityRef, ambassador_id: int, event_id: int | None = None
) -> str | None:
    """A member's own .ics link (one event, or all their events); None where this server has no public URL."""
    secret = calendar_secret(ref)
    if not public_url or secret is None:
        return None
    token = calendar_token(secret, ref.key, ambassador_id, event_id)
    return f"{public_url}/calendar/{ref.key}/{token}.ics"


def event_id_of(raw: str | None) -> int | None:
    """The event id in a postback (``e=12``); None for anything that cannot be one."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > EVENT_ID_DIGITS:
        return None
    return int(raw)


def offer_message(hub: Hub, community_id: int, lang: str, tz: str, event: EventView) -> FlexMessage:
    """The card offered to members who opted in to event news: the same for everyone in one multicast, so
    its calendar button asks for the member's own link instead of carrying it."""
    tr = hub.tr
    ref = hub.communities.by_id(community_id)
    has_calendar = bool(hub.settings.line.public_url) and calendar_secret(ref) is not None
    quick = [
        render.postback_item(tr.t(lang, "line.menu.events"), render.postback_data("events")),
        render.postback_item(
            tr.t(lang, "line.event.news.turn_off"), render.postback_data("event_news", on="0")
        ),
    ]
    calendar = CalendarLink() if has_calendar else None
    return offer_card(tr, lang, tz, ref.name, event, hub.clock.now(), calendar, quick)


class LineEvents:
    """One community's event commands on LINE."""

    def __init__(self, hub: Hub, ref: CommunityRef) -> None:
        self.hub = hub
        self.ref = ref
        self.tr = hub.tr
        self.checkin_words = render.command_words(self.tr, "checkin")

    def menu(self, lang: str) -> list[QuickReplyItem]:
        return render.menu_items(self.tr, lang, True)

    def _calendar_url(self, ambassador_id: int, event_id: int | None = None) -> str | None:
        # The current settings (a reconfigure may have changed the public URL or the secret).
        ref = self.hub.communities.by_id(self.ref.id)
        return calendar_url(self.hub.settings.line.public_url, ref, ambassador_id, event_id)

    def _bad_button(self, lang: str) -> list[Message]:
        return [render.text(self.tr.t(lang, "line.event.error.bad_button"), self.menu(lang))]

    # --- the list -------------------------------------------------------------------------------------
    async def upcoming(self, who: Identity, lang: str) -> list[Message]:
        """Up to ten events still to come (or under way), with the member's answers, in their time zone."""
        view = await self.hub.ambassadors.get(who)
        lang = view.language
        items = await self.hub.events.upcoming(self.ref.id, who)
        news = await self.hub.events.event_news(who)
        quick = [
            render.postback_item(
                self.tr.t(lang, "line.event.news.turn_off" if news else "line.event.news.turn_on"),
                render.postback_data("event_news", on="0" if news else "1"),
            )
        ]
        if self._calendar_url(view.id) is not None:
            quick.append(
                render.postback_item(self.tr.t(lang, "line.menu.calendar"), render.postback_data("calendar"))
            )
        quick += self.menu(lang)
        if not items:
            body = self.tr.t(lang, "line.events.empty")
            if not news:
                body += "\n" + self.tr.t(lang, "line.events.news_hint")
            return [render.text(body, quick)]
        cards = []
        for item in items:
            url = self._calendar_url(view.id, item.event.id)
            cards.append(
                (item.event, Answer(item.status, item.checked_in), CalendarLink(url) if url else None)
            )
        now = self.hub.clock.now()
        return [*events_carousel(self.tr, lang, view.timezone, self.ref.name, cards, now, quick)]

    # --- answering ------------------------------------------------------------------------------------
    async def rsvp(self, who: Identity, lang: str, params: Mapping[str, str]) -> list[Message]:
        """``action=rsvp&e=<id>&c=<going|maybe|declined>``: one answer per member, the latest wins."""
        event_id = event_id_of(params.get("e"))
        if event_id is None:
            return self._bad_button(lang)
        result = await self.hub.rsvps.answer(who, event_id, params.get("c", ""))
        member, event = result.ambassador, result.event
        lang, tz = member.language, member.timezone
        if result.changed:
            key = f"line.event.rsvp.{result.status}"
        else:
            key = (
                "line.event.rsvp.already_waitlist"
                if result.status == "waitlist"
                else "line.event.rsvp.already"
            )
        lines = [
            self.tr.t(
                lang,
                key,
                tz=tz,
                title=event.title,
                when=when_of(event),
                position=result.position or 0,
                status=Msg(f"event.status.{result.status}"),
            )
        ]
        url = self._calendar_url(member.id, event.id) if result.status == "going" else None
        if url is not None:
            lines.append(self.tr.t(lang, "line.event.rsvp.calendar", url=url))
        if result.changed:
            await self.hub.notifier.event_changed(self.ref.id, event.id)  # the Discord post's counts
        for promoted in result.promoted:  # someone else moved up from the waiting list: tell them
            await self.hub.notifier.tell(
                self.ref.id, promoted, "event.told.promoted", title=event.title, when=when_of(event)
            )
        return [render.text("\n\n".join(lines), self.menu(lang))]

    # --- event news -----------------------------------------------------------------------------------
    async def set_news(self, who: Identity, lang: str, on: bool | None) -> list[Message]:
        """Opt in or out of new-event cards on LINE (each card is a push, within the month's budget)."""
        if on is None:
            return self._bad_button(lang)
        now_on = await self.hub.events.set_event_news(who, on)
        key = "line.event.news.on" if now_on else "line.event.news.off"
        return [render.text(self.tr.t(lang, key), self.menu(lang))]

    # --- calendar -------------------------------------------------------------------------------------
    async def calendar(self, who: Identity, lang: str, raw_event: str | None = None) -> list[Message]:
        """A link to the member's own .ics: all their events, or the one event whose card was tapped."""
        view = await self.hub.ambassadors.get(who)
        lang = view.language
        event: EventView | None = None
        if raw_event is not None:
            event_id = event_id_of(raw_event)
            if event_id is None:
                return self._bad_button(lang)
            event = await self.hub.events.get(self.ref.id, event_id)  # another community's: not found
        url = self._calendar_url(view.id, event.id if event else None)
        if url is None:
            body = self.tr.t(lang, "line.event.calendar.unavailable")
        elif event is not None:
            body = self.tr.t(lang, "line.event.calendar.one", title=event.title, url=url)
        else:
            body = self.tr.t(lang, "line.event.calendar.all", url=url)
        return [render.text(body, self.menu(lang))]

    # --- check-in ---------------------------------------------------------------------------------------
    def checkin_of(self, raw: str) -> str | None:
        """The code in 「チェックイン ABC234」 or a bare 「abc-234」; "" for the word alone; else None."""
        text = unicodedata.normalize("NFKC", raw).strip()
        for word in self.checkin_words:
            if text[: len(word)].casefold() != word:
                continue
            rest = text[len(word) :]
            if not rest or rest[0] in _CHECKIN_SEPARATORS or normalise_code(rest):
                return rest.strip(_CHECKIN_SEPARATORS)
        return text if normalise_code(text) else None

    async def checkin(self, who: Identity, lang: str, code: str) -> list[Message]:
        """Check in with the code shown at the venue: the points and any promotion in this (free) reply."""
        if not code:
            return [render.text(self.tr.t(lang, "line.event.checkin.usage"), self.menu(lang))]
        result = await self.hub.checkins.with_code(who, code)
        lang = result.ambassador.language
        text = self.tr.t(lang, "line.event.checkin.done", title=result.event.title)
        if result.seq is not None and result.category is not None:
            settings = self.hub.contributions.settings(self.ref.id)
            text += "\n" + self.tr.t(
                lang,
                "line.event.checkin.points",
                category=category_label(self.tr, lang, settings, result.category),
                points=result.points,
                total=await self.hub.contributions.points(who),
            )
        if result.promotion is not None:
            # Said in this reply; the notifier only syncs Discord stage roles, no push is spent on it.
            await self.hub.notifier.stage_changed(self.ref.id, result.promotion, tell=False)
            text += "\n\n" + self._promotion_text(lang, result.promotion)
        return [render.text(text, self.menu(lang))]

    def _promotion_text(self, lang: str, change: StageChange) -> str:
        return self.tr.t(
            lang, "stage.promoted_message", stage=Msg(f"profile.stage.{change.new}"), number=change.new
        )
