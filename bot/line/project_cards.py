"""LINE messages about projects (関わりしろ): the project card (a Flex bubble with an Apply button) and the
carousel of projects looking for help.

The deadline is shown in the reader's language and time zone (``When``); the button sends a postback such
as ``action=project_apply&p=12`` that ``bot/line/projects.py`` reads back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from linebot.v3.messaging import FlexMessage, QuickReplyItem

from bot.community.projects import ProjectView
from bot.i18n import Msg, Translator, When
from bot.line.render import CARDS_SHOWN, carousels, display_text, postback_data, short_label, shorten
from bot.line.subcommittee_cards import ACCENT, MUTED

NEEDS_SHOWN = 160  # characters of what is needed on a card


@dataclass(frozen=True)
class ProjectCard:
    """A project as one reader sees it: their application (None: not applied), its subcommittee's name."""

    project: ProjectView
    status: str | None = None
    subcommittee: str | None = None


def apply_data(project_id: int) -> str:
    return postback_data("project_apply", p=str(project_id))


def deadline_of(project: ProjectView) -> When:
    return When(project.deadline)


def _txt(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": value or "-", "wrap": True, **style}


def project_bubble(
    tr: Translator, lang: str, tz: str, community_name: str, card: ProjectCard
) -> dict[str, Any]:
    """One project: title, what is needed, skills, place or online, deadline (in ``tz``), the reader's
    application, and an Apply button while they have not applied."""
    project = card.project
    body: list[dict[str, Any]] = [_txt(community_name, size="xs", color=ACCENT)]
    if card.subcommittee:
        body.append(
            _txt(
                tr.t(lang, "line.project.card.subcommittee", name=card.subcommittee), size="xs", color=ACCENT
            )
        )
    body.append(_txt(project.title, weight="bold", size="lg"))
    body.append(_txt(shorten(project.needs, NEEDS_SHOWN), size="sm", margin="md"))
    skills = tr.t(lang, "profile.list_separator").join(project.skills)
    body.append(_txt(tr.t(lang, "line.project.card.skills", skills=skills), size="sm", margin="md"))
    if project.place:
        body.append(_txt(tr.t(lang, "line.project.card.place", place=project.place), size="sm"))
    if project.online:
        body.append(_txt(tr.t(lang, "line.project.card.online"), size="sm"))
    body.append(
        _txt(
            tr.t(lang, "line.project.card.deadline", tz=tz, when=deadline_of(project)), size="sm", margin="md"
        )
    )
    body.append({"type": "separator", "margin": "md"})
    applicants = project.applied + project.accepted
    body.append(_txt(tr.t(lang, "line.project.card.applicants", count=applicants), size="sm", color=MUTED))
    if card.status is not None:
        shown = Msg(f"line.project.status.{card.status}")
        body.append(_txt(tr.t(lang, "line.project.card.status", status=shown), size="sm", weight="bold"))
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "xs", "contents": body},
    }
    if card.status is None:
        label = tr.t(lang, "line.project.card.apply")
        button = {
            "type": "button",
            "style": "primary",
            "color": ACCENT,
            "height": "sm",
            "action": {
                "type": "postback",
                "label": short_label(label),
                "data": apply_data(project.id),
                "displayText": display_text(label),
            },
        }
        bubble["footer"] = {"type": "box", "layout": "vertical", "contents": [button]}
    return bubble


def projects_carousel(
    tr: Translator,
    lang: str,
    tz: str,
    community_name: str,
    cards: Sequence[ProjectCard],
    quick: list[QuickReplyItem],
) -> list[FlexMessage]:
    """Up to ten projects looking for help, soonest deadline first."""
    bubbles = [project_bubble(tr, lang, tz, community_name, card) for card in cards[:CARDS_SHOWN]]
    return carousels(lambda count: tr.t(lang, "line.projects.alt", count=count), bubbles, quick)
