"""A stand-in of the LINE Messaging API on loopback, and signed webhook events to drive the hub.

Used by the test suite and by ``python -m bot demo``: no machine here reaches LINE. It answers the calls
the hub makes (reply, push, multicast, profile) the way LINE does, and records every request for assertions.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


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


@dataclass
class LineStandIn:
    """``async with LineStandIn() as api:`` then point ``line.api_base`` at ``api.base_url``."""

    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    # Statuses to answer the next pushes with, in order; a 0 lets that request through (a failure later on).
    push_failures: deque[int] = field(default_factory=deque)
    multicast_failures: deque[int] = field(default_factory=deque)  # the same, for the next multicasts
    reply_gate: asyncio.Event | None = None  # when set, replies wait for it (a slow LINE, in tests)
    push_gate: asyncio.Event | None = None  # the same for pushes (recorded first, then held)
    _retry_keys: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def __aenter__(self) -> LineStandIn:
        app = web.Application()
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_post("/v2/bot/message/multicast", self._multicast)
        app.router.add_get("/v2/bot/profile/{user_id}", self._profile)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def replies(self) -> list[Received]:
        return [r for r in self.requests if r.path == "/v2/bot/message/reply"]

    def pushes(self) -> list[Received]:
        return [r for r in self.requests if r.path == "/v2/bot/message/push"]

    def multicasts(self) -> list[Received]:
        return [r for r in self.requests if r.path == "/v2/bot/message/multicast"]

    async def _record(self, request: web.Request) -> Received:
        body = await request.json() if request.can_read_body else None
        entry = Received(request.method, request.path, dict(request.headers), body)
        self.requests.append(entry)
        return entry

    def _authorised(self, entry: Received) -> bool:
        return entry.headers.get("Authorization", "").startswith("Bearer ")

    async def _reply(self, request: web.Request) -> web.Response:
        if self.reply_gate is not None:
            await self.reply_gate.wait()
        entry = await self._record(request)
        if not self._authorised(entry):
            return web.json_response({"message": "Authentication failed"}, status=401)
        body = entry.body or {}
        if not body.get("replyToken") or not 1 <= len(body.get("messages", [])) <= 5:
            return web.json_response({"message": "The request body has 1 error(s)"}, status=400)
        return web.json_response(
            {
                "sentMessages": [
                    {"id": str(uuid.uuid4().int)[:18], "quoteToken": "q"} for _ in body["messages"]
                ]
            }
        )

    async def _push(self, request: web.Request) -> web.Response:
        entry = await self._record(request)
        if self.push_gate is not None:
            await self.push_gate.wait()
        if not self._authorised(entry):
            return web.json_response({"message": "Authentication failed"}, status=401)
        body = entry.body or {}
        if not body.get("to") or not 1 <= len(body.get("messages", [])) <= 5:
            return web.json_response({"message": "The request body has 1 error(s)"}, status=400)
        return self._paid(entry, self.push_failures, {"sentMessages": [{"id": "1", "quoteToken": "q"}]})

    async def _multicast(self, request: web.Request) -> web.Response:
        entry = await self._record(request)
        if not self._authorised(entry):
            return web.json_response({"message": "Authentication failed"}, status=401)
        body = entry.body or {}
        to = body.get("to")
        if not isinstance(to, list) or not 1 <= len(to) <= 500 or not 1 <= len(body.get("messages", [])) <= 5:
            return web.json_response({"message": "The request body has 1 error(s)"}, status=400)
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

    async def _profile(self, request: web.Request) -> web.Response:
        entry = await self._record(request)
        user_id = request.match_info["user_id"]
        if not self._authorised(entry) or user_id not in self.profiles:
            return web.json_response({"message": "Not found"}, status=404)
        profile = {"userId": user_id, "displayName": "LINE user", "language": "ja", **self.profiles[user_id]}
        return web.json_response(profile)


# --- signed webhook events --------------------------------------------------------------------------
_ids = itertools.count(1)


def sign(channel_secret: str, body: str) -> str:
    digest = hmac.new(channel_secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_body(events: list[dict[str, Any]], destination: str = "Udestination") -> str:
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False)


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
