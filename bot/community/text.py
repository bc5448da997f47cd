"""Free text members and staff type: normalised, bounded, without control characters."""

from __future__ import annotations

import unicodedata

from bot.community.errors import DomainError


def clean_text(raw: str, empty_key: str, long_key: str, limit: int) -> str:
    """NFKC-normalised and stripped; ``empty_key`` if nothing is left, ``long_key`` past ``limit``."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise DomainError(empty_key)
    if len(text) > limit:
        raise DomainError(long_key, max=limit)
    if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\n" for ch in text):
        raise DomainError("common.error.control_characters")
    return text
