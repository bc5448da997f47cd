"""Free text members and staff type: normalised, bounded, without control characters."""

from __future__ import annotations

import unicodedata

from bot.community.errors import DomainError

ID_DIGITS = 9  # an id someone types: the id columns hold 32-bit integers, so nine digits at most
QUERY_MAX = 200  # what someone types to find a thing: longer than any name or title that can be found
# Format characters that belong inside what people type: the zero-width non-joiner and joiner (emoji such
# as 👨‍👩‍👧 and 🏳️‍🌈 are joined with it; Persian and Indic scripts need both) and the emoji tag characters
# (the flags of England, Scotland and Wales).
_TEXT_FORMAT = frozenset("\u200c\u200d") | frozenset(chr(c) for c in range(0xE0020, 0xE0080))


def is_control(ch: str) -> bool:
    """A character no name, tag or text should hold: controls, format characters (bidirectional overrides,
    zero-width spaces…) but those above, and lone surrogates. Unassigned code points are not refused: they
    may be emoji newer than this Python's Unicode tables."""
    category = unicodedata.category(ch)
    return category in ("Cc", "Cs") or (category == "Cf" and ch not in _TEXT_FORMAT)


def typed_number(raw: str, digits: int = ID_DIGITS) -> int | None:
    """A whole number as someone typed it (「12」「１２」), at most ``digits`` ASCII digits after NFKC; None
    for anything else (however long: a number is never parsed, or looked up, past what can be stored)."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not 0 < len(text) <= digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def query_text(raw: str) -> str:
    """What someone typed to find something, as a search can use it: without control or format characters
    (no stored name or title holds them, and PostgreSQL refuses a NUL) and no longer than ``QUERY_MAX``."""
    kept = "".join(ch for ch in raw if not is_control(ch))
    return kept.strip()[:QUERY_MAX].strip()


def clean_text(raw: str, empty_key: str, long_key: str, limit: int) -> str:
    """NFKC-normalised and stripped; ``empty_key`` if nothing is left, ``long_key`` past ``limit``."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise DomainError(empty_key)
    if len(text) > limit:
        raise DomainError(long_key, max=limit)
    if any(is_control(ch) and ch != "\n" for ch in text):
        raise DomainError("common.error.control_characters")
    return text
