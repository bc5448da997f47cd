"""LINE messages about subcommittees: the subcommittee card (a Flex bubble with a Join or Leave button), the
carousel of open subcommittees, and the small card suggesting the ones that match a member's interests.

The buttons send postbacks such as ``action=sub_join&s=12`` that ``bot/line/subcommittees.py`` reads back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from linebot.v3.messaging import FlexMessage, QuickReplyItem

from bot.community.subcommittees import SubcommitteeView
from bot.i18n import Translator
from bot.line.render import (
    CARDS_SHOWN,
    bubble_message,
    carousels,
    display_text,
    postback_data,
    short_label,
    shorten,
)

DESCRIPTION_SHOWN = 120  # characters of the description on a card
ACCENT = "#1F7A8C"
MUTED = "#888888"


def join_data(subcommittee_id: int) -> str:
    return postback_data("sub_join", s=str(subcommittee_id))


def leave_data(subcommittee_id: int) -> str:
    return postback_data("sub_leave", s=str(subcommittee_id))


def _txt(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": value or "-", "wrap": True, **style}


def _button(label: str, data: str, primary: bool) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "style": "primary" if primary else "secondary",
        "height": "sm",
        "action": {
            "type": "postback",
            "label": short_label(label),
            "data": data,
            "displayText": display_text(label),
        },
    }
    if primary:
        button["color"] = ACCENT
    return button


def _join_button(tr: Translator, lang: str, sub: SubcommitteeView) -> dict[str, Any]:
    label = tr.t(lang, "line.subcommittee.card.join")
    return _button(label, join_data(sub.id), True)


def tags_text(tr: Translator, lang: str, sub: SubcommitteeView) -> str | None:
    if not sub.tags:
        return None
    return tr.t(lang, "line.subcommittee.card.tags", tags=tr.t(lang, "profile.list_separator").join(sub.tags))


def subcommittee_bubble(
    tr: Translator, lang: str, community_name: str, sub: SubcommitteeView, member: bool
) -> dict[str, Any]:
    """One subcommittee: name, description, tags, members, whether the reader belongs, Join or Leave."""
    body: list[dict[str, Any]] = [
        _txt(community_name, size="xs", color=ACCENT),
        _txt(sub.name, weight="bold", size="lg"),
    ]
    if sub.description.strip():
        body.append(_txt(shorten(sub.description, DESCRIPTION_SHOWN), size="xs", color=MUTED, margin="md"))
    tags = tags_text(tr, lang, sub)
    if tags:
        body.append(_txt(tags, size="sm", margin="md"))
    body.append({"type": "separator", "margin": "md"})
    body.append(
        _txt(tr.t(lang, "line.subcommittee.card.members", members=sub.members), size="sm", color=MUTED)
    )
    if member:
        body.append(_txt(tr.t(lang, "line.subcommittee.card.member"), size="sm", weight="bold", color=ACCENT))
    button = (
        _button(tr.t(lang, "line.subcommittee.card.leave"), leave_data(sub.id), False)
        if member
        else _join_button(tr, lang, sub)
    )
    return {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "xs", "contents": body},
        "footer": {"type": "box", "layout": "vertical", "contents": [button]},
    }


def subcommittees_carousel(
    tr: Translator,
    lang: str,
    community_name: str,
    cards: Sequence[tuple[SubcommitteeView, bool]],
    quick: list[QuickReplyItem],
) -> list[FlexMessage]:
    """Up to ten subcommittees side by side, each marked if the reader belongs, with Join or Leave."""
    bubbles = [
        subcommittee_bubble(tr, lang, community_name, sub, member) for sub, member in cards[:CARDS_SHOWN]
    ]
    return carousels(lambda count: tr.t(lang, "line.subcommittees.alt", count=count), bubbles, quick)


def suggestion_card(
    tr: Translator, lang: str, subs: Sequence[SubcommitteeView], quick: list[QuickReplyItem]
) -> FlexMessage:
    """A few subcommittees matching the reader's interests, one Join button each (after a registration or
    an edit of interests or skills)."""
    body: list[dict[str, Any]] = [
        _txt(tr.t(lang, "line.subcommittee.suggest.title"), weight="bold", size="md", color=ACCENT)
    ]
    for sub in subs:
        rows: list[dict[str, Any]] = [_txt(sub.name, weight="bold", size="sm")]
        tags = tags_text(tr, lang, sub)
        if tags:
            rows.append(_txt(tags, size="xs", color=MUTED))
        rows.append(
            _txt(tr.t(lang, "line.subcommittee.card.members", members=sub.members), size="xs", color=MUTED)
        )
        body.append({"type": "separator", "margin": "md"})
        body.append(
            {
                "type": "box",
                "layout": "vertical",
                "margin": "md",
                "spacing": "xs",
                "contents": [*rows, _join_button(tr, lang, sub)],
            }
        )
    names = tr.t(lang, "profile.list_separator").join(sub.name for sub in subs)
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": body}}
    return bubble_message(tr.t(lang, "line.subcommittee.suggest.alt", names=names), bubble, quick)
