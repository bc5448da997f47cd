"""LINE messages about votes: the vote card (a Flex bubble with one postback button per option), the carousel
of votes open to the member, the card offered to members who opted in to vote news, and the results cards
with simple bars drawn from boxes (no image to host).

Times are shown in the reader's language and time zone (``When``); the buttons send postbacks such as
``action=ballot&v=12&o=0`` (the option 0-based) that ``bot/line/votes.py`` reads back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from linebot.v3.messaging import FlexMessage, QuickReplyItem

from bot.community.votes import VoteResult, VoteView
from bot.i18n import Msg, Translator, When
from bot.line.limits import LABEL_MAX, grapheme_len
from bot.line.render import (
    CARDS_SHOWN,
    bubble_message,
    carousels,
    display_text,
    postback_data,
    short_label,
)

ACCENT = "#1F7A8C"
MUTED = "#888888"
WARN = "#C0392B"
TRACK = "#E6E6E6"


def ballot_data(vote_id: int, option: int) -> str:
    return postback_data("ballot", v=str(vote_id), o=str(option))


def weight_data(vote_id: int) -> str:
    return postback_data("weight", v=str(vote_id))


def closes_of(vote: VoteView) -> When:
    return When(vote.closes_at)


def option_label(tr: Translator, lang: str, vote: VoteView, index: int) -> str:
    """「2. 図書館を広げる」: options are numbered from 1 for people, 0-based in the data."""
    return tr.t(lang, "line.vote.option", number=index + 1, label=vote.options[index])


def choices_text(tr: Translator, lang: str, vote: VoteView, choices: Sequence[int]) -> str:
    return tr.t(lang, "profile.list_separator").join(option_label(tr, lang, vote, i) for i in choices)


def mode_text(tr: Translator, lang: str, vote: VoteView) -> str:
    return tr.t(
        lang,
        "line.vote.card.mode",
        weight=Msg("vote.mode.weighted" if vote.weighted else "vote.mode.equal"),
        choice=Msg("vote.mode.approval" if vote.approval else "vote.mode.single"),
    )


def weight_text(weight_milli: int) -> str:
    """A weight (or a weighted total) in thousandths, shown with one decimal: 1200 → "1.2"."""
    return f"{weight_milli / 1000:.1f}"


def _txt(value: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": value or "-", "wrap": True, **style}


def _head(
    tr: Translator, lang: str, community_name: str, vote: VoteView, heading: str | None
) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = [_txt(community_name, size="xs", color=ACCENT)]
    if heading:
        body.append(_txt(heading, size="sm", weight="bold", color=ACCENT))
    body.append(_txt(tr.t(lang, "line.vote.card.title", id=vote.id), size="sm", color=MUTED))
    body.append(_txt(vote.question, weight="bold", size="lg"))
    return body


# --- the vote card ------------------------------------------------------------------------------------------
def vote_bubble(
    tr: Translator,
    lang: str,
    tz: str,
    community_name: str,
    vote: VoteView,
    now: datetime,
    *,
    choices: tuple[int, ...] | None = None,
    heading: str | None = None,
) -> dict[str, Any]:
    """One vote as a bubble: the question, how it counts, when it closes (in ``tz``), the reader's choices
    (when known: ``None`` on a card multicast to many) and one button per option, the chosen ones filled."""
    body = _head(tr, lang, community_name, vote, heading)
    body.append(_txt(mode_text(tr, lang, vote), size="sm", color=MUTED, margin="md"))
    body.append(_txt(tr.t(lang, "line.vote.card.closes", tz=tz, closes=closes_of(vote)), size="sm"))
    if vote.min_stage > 1:
        body.append(_txt(tr.t(lang, "line.vote.card.stage", stage=vote.min_stage), size="sm", color=MUTED))
    if vote.quorum_needed:
        body.append(
            _txt(tr.t(lang, "line.vote.card.quorum", count=vote.quorum_needed), size="sm", color=MUTED)
        )
    if vote.hidden:
        body.append(_txt(tr.t(lang, "line.vote.card.hidden"), size="sm", color=MUTED))
    labels = [option_label(tr, lang, vote, i) for i in range(len(vote.options))]
    if any(grapheme_len(label) > LABEL_MAX for label in labels):  # a button shows 20: list them in full
        body.append({"type": "separator", "margin": "md"})
        body.extend(_txt(label, size="sm", margin="sm") for label in labels)
    if choices is not None:
        body.append({"type": "separator", "margin": "md"})
        body.append(
            _txt(
                tr.t(lang, "line.vote.card.chosen", choices=choices_text(tr, lang, vote, choices))
                if choices
                else tr.t(lang, "line.vote.card.not_chosen"),
                size="sm",
                weight="bold" if choices else "regular",
                margin="md",
            )
        )
        body.append(
            _txt(
                tr.t(lang, "line.vote.card.turnout", voters=vote.voters, eligible=vote.eligible),
                size="xs",
                color=MUTED,
            )
        )
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "xs", "contents": body},
    }
    if vote.is_open and now < vote.closes_at:
        chosen = set(choices or ())
        footer = [_option_button(vote.id, i, label, i in chosen) for i, label in enumerate(labels)]
        hint = "line.vote.card.hint_approval" if vote.approval else "line.vote.card.hint_single"
        footer.append(_txt(tr.t(lang, hint), size="xs", color=MUTED, margin="sm"))
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer}
    return bubble


def _option_button(vote_id: int, index: int, label: str, chosen: bool) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "style": "primary" if chosen else "secondary",
        "height": "sm",
        "action": {
            "type": "postback",
            "label": short_label(label),
            "data": ballot_data(vote_id, index),
            "displayText": display_text(label),
        },
    }
    if chosen:
        button["color"] = ACCENT
    return button


def votes_carousel(
    tr: Translator,
    lang: str,
    tz: str,
    community_name: str,
    cards: Sequence[tuple[VoteView, tuple[int, ...]]],
    now: datetime,
    quick: list[QuickReplyItem],
) -> list[FlexMessage]:
    """Up to ten open votes side by side, each with the reader's choices and its option buttons (in two
    carousels or more when long votes pass LINE's 50 KB for one)."""
    bubbles = [
        vote_bubble(tr, lang, tz, community_name, vote, now, choices=choices)
        for vote, choices in cards[:CARDS_SHOWN]
    ]
    return carousels(lambda count: tr.t(lang, "line.votes.alt", count=count), bubbles, quick)


def offer_card(
    tr: Translator,
    lang: str,
    tz: str,
    community_name: str,
    vote: VoteView,
    now: datetime,
    quick: list[QuickReplyItem],
) -> FlexMessage:
    """A new vote, offered to members who may vote and opted in (one card multicast to many: nobody's
    choices on it)."""
    bubble = vote_bubble(tr, lang, tz, community_name, vote, now, heading=tr.t(lang, "line.vote.card.new"))
    alt = tr.t(lang, "line.vote.card.alt_new", tz=tz, question=vote.question, closes=closes_of(vote))
    return bubble_message(alt, bubble, quick)


# --- results ------------------------------------------------------------------------------------------------
def result_bubble(tr: Translator, lang: str, tz: str, community_name: str, vote: VoteView) -> dict[str, Any]:
    """A vote's outcome: final once closed, live while open and visible; a hidden open vote says when its
    results come; a cancelled one says so."""
    body = _head(tr, lang, community_name, vote, None)
    result = vote.result
    if vote.status == "cancelled":
        body.append(_txt(tr.t(lang, "line.vote.results.cancelled"), size="sm", color=WARN, margin="md"))
    elif result is None:
        hidden = tr.t(lang, "line.vote.results.hidden", tz=tz, closes=closes_of(vote))
        body.append(_txt(hidden, size="sm", color=MUTED, margin="md"))
        turnout = tr.t(lang, "line.vote.card.turnout", voters=vote.voters, eligible=vote.eligible)
        body.append(_txt(turnout, size="sm", color=MUTED))
    else:
        if vote.is_open:
            state = tr.t(lang, "line.vote.results.live", tz=tz, closes=closes_of(vote))
        else:
            state = tr.t(
                lang, "line.vote.results.closed", tz=tz, closed=When(vote.closed_at or vote.closes_at)
            )
        body.append(_txt(state, size="xs", color=MUTED, margin="sm"))
        body.append(_txt(mode_text(tr, lang, vote), size="xs", color=MUTED))
        body.append({"type": "separator", "margin": "md"})
        body.extend(_result_rows(tr, lang, vote, result))
        body.append({"type": "separator", "margin": "md"})
        body.extend(_result_summary(tr, lang, vote, result))
    return {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "xs", "contents": body},
    }


def _result_rows(tr: Translator, lang: str, vote: VoteView, result: VoteResult) -> list[dict[str, Any]]:
    """Each option: its label, its count (and weighted total), and a bar of its share of all the votes."""
    scores = [o.weight_milli if result.weighted else o.count for o in result.options]
    total = sum(scores)
    leading = set(result.winners) if not vote.is_open else set()
    rows: list[dict[str, Any]] = []
    for option, score in zip(result.options, scores, strict=True):
        if result.weighted:
            tally = tr.t(
                lang,
                "line.vote.results.weighted",
                count=option.count,
                weight=weight_text(option.weight_milli),
            )
        else:
            tally = tr.t(lang, "line.vote.results.count", count=option.count)
        share = round(100 * score / total) if total else 0
        bar: list[dict[str, Any]] = []
        if share:
            bar.append(
                {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [],
                    "width": f"{share}%",
                    "height": "6px",
                    "backgroundColor": ACCENT if option.index in leading or not leading else MUTED,
                }
            )
        rows.append(
            {
                "type": "box",
                "layout": "vertical",
                "margin": "md",
                "spacing": "xs",
                "contents": [
                    {
                        "type": "box",
                        "layout": "baseline",
                        "spacing": "sm",
                        "contents": [
                            _txt(
                                option_label(tr, lang, vote, option.index),
                                size="sm",
                                flex=5,
                                weight="bold" if option.index in leading else "regular",
                            ),
                            _txt(tally, size="xs", color=MUTED, flex=3, align="end"),
                        ],
                    },
                    {
                        "type": "box",
                        "layout": "vertical",
                        "contents": bar,
                        "height": "6px",
                        "backgroundColor": TRACK,
                    },
                ],
            }
        )
    return rows


def _result_summary(tr: Translator, lang: str, vote: VoteView, result: VoteResult) -> list[dict[str, Any]]:
    """Voters of those eligible and the turnout, the quorum, and (once closed) the winner(s)."""
    lines = [
        _txt(
            tr.t(
                lang,
                "line.vote.results.voters",
                voters=result.voters,
                eligible=result.eligible,
                turnout=f"{result.turnout_percent:.0f}",
            ),
            size="sm",
            margin="md",
        )
    ]
    if result.quorum_needed:
        met = result.quorum_met
        key = "line.vote.results.quorum_met" if met else "line.vote.results.quorum_missed"
        lines.append(
            _txt(tr.t(lang, key, needed=result.quorum_needed), size="sm", color=ACCENT if met else WARN)
        )
    if not vote.is_open:
        winners = result.winners
        if not winners:
            lines.append(_txt(tr.t(lang, "line.vote.results.no_ballots"), size="sm", color=MUTED))
        else:
            key = "line.vote.results.winner" if len(winners) == 1 else "line.vote.results.tie"
            shown = choices_text(tr, lang, vote, winners)
            lines.append(_txt(tr.t(lang, key, options=shown), size="sm", weight="bold"))
    return lines


def results_carousel(
    tr: Translator,
    lang: str,
    tz: str,
    community_name: str,
    votes: Sequence[VoteView],
    quick: list[QuickReplyItem],
) -> list[FlexMessage]:
    """The latest votes' results side by side (newest first)."""
    bubbles = [result_bubble(tr, lang, tz, community_name, vote) for vote in votes[:CARDS_SHOWN]]
    return carousels(lambda count: tr.t(lang, "line.vote.results.alt", count=count), bubbles, quick)
