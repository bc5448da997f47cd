"""Privacy on LINE: 「非公開設定」 (fields kept from staff, one tap each), 「マイデータ」 (a signed link to
one's data, served by the webhook server), and the gate in front of every message and button: a suspended
member is told so, and a member who has not accepted the community's newer privacy notice is asked first.

The rules are in ``hub.privacy`` (bot/community/privacy.py); this reads what the member sent and replies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs

from aiohttp import web
from linebot.v3.messaging import Message, QuickReplyItem
from linebot.v3.webhooks import Event, MessageEvent, PostbackEvent

from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.privacy import (
    EXPORT_LINK_LIFETIME,
    PRIVATE_FIELDS,
    Standing,
    export_token,
    read_export_token,
)
from bot.hub import Hub
from bot.line import render
from bot.line.events import calendar_secret

# A member who does not accept a newer notice may still leave (and so erase their data).
CONSENT_EXEMPT_COMMANDS = ("leave",)
CONSENT_EXEMPT_ACTIONS = ("leave", "leave_confirm", "leave_cancel")
GATE_ACTIONS = ("consent",)  # the buttons the gate answers itself (the privacy notice's)


def mydata_url(public_url: str | None, ref: CommunityRef, ambassador_id: int, hub: Hub) -> str | None:
    """A member's own data link, good for ``EXPORT_LINK_LIFETIME``; None where this server has no public
    URL (or the community no LINE channel secret to sign with)."""
    secret = calendar_secret(ref)
    if not public_url or secret is None:
        return None
    token = export_token(secret, ref.key, ambassador_id, hub.clock.now() + EXPORT_LINK_LIFETIME)
    return f"{public_url}/mydata/{ref.key}/{token}.json"


async def serve_mydata(hub: Hub, request: web.Request) -> web.Response:
    """``/mydata/<community key>/<token>.json``: the member's data while the link is good. A forged, altered
    or expired token, another community's key, or a member who left: 404, and nothing said why."""
    key = request.match_info["community"]
    ref = hub.communities.by_key(key)
    secret = calendar_secret(ref) if ref is not None else None
    found = read_export_token(secret, key, request.match_info["token"], hub.clock.now()) if secret else None
    if ref is None or found is None:
        return web.Response(status=404, text="not found")
    data = await hub.privacy.export_of(ref.id, found)
    if data is None:
        return web.Response(status=404, text="not found")
    number = data["profile"]["member_number"]
    return web.Response(
        body=json.dumps(data, ensure_ascii=False, indent=2).encode(),
        content_type="application/json",
        charset="utf-8",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{ref.key}-mydata-{number}.json"',
            "X-Robots-Tag": "noindex",
        },
    )


class LinePrivacy:
    """One community's privacy commands and gate on LINE."""

    def __init__(self, hub: Hub, ref: CommunityRef) -> None:
        self.hub = hub
        self.ref = ref
        self.tr = hub.tr

    def menu(self, lang: str) -> list[QuickReplyItem]:
        return render.menu_items(self.tr, lang, True)

    # --- the gate ---------------------------------------------------------------------------------------
    async def gate(
        self,
        who: Identity,
        lang: str,
        event: Event,
        command_of: Callable[[str], str | None],
        standing: Standing | None = None,
    ) -> list[Message] | None:
        """The reply instead of handling the event (a suspension, the notice to accept, the answer to the
        notice's buttons), or None to go on as usual. ``standing``: the member's, if the caller read it."""
        action, params = "", {}
        if isinstance(event, PostbackEvent):
            params = postback_params(event.postback.data or "")
            action = params.get("action", "")
        elif not isinstance(event, MessageEvent):
            return None
        if standing is None:
            standing = await self.hub.privacy.standing(who)
        if not standing.registered:
            return None
        lang = standing.language or lang
        if standing.suspended:
            return [render.text(self.tr.t(lang, "profile.error.suspended"))]
        if action == "consent":
            return await self.answer(who, lang, standing, params)
        if not standing.needs_consent:
            return None
        if action in CONSENT_EXEMPT_ACTIONS:
            return None
        text = getattr(event.message, "text", None) if isinstance(event, MessageEvent) else None
        if isinstance(text, str) and command_of(text) in CONSENT_EXEMPT_COMMANDS:
            return None
        return [self.notice(lang, standing)]

    def notice(self, lang: str, standing: Standing) -> Message:
        version = standing.notice_version or ""
        return render.text(
            self.tr.t(lang, "line.consent.prompt", version=version, url=standing.notice_url),
            [
                render.postback_item(
                    self.tr.t(lang, "line.consent.agree"), render.postback_data("consent", v="1", n=version)
                ),
                render.postback_item(
                    self.tr.t(lang, "line.consent.decline"), render.postback_data("consent", v="0")
                ),
            ],
        )

    async def answer(
        self, who: Identity, lang: str, standing: Standing, params: Mapping[str, str]
    ) -> list[Message]:
        """The notice's buttons: Agree records consent to the version shown; Decline changes nothing."""
        if params.get("v") == "1":
            try:
                await self.hub.privacy.accept_notice(who, params.get("n", ""))
            except DomainError as err:
                if err.key != "privacy.error.notice_changed":
                    raise
                fresh = await self.hub.privacy.standing(who)
                return [render.text(self.tr.error(lang, err)), self.notice(lang, fresh)]
            return [render.text(self.tr.t(lang, "line.consent.accepted"), self.menu(lang))]
        if not standing.needs_consent:
            return [render.text(self.tr.t(lang, "line.consent.up_to_date"), self.menu(lang))]
        return [
            render.text(
                self.tr.t(lang, "line.consent.declined"),
                [
                    render.postback_item(
                        self.tr.t(lang, "line.consent.agree"),
                        render.postback_data("consent", v="1", n=standing.notice_version or ""),
                    ),
                    render.postback_item(
                        self.tr.t(lang, "line.consent.leave"), render.postback_data("leave")
                    ),
                ],
            )
        ]

    # --- 「非公開設定」 ------------------------------------------------------------------------------------
    async def settings(self, who: Identity, lang: str) -> list[Message]:
        view = await self.hub.ambassadors.get(who)
        return [self._settings(view.language, await self.hub.privacy.private_fields(who))]

    async def toggle(self, who: Identity, lang: str, params: Mapping[str, str]) -> list[Message]:
        view = await self.hub.ambassadors.get(who)
        fields = await self.hub.privacy.toggle_private(who, params.get("f", ""))
        return [self._settings(view.language, fields, saved=True)]

    def _settings(self, lang: str, private: tuple[str, ...], *, saved: bool = False) -> Message:
        t = self.tr.t
        lines = [
            t(
                lang,
                "line.privacy.line",
                field=t(lang, f"privacy.field.{f}"),
                state=t(lang, "privacy.private" if f in private else "privacy.public"),
            )
            for f in PRIVATE_FIELDS
        ]
        body = t(lang, "line.privacy.status", lines="\n".join(lines))
        if saved:
            body = t(lang, "line.privacy.saved") + "\n" + body
        toggles = [
            render.postback_item(
                t(
                    lang,
                    "line.privacy.show" if f in private else "line.privacy.hide",
                    field=t(lang, f"privacy.field.{f}"),
                ),
                render.postback_data("privacy_toggle", f=f),
            )
            for f in PRIVATE_FIELDS
        ]
        return render.text(body, toggles + self.menu(lang))

    # --- 「マイデータ」 -------------------------------------------------------------------------------------
    async def mydata(self, who: Identity, lang: str) -> list[Message]:
        view = await self.hub.ambassadors.get(who)
        lang = view.language
        ref = self.hub.communities.by_id(self.ref.id)  # the current settings (a reconfigure may change them)
        public_url = self.hub.settings.line.public_url
        if not public_url or calendar_secret(ref) is None:
            return [render.text(self.tr.t(lang, "line.mydata.no_link"), self.menu(lang))]
        ambassador_id = await self.hub.privacy.request_export(who)
        url = mydata_url(public_url, ref, ambassador_id, self.hub)
        minutes = int(EXPORT_LINK_LIFETIME.total_seconds() // 60)
        return [
            render.text(self.tr.t(lang, "line.mydata.link", minutes=minutes, url=url or ""), self.menu(lang))
        ]


def postback_params(data: str) -> dict[str, str]:
    try:
        return {k: v[0] for k, v in parse_qs(data, max_num_fields=5).items()}
    except ValueError:
        return {}
