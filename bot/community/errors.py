"""Domain errors carry a message-catalog key; each face turns them into a localised reply."""

from __future__ import annotations

from typing import Any

ECHO_MAX = 100  # characters of a text parameter an error repeats back (what someone typed can be 6,000)


def _bounded(value: Any) -> Any:
    if isinstance(value, str) and len(value) > ECHO_MAX:
        return value[: ECHO_MAX - 1] + "…"
    return value


class DomainError(Exception):
    """A rule said no. Text parameters are kept to ``ECHO_MAX`` characters: an error never repeats back
    unbounded input (a message has room for 2,000 characters on Discord, 5,000 on LINE)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = {name: _bounded(value) for name, value in params.items()}

    def __repr__(self) -> str:
        return f"DomainError({self.key!r}, **{self.params!r})"
