"""LINE messages about events: the event card (a Flex bubble with RSVP buttons), the carousel of what is
coming, and the card offered to members who opted in to event news.

Times are shown in the reader's language and time zone (``When``); the buttons send postbacks such as
``action=rsvp&e=12&c=going`` that ``bot/line/events.py`` reads back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from linebot.v3.messaging import FlexMessage, QuickReplyItem

from bot.community.events import RSVP_CHOICES, EventView
from bot.i18n import Msg, Translator, When
from bot.line.render import (
    CARDS_SHOWN,
    bubble_message,
    carousels,
    display_text,
    postback_data,
    short_label,
    shorten,
    uri,
)

DESCRIPTION_SHOWN = 120  # characters of the description on a card
ACCENT = "#1F7A8C"
MUTED = "#888888"
WARN = "#C0392B"


@dataclass(frozen=True)
class Answer:
    """The reader's own answer to the event (None: not answered yet) and whether they checked in."""

    status: str | None
    checked_in: bool = False


@dataclass(frozen=True)
class CalendarLink:
    """The card's calendar button: the reader's own .ics link (a reply to one member), or, with ``url``
    None, a postback asking for it (a multicast card is the same for everyone: it carries nobody's link)."""

    url: str | None = None


def rsvp_data(event_id: int, choice: str) -> str:
    return postback_data("rsvp", e=str(event_id), c=choice)


def calendar_data(event_id: int) -> str:
    return postback_data("calendar", e=str(event_id))


def when_of(event: EventView) -> When:
    return When(event.starts_at, event.ends_at)


def _txt(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": value or "-", "wrap": True, **style}


def _seats_line(tr: Translator, lang: str, event: EventView) -> str:
    if event.capacity is None:
        return tr.t(lang, "line.event.card.going", going=event.going)
    if event.seats_left:
        return tr.t(lang, "line.event.card.seats", seats=event.seats_left, capacity=event.capacity)
    return tr.t(lang, "line.event.card.full", capacity=event.capacity, waitlist=event.waitlist)


def event_bubble(
    tr: Translator,
    lang: str,
    tz: str,
    community_name: str,
    event: EventView,
    now: datetime,
    *,
    answer: Answer | None = None,
    calendar: CalendarLink | None = None,
    heading: str | None = None,
) -> dict[str, Any]:
    """One event as a bubble: what, when (in ``tz``), where, seats, the reader's answer, and buttons."""
    body: list[dict[str, Any]] = [_txt(community_name, size="xs", color=ACCENT)]
    if heading:
        body.append(_txt(heading, size="sm", weight="bold", color=ACCENT))
    body.append(_txt(event.title, weight="bold", size="lg"))
    body.append(_txt(tr.t(lang, "line.event.card.when", tz=tz, when=when_of(event)), size="sm", margin="md"))
    if event.place:
        body.append(_txt(tr.t(lang, "line.event.card.place", place=event.place), size="sm"))
    if event.online_url:
        online = tr.t(lang, "line.event.card.online", url=event.online_url)
        link = uri(event.online_url)
        tap = {"action": {"type": "uri", "label": short_label(online), "uri": link}} if link else {}
        body.append(_txt(online, size="sm", color=ACCENT, **tap))
    if event.description.strip():
        body.append(_txt(shorten(event.description, DESCRIPTION_SHOWN), size="xs", color=MUTED, margin="md"))
    body.append({"type": "separator", "margin": "md"})
    full = event.seats_left == 0
    body.append(_txt(_seats_line(tr, lang, event), size="sm", margin="md", color=WARN if full else MUTED))
    if answer is not None:
        shown = Msg(f"event.status.{answer.status or 'none'}")
        body.append(
            _txt(
                tr.t(lang, "line.event.card.answer", status=shown),
                size="sm",
                weight="bold" if answer.status else "regular",
            )
        )
        if answer.checked_in:
            body.append(_txt(tr.t(lang, "line.event.card.checked_in"), size="sm", color=ACCENT))
    footer: list[dict[str, Any]] = []
    if event.open_for_answers(now):
        status = answer.status if answer is not None else None
        chosen = "going" if status == "waitlist" else status  # on the waiting list: "going" was pressed
        footer.append(
            {
                "type": "box",
                "layout": "horizontal",
                "spacing": "sm",
                "contents": [_rsvp_button(tr, lang, event.id, c, c == chosen) for c in RSVP_CHOICES],
            }
        )
    elif not event.cancelled and not event.finished(now):
        footer.append(_txt(tr.t(lang, "line.event.card.started"), size="xs", color=MUTED))
    if calendar is not None:
        label = tr.t(lang, "line.event.card.calendar")
        action: dict[str, Any]
        link = uri(calendar.url) if calendar.url else None
        if link:
            action = {"type": "uri", "label": short_label(label), "uri": link}
        else:
            action = {
                "type": "postback",
                "label": short_label(label),
                "data": calendar_data(event.id),
                "displayText": display_text(label),
            }
        footer.append({"type": "button", "style": "link", "height": "sm", "action": action})
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "xs", "contents": body},
    }
    if footer:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer}
    return bubble


def _rsvp_button(tr: Translator, lang: str, event_id: int, choice: str, chosen: bool) -> dict[str, Any]:
    label = tr.t(lang, f"event.status.{choice}")
    button: dict[str, Any] = {
        "type": "button",
        "style": "primary" if chosen else "secondary",
        "height": "sm",
        "action": {
            "type": "postback",
            "label": short_label(label),
            "data": rsvp_data(event_id, choice),
            "displayText": display_text(label),
        },
    }
    if chosen:
        button["color"] = ACCENT
    return button


def events_carousel(
    tr: Translator,
    lang: str,
    tz: str,
    community_name: str,
    cards: Sequence[tuple[EventView, Answer, CalendarLink | None]],
    now: datetime,
    quick: list[QuickReplyItem],
) -> list[FlexMessage]:
    """Up to ten upcoming events side by side, each with the reader's answer and RSVP buttons."""
    bubbles = [
        event_bubble(tr, lang, tz, community_name, event, now, answer=answer, calendar=calendar)
        for event, answer, calendar in cards[:CARDS_SHOWN]
    ]
    return carousels(lambda count: tr.t(lang, "line.events.alt", count=count), bubbles, quick)


def offer_card(
    tr: Translator,
    lang: str,
    tz: str,
    community_name: str,
    event: EventView,
    now: datetime,
    calendar: CalendarLink | None,
    quick: list[QuickReplyItem],
) -> FlexMessage:
    """A new event, offered to members who opted in (one card multicast to many: no one's own answer)."""
    bubble = event_bubble(
        tr, lang, tz, community_name, event, now, calendar=calendar, heading=tr.t(lang, "line.event.card.new")
    )
    alt = tr.t(lang, "line.event.card.alt_new", tz=tz, title=event.title, when=when_of(event))
    return bubble_message(alt, bubble, quick)
