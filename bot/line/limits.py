"""What LINE accepts, in one place: the Messaging API's limits on what the hub sends, and how LINE counts.

Each number is LINE's. Where the vendored ``bot/line/openapi/messaging-api.yml`` states it, the schema line
is named; the rest are in LINE's API reference (https://developers.line.biz/en/reference/messaging-api/),
whose sections are named. ``bot/line/spec_check.py`` (the stand-in's checker) refuses a request past any
of them; the LINE face shortens, splits or pages with these same numbers, so a member never meets them.

How LINE counts (https://developers.line.biz/en/docs/messaging-api/text-character-count/): text in UTF-16
code units (an emoji such as 🍎 is 2), except the label, displayText, text and fillInText of actions,
counted in grapheme clusters (a ZWJ family 👨‍👩‍👧 is 1). Where a limit's page does not say, UTF-16 units
are counted: never fewer than LINE's own count, so within them is within LINE's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import regex

# --- messages in one request -------------------------------------------------------------------------
MESSAGES_MAX = 5  # messaging-api.yml: Reply-/PushMessageRequest, MulticastRequest: messages maxItems 5
MULTICAST_MAX = 500  # messaging-api.yml: MulticastRequest.to maxItems 500 (and minItems 1)

# --- message objects ---------------------------------------------------------------------------------
TEXT_MAX = 5000  # "Text message": text, max 5000 characters (UTF-16 units)
ALT_TEXT_MAX = 1500  # "Flex Message" / "Template messages": altText, max 1500 characters (UTF-16 units)
QUICK_REPLY_MAX = 13  # messaging-api.yml: QuickReply.items maxItems 13

# --- action objects ----------------------------------------------------------------------------------
LABEL_MAX = 20  # "Action objects": label, max 20 (quick reply buttons, templates); grapheme clusters
FLEX_LABEL_MAX = 40  # "Action objects": label in a Flex Message (a button's, or a box/text/image's), max 40
POSTBACK_DATA_MAX = 300  # messaging-api.yml: PostbackAction.data maxLength 300 (UTF-16 units here)
DISPLAY_TEXT_MAX = 300  # "Postback action": displayText, max 300; grapheme clusters
ACTION_TEXT_MAX = 300  # "Message action": text, max 300; grapheme clusters
URI_MAX = 1000  # "URI action": uri (and altUri.desktop: messaging-api.yml AltUri.desktop maxLength 1000)
URI_SCHEMES = ("http", "https", "line", "tel")  # "URI action": the schemes a uri may use

# --- Flex Messages -----------------------------------------------------------------------------------
CAROUSEL_MAX = 12  # "Carousel": contents, max 12 bubbles
BUBBLE_BYTES_MAX = 30_000  # "Bubble": the JSON of one bubble, max 30 KB (counted as 30,000 bytes: stricter)
CAROUSEL_BYTES_MAX = 50_000  # "Carousel": the JSON of the whole carousel, max 50 KB (likewise 50,000 bytes)

ELLIPSIS = "…"
_GRAPHEME = regex.compile(r"\X")


def utf16_len(value: str) -> int:
    """The length LINE gives a text: UTF-16 code units (a character beyond U+FFFF counts 2)."""
    return len(value.encode("utf-16-le")) // 2


def grapheme_len(value: str) -> int:
    """The length LINE gives an action's label or displayText: user-perceived characters (UAX #29)."""
    if value.isascii():  # no cluster of ASCII is longer than one character but CR LF
        return len(value) - value.count("\r\n")
    return len(_GRAPHEME.findall(value))


def json_bytes(value: Any) -> int:
    """A Flex container's JSON as sent (UTF-8, compact) in bytes: what LINE's 30 KB and 50 KB count."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def fit(value: str, limit: int, measure: Callable[[str], int] = utf16_len) -> str:
    """``value`` as it is if ``measure`` finds it within ``limit``; else cut at a grapheme cluster (never
    inside an emoji) and ended with "…", the whole within ``limit``."""
    if measure(value) <= limit:
        return value
    room = limit - measure(ELLIPSIS)
    kept: list[str] = []
    used = 0
    for cluster in _GRAPHEME.findall(value):
        size = measure(cluster)
        if used + size > room:
            break
        kept.append(cluster)
        used += size
    return "".join(kept).rstrip() + ELLIPSIS


def fit_label(value: str, limit: int = LABEL_MAX) -> str:
    """An action's label (or displayText, with its own limit), counted as LINE counts labels."""
    return fit(value, limit, grapheme_len)


def one_line(value: str, limit: int) -> str:
    """A free text shown on a card: its whitespace folded to single spaces, then fitted to ``limit``."""
    return fit(" ".join(value.split()), limit)
