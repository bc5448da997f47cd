"""A signal from a service that something became due at a given time (a reminder armed, a vote opened).

The scheduler subscribes to wake the process then; with no subscriber (tests, tools) nothing happens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute


class DueSignal:
    def __init__(self) -> None:
        self._listeners: list[Callable[[datetime], None]] = []

    def subscribe(self, listener: Callable[[datetime], None]) -> None:
        """``listener(due)`` is called whenever something new is due at ``due``."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[datetime], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def armed(self, due: datetime | None) -> None:
        if due is None:
            return
        for listener in list(self._listeners):
            listener(due)


# The communities one process's scheduled jobs handle (a Discord shard's), or None for all of them.
Scope = frozenset[int] | None


def scoped(column: InstrumentedAttribute[int], scope: Scope) -> list[ColumnElement[bool]]:
    """The ``where`` clauses that keep a job's query to its scope (none when it handles every community)."""
    return [] if scope is None else [column.in_(sorted(scope))]
