"""The LINE face of the weekly digest: 「ダイジェスト停止」/「ダイジェスト再開」 ("digest off" / "digest on").

The digest itself is composed by ``hub.weekly_digest`` and pushed through the notifier's LINE sink (one
push per member and week, within the budget); here members only choose whether they get it.
"""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot.community.communities import CommunityRef
from bot.community.identity import Identity
from bot.hub import Hub
from bot.i18n import Msg, When
from bot.line import render


class LineDigest:
    """One community's digest commands on LINE."""

    def __init__(self, hub: Hub, ref: CommunityRef) -> None:
        self.hub = hub
        self.ref = ref
        self.tr = hub.tr

    async def set_digest(self, who: Identity, lang: str, on: bool) -> list[Message]:
        """Opt in or out of the weekly digest; the reply says when the next one comes."""
        member = await self.hub.ambassadors.get(who)  # members only: raises profile.error.not_registered
        lang = member.language
        now_on = await self.hub.weekly_digest.set_digest(who, on)
        menu = render.menu_items(self.tr, lang, True)
        if not now_on:
            quick = [
                render.postback_item(
                    self.tr.t(lang, "line.digest.turn_on"), render.postback_data("digest_on")
                )
            ]
            return [render.text(self.tr.t(lang, "line.digest.off"), quick + menu)]
        nxt = self.hub.weekly_digest.next_at(self.ref.id)
        when: When | Msg = When(nxt) if nxt is not None else Msg("digest.paused")
        return [render.text(self.tr.t(lang, "line.digest.on", tz=member.timezone, when=when), menu)]
