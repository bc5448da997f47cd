"""The LINE webhook server: ``create_line_app(settings, hub=None)`` builds an aiohttp application.

Each community's official account posts to ``/line/<community key>/webhook``. A request is checked
against that channel's secret (bad or missing ``X-Line-Signature``: 400, nothing stored), answered at
once with 200, and its events are handled afterwards, in order, one person at a time. A redelivered
event (same ``webhookEventId``) is handled once.

The same server serves members' calendar files at ``/calendar/<community key>/<token>.ics``: the token is
signed with the channel secret and names one member (and one event, or all theirs); anything else is 404.
Members' own data (「マイデータ」) is served likewise at ``/mydata/<community key>/<token>.json`` for a short
while after they ask (bot/line/privacy.py), and activity statements (「活動証明」) at
``/statement/<community key>/<token>.pdf`` and ``.json`` (bot/line/statements.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Sequence
from functools import partial
from typing import Literal

from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.messaging import Message
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhooks import Event

from bot.community.calendar import calendar_file, read_calendar_token
from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.events import EventView
from bot.community.votes import VoteView
from bot.config import Settings
from bot.hub import Hub, open_hub
from bot.line.ballot_batch import BallotBatcher, QueuedTap, ballot_tap
from bot.line.client import MULTICAST_MAX, LineClient
from bot.line.events import calendar_secret, offer_message
from bot.line.handlers import LineConversation
from bot.line.privacy import serve_mydata
from bot.line.render import text as render_text
from bot.line.statements import STATEMENT_PATH, serve_statement
from bot.line.votes import vote_offer_message

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
# Events handled at once, across communities. A storm is acknowledged at once and queues here: each event
# being handled holds a database connection (the pool has 5 + 10) and, on SQLite, competes for the one write
# lock. With thousands at once the lock's busy timeout (5 s) and the pool's checkout timeout (30 s) ran out
# and events were lost (bench/line_storm.py). Queued events wait without a connection.
HANDLING_MAX = 8


class LineFace:
    """Everything the webhook needs at run time, created when the application starts."""

    def __init__(self, settings: Settings, hub: Hub | None) -> None:
        self.settings = settings
        self._hub = hub
        self._owns_hub = hub is None
        self.parsers: dict[str, WebhookParser] = {}
        self.conversations: dict[str, LineConversation] = {}
        self.clients: list[LineClient] = []
        self.clients_by_community: dict[int, LineClient] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # One person's events are handled in order: a lock per person while they have events in hand.
        self._locks: dict[tuple[int, str], tuple[asyncio.Lock, int]] = {}
        self._handling = asyncio.Semaphore(HANDLING_MAX)
        self.ballots: dict[str, BallotBatcher] = {}

    @property
    def hub(self) -> Hub:
        assert self._hub is not None, "the LINE face has not started"
        return self._hub

    async def start(self, _app: web.Application) -> None:
        if self._hub is None:
            self._hub = await open_hub(self.settings)
        for ref in self.hub.communities.all():
            line = ref.settings.line
            if line is None:
                continue
            client = LineClient(
                line.channel_access_token.get_secret_value(),
                self.settings.line.api_base,
                self.settings.line.request_timeout_seconds,
            )
            self.clients.append(client)
            self.parsers[ref.key] = WebhookParser(line.channel_secret.get_secret_value())
            conversation = LineConversation(self.hub, ref, client)
            self.conversations[ref.key] = conversation
            self.clients_by_community[ref.id] = client
            self.ballots[ref.key] = BallotBatcher(
                self.hub,
                ref,
                client,
                conversation.votes,
                partial(self._handle_tap, ref),
                self._spawn,
                self._handling,
            )
        self.hub.notifier.attach(LineSink(self))

    async def stop(self, _app: web.Application) -> None:
        if self._hub is not None:
            self._hub.notifier.detach("line")
        await self.drain()
        for client in self.clients:
            await client.close()
        if self._owns_hub and self._hub is not None:
            await self._hub.close()

    async def drain(self) -> None:
        """Wait until every event received so far has been handled (shutdown, tests, the demo)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- the request ------------------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        key = request.match_info["community"]
        parser = self.parsers.get(key)
        ref = self.hub.communities.by_key(key)
        if parser is None or ref is None:
            return web.json_response({"error": "unknown community"}, status=404)
        signature = request.headers.get("X-Line-Signature")
        if not signature:
            return web.json_response({"error": "missing signature"}, status=400)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "body too large"}, status=413)
        body = await request.text()
        if not parser.signature_validator.validate(body, signature):
            log.warning("LINE webhook with a bad signature", extra={"community": key})
            return web.json_response({"error": "bad signature"}, status=400)
        try:
            events = parse_events(body)
        except (ValueError, KeyError, TypeError):  # pydantic's ValidationError is a ValueError
            return web.json_response({"error": "malformed body"}, status=400)
        self._spawn(self._handle_all(ref, events))
        return web.json_response({})

    async def calendar(self, request: web.Request) -> web.Response:
        """A member's .ics: one event, or the events they answered. A forged or altered token, another
        community's key, an event of another community, or a member who left: 404, and nothing said why."""
        key = request.match_info["community"]
        ref = self.hub.communities.by_key(key)
        secret = calendar_secret(ref) if ref is not None else None
        found = read_calendar_token(secret, key, request.match_info["token"]) if secret else None
        if ref is None or found is None:
            return web.Response(status=404, text="not found")
        ambassador_id, event_id = found
        try:
            events = await self.hub.events.calendar_of(ref.id, ambassador_id, event_id)
        except DomainError:
            return web.Response(status=404, text="not found")
        body = calendar_file(ref.key, ref.name, events, self.hub.clock.now())
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "private, no-cache"},
        )

    async def mydata(self, request: web.Request) -> web.Response:
        """A member's data behind a signed link (bot/line/privacy.py)."""
        return await serve_mydata(self.hub, request)

    async def statement(self, request: web.Request) -> web.Response:
        """A member's activity statement behind a signed link (bot/line/statements.py)."""
        return await serve_statement(self.hub, request)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle_all(self, ref: CommunityRef, events: list[Event | QueuedTap]) -> None:
        for event in events:
            if isinstance(
                event, QueuedTap
            ):  # a ballot button: cast with the others waiting (ballot_batch.py)
                self.ballots[ref.key].add(event)
                continue
            event_id = getattr(event, "webhook_event_id", None)
            try:
                async with self._handling:
                    if event_id and not await self.hub.webhook_events.claim(ref.id, event_id):
                        log.info(
                            "LINE event already handled", extra={"community": ref.key, "event": event_id}
                        )
                        continue
                await self._handle_one(ref, event)
            except Exception:
                log.exception("LINE event failed", extra={"community": ref.key, "event": event_id})

    async def _handle_tap(self, ref: CommunityRef, tap: QueuedTap) -> None:
        try:
            event = tap.event()
        except (ValueError, KeyError, TypeError):
            log.warning("LINE ballot tap unreadable", extra={"community": ref.key, "event": tap.event_id})
            return
        await self._handle_one(ref, event)

    async def _handle_one(self, ref: CommunityRef, event: Event) -> None:
        """One event through the conversation, after the person's earlier ones (its id already claimed)."""
        user_id = getattr(getattr(event, "source", None), "user_id", None) or ""
        key = (ref.id, user_id)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock, self._handling:
                await self.conversations[ref.key].handle(event)
        except Exception:
            event_id = getattr(event, "webhook_event_id", None)
            log.exception("LINE event failed", extra={"community": ref.key, "event": event_id})
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]  # nobody else waits: the map keeps only people with events in hand
            else:
                self._locks[key] = (lock, users - 1)


class LineSink:
    """The notifier's way to reach a member on LINE: a push, or an event or vote card multicast to many (the
    notifier or the offers service has claimed the budget first)."""

    platform: Literal["line"] = "line"

    def __init__(self, face: LineFace) -> None:
        self.face = face

    async def send(
        self, community_id: int, external_id: str, text: str, retry_key: str | None = None
    ) -> bool:
        client = self.face.clients_by_community.get(community_id)
        return client is not None and await client.push(external_id, [render_text(text)], retry_key)

    async def send_event_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, event: EventView
    ) -> bool:
        """One event card (in ``lang``, times in ``tz``) to these members, 500 per multicast. False if LINE
        refused any part (the offers service hands at most 500 at a time, so that is all of them)."""
        client = self.face.clients_by_community.get(community_id)
        if client is None:
            return False
        message = offer_message(self.face.hub, community_id, lang, tz, event)
        return await self._multicast(client, external_ids, message)

    async def send_vote_card(
        self, community_id: int, external_ids: Sequence[str], lang: str, tz: str, vote: VoteView
    ) -> bool:
        """One vote card (in ``lang``, closing time in ``tz``, an option button each) to these members, 500
        per multicast; False if LINE refused any part."""
        client = self.face.clients_by_community.get(community_id)
        if client is None:
            return False
        message = vote_offer_message(self.face.hub, community_id, lang, tz, vote)
        return await self._multicast(client, external_ids, message)

    async def multicast_text(self, community_id: int, external_ids: Sequence[str], text: str) -> bool:
        """One text (a staff broadcast) to these members, 500 per multicast; False if LINE refused any part
        (the broadcasts service hands at most 500 at a time, so that is all of them)."""
        client = self.face.clients_by_community.get(community_id)
        if client is None:
            return False
        return await self._multicast(client, external_ids, render_text(text))

    @staticmethod
    async def _multicast(client: LineClient, external_ids: Sequence[str], message: Message) -> bool:
        delivered = True
        for start in range(0, len(external_ids), MULTICAST_MAX):
            batch = list(external_ids[start : start + MULTICAST_MAX])
            delivered = await client.multicast(batch, [message]) and delivered
        return delivered

    async def sync_roles(
        self, community_id: int, external_id: str, add: tuple[int, ...], remove: tuple[int, ...]
    ) -> bool:
        return True  # LINE has no roles


def create_line_app(settings: Settings, hub: Hub | None = None) -> web.Application:
    """Build the webhook application. With ``hub=None`` it opens its own hub from ``settings`` at start.

    Tests and embedders pass a hub and run it with aiohttp's ``AppRunner`` on 127.0.0.1; the
    ``LineFace`` is at ``app[LINE_FACE]`` (``await app[LINE_FACE].drain()`` waits for queued events).
    """
    face = LineFace(settings, hub)
    app = web.Application(client_max_size=MAX_BODY)
    app[LINE_FACE] = face
    app.on_startup.append(face.start)
    app.on_cleanup.append(face.stop)
    app.router.add_post("/line/{community}/webhook", face.webhook)
    app.router.add_get("/calendar/{community}/{token}.ics", face.calendar)
    app.router.add_get("/mydata/{community}/{token}.json", face.mydata)
    app.router.add_get(STATEMENT_PATH, face.statement)
    app.router.add_get("/healthz", _healthz)
    return app


def parse_events(body: str) -> list[Event | QueuedTap]:
    """A verified webhook body's events: ballot taps read straight from the JSON (a storm of them is
    cheap), everything else through the SDK's models, as ``WebhookParser.parse`` does."""
    payload = json.loads(body)
    raw_events = payload["events"] if isinstance(payload, dict) else None
    if not isinstance(raw_events, list):
        raise ValueError("no events list")
    events: list[Event | QueuedTap] = []
    for raw in raw_events:
        tap = ballot_tap(raw)
        if tap is not None:
            events.append(tap)
            continue
        try:
            events.append(Event.from_dict(raw))
        except ValueError:  # a type this SDK does not know: kept as LINE's parser does
            events.append(UnknownEvent.new_from_json_dict(raw))
    return events


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


LINE_FACE: web.AppKey[LineFace] = web.AppKey("line_face", LineFace)
