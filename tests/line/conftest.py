"""The LINE face over real HTTP on 127.0.0.1: signed webhooks in, a Messaging API stand-in out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import settings_from_mapping
from bot.hub import Hub
from bot.line.standin import LineStandIn, webhook_body, webhook_headers
from bot.line.webhook import LINE_FACE, create_line_app
from tests.conftest import settings_data

SECRET = "ama-line-secret"


@dataclass
class LineWorld:
    api: LineStandIn
    base_url: str
    app: web.Application
    http: aiohttp.ClientSession
    hub: Hub

    async def post(
        self,
        events: list[dict[str, Any]],
        *,
        secret: str = SECRET,
        community: str = "ama",
        signature: str | None = None,
        body: str | None = None,
        malformed: bool = False,
    ) -> int:
        """Post ``events`` (or a raw ``body``) as LINE would, signed; wait until the hub has handled them.

        The body must be one LINE could send (webhook.yml): a test that posts a malformed one on purpose says
        ``malformed=True``. ``signature=""`` sends none; another string sends that one."""
        body = body if body is not None else webhook_body(events)
        headers = webhook_headers(secret, body, malformed=malformed)
        if signature is not None:
            headers.pop("X-Line-Signature")
            if signature:
                headers["X-Line-Signature"] = signature
        async with self.http.post(
            f"{self.base_url}/line/{community}/webhook", data=body.encode(), headers=headers
        ) as resp:
            status = resp.status
        await self.app[LINE_FACE].drain()
        return status

    def last_reply(self) -> list[str]:
        return self.api.replies()[-1].texts

    def last_quick_labels(self) -> list[str]:
        message = self.api.replies()[-1].messages[-1]
        return [i["action"]["label"] for i in message.get("quickReply", {}).get("items", [])]


@pytest.fixture
async def line(db_url: str, hub: Hub) -> AsyncIterator[LineWorld]:
    async with LineStandIn() as api:
        data = settings_data(db_url)
        data["line"]["api_base"] = api.base_url
        await hub.reconfigure(settings_from_mapping(data, env={}))
        app = create_line_app(hub.settings, hub)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:
            yield LineWorld(api, f"http://127.0.0.1:{port}", app, http, hub)
        await runner.cleanup()
