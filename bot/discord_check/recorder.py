"""The check on every request the bot sends to SimCord, and the record of what it refused.

SimCord sends the REST calls and the interaction callbacks and follow-ups alike through
``simcord.http.router.dispatch`` (after decoding a multipart ``payload_json``); ``installed()`` puts the check
in front of it. A request over one of Discord's limits is answered as Discord answers it (HTTP 400, code 50035
"Invalid Form Body", with the errors tree), so discord.py raises ``HTTPException`` as it would for real, and
the refusal is recorded even if the bot swallows the error: the tests fail on it at teardown and
``python -m bot demo`` exits non-zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

from bot.discord_check.rules import documented_rules
from bot.discord_check.spec import DiscordSpec, Violation, discord_spec

INVALID_FORM_BODY = 50035


@dataclass(frozen=True)
class Refusal:
    route: str
    violations: tuple[Violation, ...]

    def describe(self) -> str:
        return "\n".join([self.route, *("  " + v.describe() for v in self.violations)])

    def errors(self) -> dict[str, Any]:
        """The ``errors`` tree of Discord's answer: {"embeds": {"0": {"title": {"_errors": [...]}}}}."""
        tree: dict[str, Any] = {}
        for violation in self.violations:
            node = tree
            for part in violation.where:
                node = node.setdefault(str(part), {})
            node.setdefault("_errors", []).append({"code": violation.code, "message": violation.message})
        return tree


class DiscordRequestCheck:
    """Checks requests against Discord's limits; counts what it checked per route, keeps what it refused."""

    def __init__(self, spec: DiscordSpec | None = None) -> None:
        self.spec = spec or discord_spec()
        self.counts: Counter[str] = Counter()
        self.refusals: list[Refusal] = []

    def check(self, method: str, path: str, body: Any = None, reason: str | None = None) -> Refusal | None:
        """Count the request under its route and record and return a refusal if it breaks a limit."""
        route = self.spec.route(method, path) or f"{method.upper()} {path} (not in the spec)"
        self.counts[route] += 1
        violations = self.spec.check_body(route, body) if " (not in" not in route else []
        stated = {v.where for v in violations}  # the spec already said it: the docs' rule is not repeated
        violations += [
            v for v in documented_rules(route, body, reason, self.spec.locales) if v.where not in stated
        ]
        if not violations:
            return None
        refusal = Refusal(route, tuple(violations))
        self.refusals.append(refusal)
        return refusal

    def take_refusals(self) -> list[Refusal]:
        """The refusals so far, forgotten here (a test that provoked them on purpose takes them)."""
        taken, self.refusals = self.refusals, []
        return taken

    def report(self) -> str:
        return "\n".join(r.describe() for r in self.refusals)

    def summary(self) -> str:
        routes = len(self.counts)
        return (
            f"Discord limit check: {sum(self.counts.values())} requests on {routes} routes checked, "
            f"{len(self.refusals)} refused."
        )

    def _wrap(self, dispatch: Callable[..., Any]) -> Callable[..., Any]:
        from simcord.backend.errors import BackendError

        def checked(backend: Any, method: str, path: str, *, json: Any = None, **kwargs: Any) -> Any:
            reason = kwargs.get("reason")
            refusal = self.check(method, path, json, reason)
            if refusal is not None:
                raise BackendError(400, INVALID_FORM_BODY, "Invalid Form Body", errors=refusal.errors())
            return dispatch(backend, method, path, json=json, **kwargs)

        return checked

    @contextmanager
    def installed(self) -> Iterator[Self]:
        """Check every request SimCord receives while inside (SimCord calls ``router.dispatch`` by name)."""
        from simcord.http import router

        original = router.dispatch
        router.dispatch = self._wrap(original)
        try:
            yield self
        finally:
            router.dispatch = original
