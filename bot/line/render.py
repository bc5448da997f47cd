"""LINE messages built from service results: text with quick replies, and the Flex profile card.

The contribution cards (history, ranking) are in ``bot/line/contribution_cards.py``, the event cards in
``bot/line/event_cards.py``, the vote cards in ``bot/line/vote_cards.py``, the subcommittee and project
cards in ``bot/line/subcommittee_cards.py`` and ``bot/line/project_cards.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from linebot.v3.messaging import (
    FlexContainer,
    FlexMessage,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.community.ambassadors import AmbassadorView
from bot.community.conversations import Prompt
from bot.community.places import residence_label
from bot.i18n import Translator
from bot.line.limits import (
    ACTION_TEXT_MAX,
    ALT_TEXT_MAX,
    CAROUSEL_BYTES_MAX,
    CAROUSEL_MAX,
    DISPLAY_TEXT_MAX,
    MESSAGES_MAX,
    POSTBACK_DATA_MAX,
    QUICK_REPLY_MAX,
    TEXT_MAX,
    URI_MAX,
    URI_SCHEMES,
    fit,
    fit_label,
    json_bytes,
    one_line,
    utf16_len,
)

CARDS_SHOWN = 10  # cards a list shows at a time (LINE takes 12 in one carousel; more go in a second one)
ALT_SHOWN = 400  # characters of a Flex message's alt text (a notification shows its start; LINE takes 1,500)
URI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"  # RFC 3986 reserved and unreserved ASCII: kept as they are
PROFILE_EDIT_FIELDS = ("display_name", "residence", "connection", "interests", "skills", "language")


def command_words(tr: Translator, command: str) -> list[str]:
    """The words that call ``line.words.<command>`` in either language, folded, the longest first (so
    「活動証明書」 is tried before 「活動証明」)."""
    words = {
        w.strip().casefold()
        for lang in ("ja", "en")
        for w in tr.t(lang, f"line.words.{command}").split("|")
        if w.strip()
    }
    return sorted(words, key=len, reverse=True)


def postback_data(action: str, **params: str) -> str:
    data = urlencode({"action": action, **params})
    if utf16_len(data) > POSTBACK_DATA_MAX:
        raise ValueError(f"postback data longer than {POSTBACK_DATA_MAX} characters: {data[:40]}…")
    return data


def short_label(text: str) -> str:
    """An action's label within LINE's 20 (counted as LINE counts labels; cut with "…")."""
    return fit_label(text)


def shorten(value: str, limit: int) -> str:
    """A free text shown on a card or in an alt text: whitespace folded, cut to ``limit`` with "…"."""
    return one_line(value, limit)


def uri(link: str) -> str | None:
    """``link`` as a URI action's uri: non-ASCII (a Japanese path, a space) percent-encoded as RFC 3986
    wants, or None if LINE would refuse it (longer than 1,000, or a scheme other than http, https, line,
    tel): the card then shows the link as text without the action."""
    encoded = quote(link.strip(), safe=URI_SAFE)
    scheme = encoded.split(":", 1)[0].lower() if ":" in encoded else ""
    if scheme not in URI_SCHEMES or utf16_len(encoded) > URI_MAX:
        return None
    return encoded


def display_text(text: str) -> str:
    """What a tapped postback button says in the chat, within LINE's 300."""
    return fit_label(text, DISPLAY_TEXT_MAX)


def quick_reply(items: list[QuickReplyItem] | None) -> QuickReply | None:
    """Quick reply buttons under a message (text or Flex); LINE shows at most 13."""
    return QuickReply(items=items[:QUICK_REPLY_MAX]) if items else None


def clip(body: str) -> str:
    """A text message's body within LINE's 5,000 UTF-16 units (an emoji is 2; never cut inside one)."""
    return fit(body, TEXT_MAX)


def carousels(
    alt: Callable[[int], str], bubbles: Sequence[dict[str, Any]], quick: list[QuickReplyItem] | None
) -> list[FlexMessage]:
    """Bubbles side by side in as few carousels as LINE takes them: 12 bubbles and 50 KB of JSON each (a
    bubble is at most 30 KB, so each carousel holds at least one), at most the 5 messages of one reply.
    ``alt(n)`` is the alt text of a carousel of ``n``; the quick replies go under the last one."""
    groups: list[list[dict[str, Any]]] = [[]]
    for bubble in bubbles:
        group = groups[-1]
        if group and (
            len(group) == CAROUSEL_MAX
            or json_bytes({"type": "carousel", "contents": [*group, bubble]}) > CAROUSEL_BYTES_MAX
        ):
            group = []
            groups.append(group)
        group.append(bubble)
    messages = [
        FlexMessage(
            alt_text=shorten(alt(len(group)), ALT_SHOWN),
            contents=FlexContainer.from_dict({"type": "carousel", "contents": group}),
        )
        for group in groups[:MESSAGES_MAX]
    ]
    messages[-1].quick_reply = quick_reply(quick)
    return messages


def bubble_message(alt: str, bubble: dict[str, Any], quick: list[QuickReplyItem] | None) -> FlexMessage:
    """One bubble as a Flex message, its alt text shortened."""
    return FlexMessage(
        alt_text=shorten(alt, ALT_SHOWN),
        contents=FlexContainer.from_dict(bubble),
        quick_reply=quick_reply(quick),
    )


def text(body: str, quick: list[QuickReplyItem] | None = None) -> TextMessage:
    body = clip(body)
    if quick:
        return TextMessage(text=body, quick_reply=quick_reply(quick))
    return TextMessage(text=body)


def postback_item(label: str, data: str) -> QuickReplyItem:
    return QuickReplyItem(
        action=PostbackAction(label=short_label(label), data=data, display_text=display_text(label))
    )


def message_item(label: str, message: str | None = None) -> QuickReplyItem:
    said = fit_label(message or label, ACTION_TEXT_MAX)
    return QuickReplyItem(action=MessageAction(label=short_label(label), text=said))


def prompt_message(tr: Translator, lang: str, prompt: Prompt, error: str | None = None) -> TextMessage:
    """One question: the error first (if the last answer was refused), the progress, the choices."""
    parts = []
    if error:
        parts.append("⚠️ " + error)
    question = tr.t(lang, prompt.question_key, **prompt.params)
    if prompt.total:
        question = tr.t(lang, "wizard.progress", position=prompt.position, total=prompt.total) + question
    extra = [message_item(tr.t(lang, "wizard.skip"))] if prompt.skippable else []
    extra.append(message_item(tr.t(lang, "wizard.cancel")))
    labels = [c.label(tr, lang) for c in prompt.choices]
    room = QUICK_REPLY_MAX - len(extra)
    if len(labels) > room:  # more choices than buttons: list them all, so any can be typed
        question += "\n" + "\n".join(f"・{label}" for label in labels)
    parts.append(question)
    items = [
        postback_item(label, postback_data("answer", step=prompt.step, value=c.value))
        for c, label in zip(prompt.choices[:room], labels, strict=False)
    ]
    return text("\n\n".join(parts), items + extra)


def menu_items(tr: Translator, lang: str, registered: bool) -> list[QuickReplyItem]:
    if not registered:
        return [
            postback_item(tr.t(lang, "line.menu.register"), postback_data("register")),
            postback_item(tr.t(lang, "line.menu.help"), postback_data("help")),
        ]
    return [
        postback_item(tr.t(lang, f"line.menu.{action}"), postback_data(action))
        for action in (
            "contribute",
            "events",
            "votes",
            "subcommittees",
            "projects",
            "history",
            "ranking",
            "stage",
            "profile",
            "link",
            "help",
        )
    ]


def profile_message(tr: Translator, lang: str, view: AmbassadorView, community_name: str) -> FlexMessage:
    none = tr.t(lang, "profile.none")
    sep = tr.t(lang, "profile.list_separator")
    rows = [
        ("member_number", f"No. {view.member_number}"),
        ("stage", tr.t(lang, f"profile.stage.{view.stage}")),
        ("residence", residence_label(view.residence_kind, view.residence_code, lang)),
        ("connection", tr.t(lang, f"profile.connection.{view.connection}") if view.connection else none),
        ("interests", sep.join(view.interests) or none),
        ("skills", sep.join(view.skills) or none),
        ("language", tr.t(lang, f"profile.language.{view.language}")),
        ("platforms", " / ".join(tr.t(lang, f"profile.platform.{p}") for p in view.platforms) or none),
    ]
    body: list[dict[str, Any]] = [
        {"type": "text", "text": community_name, "size": "xs", "color": "#1F7A8C", "wrap": True},
        {
            "type": "text",
            "text": tr.t(lang, "line.profile.title", name=view.display_name or none),
            "weight": "bold",
            "size": "lg",
            "wrap": True,
        },
        {"type": "separator", "margin": "md"},
    ]
    for key, value in rows:
        body.append(
            {
                "type": "box",
                "layout": "baseline",
                "margin": "md",
                "spacing": "sm",
                "contents": [
                    {
                        "type": "text",
                        "text": tr.t(lang, f"profile.field.{key}").capitalize(),
                        "size": "sm",
                        "color": "#888888",
                        "flex": 2,
                        "wrap": True,
                    },
                    {"type": "text", "text": value, "size": "sm", "flex": 4, "wrap": True},
                ],
            }
        )
    footer = [
        {
            "type": "button",
            "style": "link",
            "height": "sm",
            "action": {
                "type": "postback",
                "label": short_label(tr.t(lang, f"line.profile.edit.{field}")),
                "data": postback_data("edit", field=field),
            },
        }
        for field in PROFILE_EDIT_FIELDS
    ]
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": body},
        "footer": {"type": "box", "layout": "vertical", "spacing": "none", "contents": footer},
    }
    return FlexMessage(
        alt_text=fit(tr.t(lang, "line.profile.title", name=view.display_name or none), ALT_TEXT_MAX),
        contents=FlexContainer.from_dict(bubble),
    )
