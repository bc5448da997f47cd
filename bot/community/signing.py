"""Signed link tokens: numbers joined by dots and an HMAC-SHA256 signature, so that a link to one member's
calendar or activity statement cannot be turned into another's by changing a number.

The key is the community's LINE channel secret; ``purpose`` keeps a calendar token from passing as a statement
token (or the reverse) even when the numbers happen to match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, purpose: str, community_key: str, *numbers: int) -> str:
    """``"n1.n2….signature"`` for these non-negative numbers."""
    body = ".".join(str(n) for n in numbers)
    return f"{body}.{_signature(secret, purpose, community_key, body)}"


def read(secret: str, purpose: str, community_key: str, token: str, count: int) -> tuple[int, ...] | None:
    """The ``count`` numbers of a token this community signed for ``purpose``, else None."""
    parts = token.split(".")
    if len(parts) != count + 1 or not all(p.isascii() and p.isdigit() for p in parts[:count]):
        return None
    body = ".".join(parts[:count])
    if not hmac.compare_digest(parts[count], _signature(secret, purpose, community_key, body)):
        return None
    return tuple(int(p) for p in parts[:count])


def _signature(secret: str, purpose: str, community_key: str, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{community_key}:{body}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode()
