"""One LINE official account's Messaging API client: timeouts, retries, and retry keys in one place.

The SDK has no retries and a 300 s default timeout. Replies are free and single-use (a reply token is
never retried after LINE accepted it); pushes cost money, so each push carries an ``X-Line-Retry-Key``
kept across its retries (multicasts too), and LINE's 409 to a repeat means "already sent", not failure.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    Message,
    MulticastRequest,
    PushMessageRequest,
    ReplyMessageRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from bot.line.limits import MESSAGES_MAX
from bot.line.limits import MULTICAST_MAX as MULTICAST_MAX  # read from here by bot/line/webhook.py

log = logging.getLogger(__name__)

RETRYABLE = {429, 500, 502, 503, 504}
# Connection problems (not wrapped by the SDK), timeouts, and an answer the SDK's models cannot read.
TRANSPORT_ERRORS = (TimeoutError, OSError, aiohttp.ClientError, ValueError)


@dataclass(frozen=True)
class LineProfile:
    display_name: str
    language: str | None


class LineClient:
    """Build inside a running event loop (the SDK's aiohttp connector needs one); ``close`` at shutdown."""

    def __init__(
        self,
        access_token: str,
        api_base: str,
        timeout: float,
        attempts: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self._api_client = AsyncApiClient(Configuration(access_token=access_token, host=api_base))
        self._api = AsyncMessagingApi(self._api_client)
        self._reply_url = f"{api_base}/v2/bot/message/reply"
        self._auth = {"Authorization": f"Bearer {access_token}"}
        self._http: aiohttp.ClientSession | None = None  # for replies already in JSON (reply_json)
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff

    async def close(self) -> None:
        await self._api_client.close()
        if self._http is not None:
            await self._http.close()

    async def reply_json(self, reply_token: str, messages: Sequence[dict[str, Any]]) -> bool:
        """``reply`` for messages already in the API's JSON form: a storm's replies skip the SDK's models
        (building and serialising them was most of a ballot tap's CPU, bench/line_storm.py)."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        body = {"replyToken": reply_token, "messages": list(messages)[:MESSAGES_MAX]}
        try:
            async with self._http.post(self._reply_url, json=body, headers=self._auth) as resp:
                if resp.status != 200:
                    log.warning("LINE reply refused", extra={"status": resp.status})
                    return False
        except TRANSPORT_ERRORS as exc:
            log.warning("LINE reply failed", extra={"error": type(exc).__name__})
            return False
        return True

    async def reply(self, reply_token: str, messages: Sequence[Message]) -> bool:
        """Reply (free). Up to 5 messages. False if LINE refused (e.g. the token expired): logged."""
        request = ReplyMessageRequest(reply_token=reply_token, messages=list(messages)[:MESSAGES_MAX])
        try:
            await self._api.reply_message(request, _request_timeout=self.timeout)
        except ApiException as exc:
            log.warning("LINE reply refused", extra={"status": exc.status})
            return False
        except TRANSPORT_ERRORS as exc:
            log.warning("LINE reply failed", extra={"error": type(exc).__name__})
            return False
        return True

    async def push(self, user_id: str, messages: Sequence[Message], retry_key: str | None = None) -> bool:
        """Push (counts against the plan). Retries 429/5xx with the same retry key; 409 means delivered."""
        request = PushMessageRequest(to=user_id, messages=list(messages)[:MESSAGES_MAX])

        async def send(key: str) -> object:
            return await self._api.push_message(request, x_line_retry_key=key, _request_timeout=self.timeout)

        return await self._paid("push", send, retry_key)

    async def multicast(
        self, user_ids: Sequence[str], messages: Sequence[Message], retry_key: str | None = None
    ) -> bool:
        """The same messages to 1–500 people (one push each against the plan); retried like ``push``."""
        if not 1 <= len(user_ids) <= MULTICAST_MAX:
            raise ValueError(f"a multicast goes to 1 to {MULTICAST_MAX} people, not {len(user_ids)}")
        request = MulticastRequest(to=list(user_ids), messages=list(messages)[:MESSAGES_MAX])

        async def send(key: str) -> object:
            return await self._api.multicast(request, x_line_retry_key=key, _request_timeout=self.timeout)

        return await self._paid("multicast", send, retry_key)

    async def _paid(self, kind: str, send: Callable[[str], Awaitable[object]], retry_key: str | None) -> bool:
        """Send a paid message: one retry key across every attempt, backoff on 429/5xx and transport errors,
        and LINE's 409 to a repeated key counted as delivered (the first attempt got through)."""
        key = retry_key or str(uuid.uuid4())
        for attempt in range(1, self.attempts + 1):
            try:
                await send(key)
                return True
            except ApiException as exc:
                if exc.status == 409:
                    return True
                if exc.status not in RETRYABLE or attempt == self.attempts:
                    log.warning("LINE %s refused", kind, extra={"status": exc.status, "attempt": attempt})
                    return False
            except TRANSPORT_ERRORS as exc:
                if attempt == self.attempts:
                    log.warning(
                        "LINE %s failed", kind, extra={"error": type(exc).__name__, "attempt": attempt}
                    )
                    return False
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        return False

    async def profile(self, user_id: str) -> LineProfile | None:
        try:
            p = await self._api.get_profile(user_id, _request_timeout=self.timeout)
        except (ApiException, *TRANSPORT_ERRORS) as exc:
            log.info("LINE profile unavailable", extra={"error": type(exc).__name__})
            return None
        return LineProfile(display_name=p.display_name, language=p.language)
