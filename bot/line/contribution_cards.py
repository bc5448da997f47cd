"""LINE messages about contributions: the history and ranking Flex cards, the stage text, category names."""

from __future__ import annotations

from typing import Any

from linebot.v3.messaging import FlexMessage, QuickReplyItem, TextMessage

from bot.community.contributions import BoardRow, HistoryItem
from bot.community.conversations import category_label
from bot.community.stages import StageProgress
from bot.config import ContributionSettings
from bot.i18n import Msg, Translator
from bot.line.render import bubble_message, shorten, text

DESCRIPTION_SHOWN = 60  # characters of a description shown in the history card
ACCENT = "#1F7A8C"
MUTED = "#888888"


def _txt(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": value or "-", "wrap": True, **style}


def _bubble(alt: str, body: list[dict[str, Any]], quick: list[QuickReplyItem]) -> FlexMessage:
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": body}}
    return bubble_message(alt, bubble, quick)


def history_message(
    tr: Translator,
    lang: str,
    settings: ContributionSettings,
    community_name: str,
    member_name: str,
    total: int,
    pending: int,
    items: list[HistoryItem],
    quick: list[QuickReplyItem],
) -> FlexMessage:
    """The member's recent entries, newest first, with their status, the total, and how many wait."""
    title = tr.t(lang, "line.history.title", name=member_name)
    total_line = tr.t(lang, "line.history.total", points=total)
    body: list[dict[str, Any]] = [
        _txt(community_name, size="xs", color=ACCENT),
        _txt(title, weight="bold", size="lg"),
        _txt(total_line, weight="bold", size="md", margin="md", color=ACCENT),
    ]
    if pending:
        body.append(_txt(tr.t(lang, "line.history.pending", count=pending), size="sm"))
    body.append({"type": "separator", "margin": "md"})
    body.append(
        _txt(tr.t(lang, "line.history.recent", count=len(items)), size="xs", color=MUTED, margin="md")
    )
    for item in items:
        body.append(_history_row(tr, lang, settings, item))
    return _bubble(f"{title} — {total_line}", body, quick)


def _history_row(
    tr: Translator, lang: str, settings: ContributionSettings, item: HistoryItem
) -> dict[str, Any]:
    if item.status == "approved":
        points = tr.t(lang, "line.history.points", points=item.points)
    else:
        points = tr.t(lang, "line.history.points_claimed", points=item.points)
    status = tr.t(lang, f"contribution.status.{item.status}")
    if item.status == "rejected" and item.reason:
        status = tr.t(lang, "line.history.rejected", status=status, reason=shorten(item.reason, 80))
    contents: list[dict[str, Any]] = [
        {
            "type": "box",
            "layout": "baseline",
            "spacing": "sm",
            "contents": [
                _txt(item.occurred_on, size="xs", color=MUTED, flex=3),
                _txt(category_label(tr, lang, settings, item.category), size="sm", flex=5),
                _txt(points, size="sm", flex=3, align="end"),
            ],
        },
        _txt(status, size="xs", color=ACCENT if item.status == "approved" else MUTED),
    ]
    if item.description.strip():
        contents.append(_txt(shorten(item.description, DESCRIPTION_SHOWN), size="xs", color=MUTED))
    return {"type": "box", "layout": "vertical", "margin": "md", "contents": contents}


def ranking_message(
    tr: Translator,
    lang: str,
    community_name: str,
    month: str,
    all_time: list[BoardRow],
    this_month: list[BoardRow],
    viewer_number: int,
    quick: list[QuickReplyItem],
) -> FlexMessage:
    """Top ten of all time and of this month; the member's own row in bold."""
    title = tr.t(lang, "line.ranking.title")
    body: list[dict[str, Any]] = [
        _txt(community_name, size="xs", color=ACCENT),
        _txt(title, weight="bold", size="lg"),
    ]
    for heading, rows in (
        (tr.t(lang, "line.ranking.all_time"), all_time),
        (tr.t(lang, "line.ranking.month", month=month), this_month),
    ):
        body.append({"type": "separator", "margin": "md"})
        body.append(_txt(heading, weight="bold", size="sm", margin="md", color=ACCENT))
        if not rows:
            body.append(_txt(tr.t(lang, "line.ranking.empty"), size="sm", color=MUTED))
        for row in rows:
            name = row.display_name or tr.t(lang, "profile.none")
            weight = "bold" if row.member_number == viewer_number else "regular"
            body.append(
                {
                    "type": "box",
                    "layout": "baseline",
                    "contents": [
                        _txt(
                            tr.t(
                                lang, "line.ranking.row", rank=row.rank, number=row.member_number, name=name
                            ),
                            size="sm",
                            flex=5,
                            weight=weight,
                        ),
                        _txt(
                            tr.t(lang, "line.ranking.points", points=row.points),
                            size="sm",
                            flex=2,
                            align="end",
                            weight=weight,
                        ),
                    ],
                }
            )
    return _bubble(title, body, quick)


def stage_message(
    tr: Translator,
    lang: str,
    settings: ContributionSettings,
    progress: StageProgress,
    quick: list[QuickReplyItem],
) -> TextMessage:
    """Where the member stands, what the next stage needs, and the perks reached so far."""
    lines = [
        tr.t(
            lang,
            "line.stage.current",
            number=progress.stage,
            stage=Msg(f"profile.stage.{progress.stage}"),
            points=progress.points,
        )
    ]
    if progress.manual:
        lines.append(tr.t(lang, "line.stage.manual"))
    if progress.next_stage is None:
        lines += ["", tr.t(lang, "line.stage.top")]
    elif progress.points_needed or progress.counts_needed:
        lines += [
            "",
            tr.t(
                lang,
                "line.stage.next",
                number=progress.next_stage,
                stage=Msg(f"profile.stage.{progress.next_stage}"),
            ),
        ]
        if progress.points_needed:
            lines.append(tr.t(lang, "line.stage.points_needed", points=progress.points_needed))
        for key, count in progress.counts_needed.items():
            category = category_label(tr, lang, settings, key)
            lines.append(tr.t(lang, "line.stage.count_needed", category=category, count=count))
    if progress.perks:
        lines += ["", tr.t(lang, "line.stage.perks"), *(f"・{perk}" for perk in progress.perks)]
    return text("\n".join(lines), quick)
