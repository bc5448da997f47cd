"""The LINE face of subcommittees (分科会): the list with Join and Leave buttons, and the subcommittees
suggested when a member registers or changes their interests or skills.

Every rule is in the services (``hub.subcommittees``): who may join, that an archived one takes no one, that
a subcommittee of another community is "not found", which ones match a member. Postbacks come from phones and
can be forged: an odd one gets a clear answer and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from linebot.v3.messaging import Message, QuickReplyItem

from bot.community.communities import CommunityRef
from bot.community.identity import Identity
from bot.hub import Hub
from bot.line import render
from bot.line.subcommittee_cards import subcommittees_carousel, suggestion_card

ID_DIGITS = 9  # longer ids cannot be ours (and would not fit the database's integer)


def id_of(raw: str | None) -> int | None:
    """An id (or an offset) in a postback (``s=12``); None for anything that cannot be one."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > ID_DIGITS:
        return None
    return int(raw)


class LineSubcommittees:
    """One community's subcommittee commands on LINE."""

    def __init__(self, hub: Hub, ref: CommunityRef) -> None:
        self.hub = hub
        self.ref = ref
        self.tr = hub.tr

    def menu(self, lang: str) -> list[QuickReplyItem]:
        return render.menu_items(self.tr, lang, True)

    def _bad_button(self, lang: str) -> list[Message]:
        return [render.text(self.tr.t(lang, "line.subcommittee.error.bad_button"), self.menu(lang))]

    # --- the list -------------------------------------------------------------------------------------
    async def listing(self, who: Identity, lang: str, raw_at: str | None = None) -> list[Message]:
        """Open subcommittees, ten at a time (the member's own first, then by name), each with Join or Leave;
        ``action=subcommittees&at=10`` shows the next ten."""
        at = 0
        if raw_at is not None:
            found = id_of(raw_at)
            if found is None:
                return self._bad_button(lang)
            at = found
        view = await self.hub.ambassadors.get(who)  # members only: raises profile.error.not_registered
        lang = view.language
        mine = {s.id for s in await self.hub.subcommittees.mine(who)}
        ordered = sorted(await self.hub.subcommittees.all(self.ref.id), key=lambda s: s.id not in mine)
        if at >= len(ordered):  # a stale "more" button after some were archived: start again
            at = 0
        page = ordered[at : at + render.CARDS_SHOWN]
        quick: list[QuickReplyItem] = []
        if at + render.CARDS_SHOWN < len(ordered):
            quick.append(
                render.postback_item(
                    self.tr.t(lang, "line.subcommittees.more"),
                    render.postback_data("subcommittees", at=str(at + render.CARDS_SHOWN)),
                )
            )
        quick += self.menu(lang)
        if not page:
            return [render.text(self.tr.t(lang, "line.subcommittees.empty"), quick)]
        cards = [(sub, sub.id in mine) for sub in page]
        return [*subcommittees_carousel(self.tr, lang, self.ref.name, cards, quick)]

    # --- joining and leaving --------------------------------------------------------------------------
    async def join(self, who: Identity, lang: str, params: Mapping[str, str]) -> list[Message]:
        """``action=sub_join&s=<id>``: join an open subcommittee of this community (twice changes nothing)."""
        subcommittee_id = id_of(params.get("s"))
        if subcommittee_id is None:
            return self._bad_button(lang)
        result = await self.hub.subcommittees.join(who, subcommittee_id)
        member = await self.hub.ambassadors.get(who)
        sub = result.subcommittee
        if result.changed and sub.discord_role_id is not None:  # a linked Discord account gets the channel
            await self.hub.notifier.discord_roles(self.ref.id, member.id, add=(sub.discord_role_id,))
        key = "line.subcommittee.reply.joined" if result.changed else "line.subcommittee.reply.already"
        body = self.tr.t(member.language, key, name=sub.name, members=sub.members)
        return [render.text(body, self.menu(member.language))]

    async def leave(self, who: Identity, lang: str, params: Mapping[str, str]) -> list[Message]:
        """``action=sub_leave&s=<id>``: leave a subcommittee of this community (not a member: said so)."""
        subcommittee_id = id_of(params.get("s"))
        if subcommittee_id is None:
            return self._bad_button(lang)
        result = await self.hub.subcommittees.leave(who, subcommittee_id)
        member = await self.hub.ambassadors.get(who)
        sub = result.subcommittee
        if result.changed and sub.discord_role_id is not None:
            await self.hub.notifier.discord_roles(self.ref.id, member.id, remove=(sub.discord_role_id,))
        key = "line.subcommittee.reply.left" if result.changed else "line.subcommittee.reply.not_member"
        body = self.tr.t(member.language, key, name=sub.name)
        return [render.text(body, self.menu(member.language))]

    # --- suggestions ----------------------------------------------------------------------------------
    async def suggestions(self, who: Identity, lang: str) -> list[Message]:
        """A small card of open subcommittees matching the member's interests or skills; nothing if none."""
        subs = await self.hub.subcommittees.suggest(who)
        if not subs:
            return []
        quick = [
            render.postback_item(
                self.tr.t(lang, "line.subcommittee.suggest.all"), render.postback_data("subcommittees")
            ),
            *self.menu(lang),
        ]
        return [suggestion_card(self.tr, lang, subs, quick)]
