"""A stand-in of the LINE Messaging API on loopback, and signed webhook events to drive the hub.

Used by the test suite and by ``python -m bot demo``: no machine here reaches LINE. It answers the calls
the hub makes (reply, push, multicast, profile) the way LINE does, and records every request for assertions.

Every request is checked as LINE checks it (``bot/line/spec_check.py``: the endpoint's schema in LINE's own
messaging-api.yml, its headers, and the limits LINE documents beside it): a request LINE would refuse gets
LINE's 400 (``{"message": "The request body has N error(s)", "details": [{"message", "property"}]}``) and is
kept in ``violations``; so is a call to an endpoint the stand-in does not serve. Leaving ``async with`` with
a violation raises ``AssertionError`` naming each refused request, so the test (or the demo) that made the
hub send it fails. ``checked`` counts the requests checked, per endpoint. A test that sends a wrong request
on purpose takes its violations back with ``take_violations()``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.line.spec_check import Operation, Problem, messaging_api, validate_webhook_body


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages", []))

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("altText", "") for m in self.messages]


@dataclass(frozen=True)
class Violation:
    """A request LINE would have refused (or an endpoint the stand-in does not serve), and why."""

    method: str
    path: str
    problems: tuple[Problem, ...]
    body: Any

    def __str__(self) -> str:
        shown = json.dumps(self.body, ensure_ascii=False)
        shown = shown if len(shown) <= 600 else shown[:600] + "…"
        return "\n".join(
            [f"{self.method} {self.path}", *(f"  - {p}" for p in self.problems), f"  body: {shown}"]
        )


def refusal(problems: list[Problem] | tuple[Problem, ...]) -> dict[str, Any]:
    """LINE's 400 answer to a request body it will not take."""
    return {
        "message": f"The request body has {len(problems)} error(s)",
        "details": [{"message": p.message, "property": p.property} for p in problems],
    }


Handler = Callable[[web.Request, Operation], Awaitable[web.Response]]


@dataclass
class LineStandIn:
    """``async with LineStandIn() as api:`` then point ``line.api_base`` at ``api.base_url``."""

    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)  # "POST /v2/bot/message/reply" → requests checked
    # Statuses to answer the next pushes with, in order; a 0 lets that request through (a failure later on).
    push_failures: deque[int] = field(default_factory=deque)
    multicast_failures: deque[int] = field(default_factory=deque)  # the same, for the next multicasts
    reply_gate: asyncio.Event | None = None  # when set, replies wait for it (a slow LINE, in tests)
    push_gate: asyncio.Event | None = None  # the same for pushes (recorded first, then held)
    _retry_keys: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def __aenter__(self) -> LineStandIn:
        messaging_api()  # compiled before the first request (once per process)
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if exc_type is None:
            self.assert_no_violations()

    # --- what was received ---------------------------------------------------------------------------------
    def replies(self) -> list[Received]:
        return [r for r in self.requests if r.path == "/v2/bot/message/reply"]

    def pushes(self) -> list[Received]:
        return [r for r in self.requests if r.path == "/v2/bot/message/push"]

    def multicasts(self) -> list[Received]:
        return [r for r in self.requests if r.path == "/v2/bot/message/multicast"]

    def report(self) -> str:
        """Every refused request, readable: what was sent where, and each problem LINE would name."""
        return "\n".join(str(v) for v in self.violations)

    def assert_no_violations(self) -> None:
        if self.violations:
            raise AssertionError(
                f"LINE would have refused {len(self.violations)} request(s) the hub sent:\n{self.report()}"
            )

    def take_violations(self) -> list[Violation]:
        """The violations so far, forgotten (a test that sent a wrong request on purpose)."""
        taken, self.violations = self.violations, []
        return taken

    # --- serving ------------------------------------------------------------------------------------------
    def _served(self) -> dict[str, Handler]:
        return {
            "POST /v2/bot/message/reply": self._reply,
            "POST /v2/bot/message/push": self._push,
            "POST /v2/bot/message/multicast": self._multicast,
            "GET /v2/bot/profile/{userId}": self._profile,
        }

    async def _dispatch(self, request: web.Request) -> web.Response:
        op = messaging_api().operation(request.method, request.path)
        handler = self._served().get(op.name) if op is not None else None
        if op is None or handler is None:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            self.requests.append(Received(request.method, request.path, dict(request.headers), body))
            why = (
                "not an endpoint of LINE's messaging-api.yml"
                if op is None
                else f"{op.operation_id} is in messaging-api.yml, but the stand-in does not serve it"
            )
            self.violations.append(Violation(request.method, request.path, (Problem("", why),), body))
            return web.json_response({"message": "Not found"}, status=404)
        return await handler(request, op)

    async def _check(self, request: web.Request, op: Operation) -> tuple[Received, web.Response | None]:
        """Record the request and check it as LINE would: the answer to give instead, if it is refused."""
        raw = await request.read()
        body, problems = messaging_api().check(op, request.headers, raw)
        entry = Received(request.method, request.path, dict(request.headers), body)
        self.requests.append(entry)
        self.checked[op.name] += 1
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            problem = Problem("Authorization", "A channel access token must be given as a Bearer token")
            self.violations.append(Violation(request.method, request.path, (problem,), body))
            return entry, web.json_response({"message": "Authentication failed"}, status=401)
        if problems:
            self.violations.append(Violation(request.method, request.path, tuple(problems), body))
            return entry, web.json_response(refusal(problems), status=400)
        return entry, None

    async def _reply(self, request: web.Request, op: Operation) -> web.Response:
        if self.reply_gate is not None:
            await self.reply_gate.wait()
        entry, refused = await self._check(request, op)
        if refused is not None:
            return refused
        return web.json_response(
            {"sentMessages": [{"id": str(uuid.uuid4().int)[:18], "quoteToken": "q"} for _ in entry.messages]}
        )

    async def _push(self, request: web.Request, op: Operation) -> web.Response:
        entry, refused = await self._check(request, op)
        if self.push_gate is not None:
            await self.push_gate.wait()
        if refused is not None:
            return refused
        answer = {"sentMessages": [{"id": "1", "quoteToken": "q"} for _ in entry.messages]}
        return self._paid(entry, self.push_failures, answer)

    async def _multicast(self, request: web.Request, op: Operation) -> web.Response:
        entry, refused = await self._check(request, op)
        if refused is not None:
            return refused
        return self._paid(entry, self.multicast_failures, {})

    def _paid(self, entry: Received, failures: deque[int], answer: dict[str, Any]) -> web.Response:
        """A push or multicast: an injected failure first, then LINE's 409 to a retry key seen before."""
        key = entry.headers.get("X-Line-Retry-Key")
        status = failures.popleft() if failures else 0
        if status:
            return web.json_response({"message": "failure injected"}, status=status)
        if key and key in self._retry_keys:
            return web.json_response({"message": "The retry key is already accepted"}, status=409)
        if key:
            self._retry_keys.add(key)
        return web.json_response(answer)

    async def _profile(self, request: web.Request, op: Operation) -> web.Response:
        _entry, refused = await self._check(request, op)
        if refused is not None:
            return refused
        user_id = request.match_info["path"].rsplit("/", 1)[-1]
        if user_id not in self.profiles:
            return web.json_response({"message": "Not found"}, status=404)
        profile = {"userId": user_id, "displayName": "LINE user", "language": "ja", **self.profiles[user_id]}
        return web.json_response(profile)


# --- signed webhook events --------------------------------------------------------------------------
_ids = itertools.count(1)


DESTINATION = "U" + "d" * 32  # the bot's user ID in a webhook (webhook.yml: U and 32 hex digits)


def sign(channel_secret: str, body: str) -> str:
    digest = hmac.new(channel_secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_body(events: list[dict[str, Any]], destination: str = DESTINATION) -> str:
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False)


def webhook_headers(channel_secret: str, body: str, *, malformed: bool = False) -> dict[str, str]:
    """The headers LINE posts ``body`` with (JSON, signed with the channel secret). The body is first checked
    against webhook.yml, so a test cannot send what LINE never would; a test that sends a malformed body on
    purpose says ``malformed=True``."""
    if not malformed:
        problems = validate_webhook_body(body)
        if problems:
            raise AssertionError(
                "LINE never sends this webhook body (webhook.yml):\n  " + "\n  ".join(problems)
            )
    return {"Content-Type": "application/json", "X-Line-Signature": sign(channel_secret, body)}


def _base(kind: str, user_id: str, event_id: str | None, redelivery: bool) -> dict[str, Any]:
    n = next(_ids)
    return {
        "type": kind,
        "mode": "active",
        "timestamp": 1_790_000_000_000 + n,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or f"01JEVENT{n:018d}",
        "deliveryContext": {"isRedelivery": redelivery},
    }


def follow_event(user_id: str, event_id: str | None = None, redelivery: bool = False) -> dict[str, Any]:
    return {
        **_base("follow", user_id, event_id, redelivery),
        "replyToken": f"rt-{uuid.uuid4().hex}",
        "follow": {"isUnblocked": False},
    }


def unfollow_event(user_id: str, event_id: str | None = None) -> dict[str, Any]:
    return _base("unfollow", user_id, event_id, False)


def text_event(
    user_id: str, text: str, event_id: str | None = None, redelivery: bool = False
) -> dict[str, Any]:
    return {
        **_base("message", user_id, event_id, redelivery),
        "replyToken": f"rt-{uuid.uuid4().hex}",
        "message": {"type": "text", "id": str(next(_ids)), "quoteToken": "q", "text": text},
    }


def sticker_event(user_id: str) -> dict[str, Any]:
    return {
        **_base("message", user_id, None, False),
        "replyToken": f"rt-{uuid.uuid4().hex}",
        "message": {
            "type": "sticker",
            "id": str(next(_ids)),
            "quoteToken": "q",
            "packageId": "1",
            "stickerId": "1",
            "stickerResourceType": "STATIC",
        },
    }


def postback_event(user_id: str, data: str, event_id: str | None = None) -> dict[str, Any]:
    return {
        **_base("postback", user_id, event_id, False),
        "replyToken": f"rt-{uuid.uuid4().hex}",
        "postback": {"data": data},
    }


def in_group(event: dict[str, Any], group_id: str) -> dict[str, Any]:
    """The same event as LINE sends it from a group chat the account is in (the sender's userId kept)."""
    source = {"type": "group", "groupId": group_id, "userId": event["source"]["userId"]}
    return {**event, "source": source}


def join_event(group_id: str) -> dict[str, Any]:
    """The account was invited to a group chat."""
    event = {**_base("join", "", None, False), "replyToken": f"rt-{uuid.uuid4().hex}"}
    return {**event, "source": {"type": "group", "groupId": group_id}}
