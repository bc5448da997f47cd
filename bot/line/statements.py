"""Activity statements (活動証明) on LINE: 「活動証明」 (or 「活動証明 2025」, "statement") answers with two
signed links served by this server, the PDF to hand in and the JSON to check it with.

LINE cannot send a PDF in a reply, so the files are fetched from ``/statement/<community key>/<token>.pdf``
and ``.json``. The token names the member, the year, the ledger head and the moment it was made, so the two
links give the same statement; it is signed with the channel secret and works for ``LINK_DAYS`` days.
Without ``[line] public_url`` there are no links, and the reply says so.
"""

from __future__ import annotations

import re
import unicodedata

from aiohttp import web
from linebot.v3.messaging import Message

from bot.charts.statement_pdf import statement_pdf
from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.statements import LINK_DAYS, read_statement_token, statement_json, statement_token
from bot.hub import Hub
from bot.line import render
from bot.line.events import calendar_secret

STATEMENT_PATH = "/statement/{community}/{token}.{format:(pdf|json)}"
_YEAR = re.compile(r"^(\d{4})\s*年?$")
_SEPARATORS = " :：、,"


class LineStatements:
    """One community's statement command on LINE."""

    def __init__(self, hub: Hub, ref: CommunityRef) -> None:
        self.hub = hub
        self.ref = ref
        self.tr = hub.tr
        self.words = render.command_words(self.tr, "statement")

    def statement_of(self, raw: str) -> str | None:
        """What follows the word in 「活動証明 2025」 ("" for the word alone); None for anything else."""
        text = unicodedata.normalize("NFKC", raw).strip()
        for word in self.words:
            if text[: len(word)].casefold() == word:
                rest = text[len(word) :]
                if not rest or rest[0] in _SEPARATORS or rest[0].isdigit():
                    return rest.strip(_SEPARATORS)
        return None

    async def links(self, who: Identity, lang: str, rest: str = "") -> list[Message]:
        view = await self.hub.ambassadors.get(who)
        lang = view.language
        menu = render.menu_items(self.tr, lang, True)
        year: int | None = None
        if rest:
            found = _YEAR.match(rest)
            if found is None:
                return [render.text(self.tr.t(lang, "line.statement.usage"), menu)]
            year = int(found[1])
        ref = self.hub.communities.by_id(self.ref.id)  # the current settings (a reconfigure may change them)
        public_url = self.hub.settings.line.public_url
        secret = calendar_secret(ref)
        if not public_url or secret is None:
            return [render.text(self.tr.t(lang, "line.statement.unavailable"), menu)]
        made = await self.hub.statements.for_member(who, year)
        issued = made.issued_at.replace(microsecond=0)
        token = statement_token(secret, ref.key, made.ambassador_id, made.year, made.head.seq, issued)
        base = f"{public_url}/statement/{ref.key}/{token}"
        body = self.tr.t(
            lang, "line.statement.links", year=made.year, count=made.count, pdf=f"{base}.pdf",
            json=f"{base}.json", days=LINK_DAYS,
        )  # fmt: skip
        return [render.text(body, menu)]


async def serve_statement(hub: Hub, request: web.Request) -> web.Response:
    """``/statement/<community key>/<token>.pdf|.json``. A forged, altered or expired token, another
    community's key, or a member who left or is suspended: 404, and nothing said why."""
    key = request.match_info["community"]
    ref = hub.communities.by_key(key)
    secret = calendar_secret(ref) if ref is not None else None
    link = read_statement_token(secret, key, request.match_info["token"], hub.clock.now()) if secret else None
    if ref is None or link is None:
        return web.Response(status=404, text="not found")
    try:
        made = await hub.statements.of_link(ref.id, link)
    except DomainError:
        return web.Response(status=404, text="not found")
    name = f"{ref.key}-statement-{made.year}-no{made.member_number}"
    headers = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
    if request.match_info["format"] == "pdf":
        pdf = statement_pdf(made, hub.tr, made.language, ref.settings)
        headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return web.Response(body=pdf, content_type="application/pdf", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}.json"'
    body = statement_json(made).encode("utf-8")
    return web.Response(body=body, content_type="application/json", charset="utf-8", headers=headers)
