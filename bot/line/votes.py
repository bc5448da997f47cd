"""The LINE face of votes: the list of votes open to the member, ballot buttons, results, weights, vote news.

Every rule is in the services (``hub.votes``): who may vote, single choice or approval, weights fixed at
opening, one ballot per member across platforms. This reads what the member sent or tapped and builds the
reply. Postbacks come from phones and can be forged: an odd one gets a clear answer and changes nothing (the
service checks the vote's community, its state, the member, and the option).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from linebot.v3.messaging import FlexMessage, Message, QuickReplyItem

from bot.community.communities import CommunityRef
from bot.community.identity import Identity
from bot.community.votes import BallotResult, VoteView
from bot.hub import Hub
from bot.line import render
from bot.line.vote_cards import (
    choices_text,
    closes_of,
    offer_card,
    option_label,
    results_carousel,
    votes_carousel,
    weight_data,
    weight_text,
)

NUMBER_DIGITS = 9  # longer numbers cannot be ours (and would not fit the database's integer)
RESULTS_SHOWN = 5  # the latest votes 「投票結果」 shows
_WEIGHT_SEPARATORS = " :：、,#"
_CURVES = {
    "sqrt": "line.vote.weight.curve_sqrt",
    "log": "line.vote.weight.curve_log",
    "linear": "line.vote.weight.curve_linear",
}


def number_of(raw: str | None) -> int | None:
    """A vote id or option index in a postback (``v=12``, ``o=0``); None for anything that cannot be one."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > NUMBER_DIGITS:
        return None
    return int(raw)


def vote_offer_message(hub: Hub, community_id: int, lang: str, tz: str, vote: VoteView) -> FlexMessage:
    """The card offered to members who may vote and opted in to vote news: the same for everyone in one
    multicast, so it marks nobody's choices (a tap answers with the member's own ballot)."""
    tr = hub.tr
    ref = hub.communities.by_id(community_id)
    quick = [
        render.postback_item(tr.t(lang, "line.menu.votes"), render.postback_data("votes")),
        render.postback_item(
            tr.t(lang, "line.vote.news.turn_off"), render.postback_data("vote_news", on="0")
        ),
    ]
    return offer_card(tr, lang, tz, ref.name, vote, hub.clock.now(), quick)


class LineVotes:
    """One community's vote commands on LINE."""

    def __init__(self, hub: Hub, ref: CommunityRef) -> None:
        self.hub = hub
        self.ref = ref
        self.tr = hub.tr
        self.weight_words = render.command_words(self.tr, "weight")

    def menu(self, lang: str) -> list[QuickReplyItem]:
        return render.menu_items(self.tr, lang, True)

    def _bad_button(self, lang: str) -> list[Message]:
        return [render.text(self.tr.t(lang, "line.vote.error.bad_button"), self.menu(lang))]

    # --- the list -------------------------------------------------------------------------------------
    async def open_list(self, who: Identity, lang: str) -> list[Message]:
        """Up to ten open votes this member may vote on, with their choices, in their time zone."""
        view = await self.hub.ambassadors.get(who)
        lang = view.language
        now = self.hub.clock.now()
        items = [
            (vote, choices)
            for vote, choices in await self.hub.votes.open_for(who, limit=render.CARDS_SHOWN)
            if now < vote.closes_at  # past its time, waiting for the closer: no longer votable
        ]
        news = await self.hub.votes.vote_news(who)
        quick = [
            render.postback_item(
                self.tr.t(lang, "line.vote.news.turn_off" if news else "line.vote.news.turn_on"),
                render.postback_data("vote_news", on="0" if news else "1"),
            ),
            render.postback_item(self.tr.t(lang, "line.menu.results"), render.postback_data("results")),
            *self.menu(lang),
        ]
        if not items:
            body = self.tr.t(lang, "line.votes.empty")
            if not news:
                body += "\n" + self.tr.t(lang, "line.votes.news_hint")
            return [render.text(body, quick)]
        return [*votes_carousel(self.tr, lang, view.timezone, self.ref.name, items, now, quick)]

    # --- ballots --------------------------------------------------------------------------------------
    async def ballot(self, who: Identity, lang: str, params: Mapping[str, str]) -> list[Message]:
        """``action=ballot&v=<vote id>&o=<option, 0-based>``: single choice moves the ballot; in an approval
        vote a tap adds the option, or takes it back if it was chosen."""
        vote_id, option = number_of(params.get("v")), number_of(params.get("o"))
        if vote_id is None or option is None:
            return self._bad_button(lang)
        result = await self.hub.votes.cast(who, vote_id, option, "postback", toggle=True)
        member = await self.hub.ambassadors.get(who)
        return self.ballot_reply(result, option, member.language, member.timezone)

    def ballot_reply(self, result: BallotResult, option: int, lang: str, tz: str) -> list[Message]:
        """What a member is told after a tap: what changed, their choices now, their weight, the closing."""
        return [render.text(self.ballot_text(result, option, lang, tz), self.ballot_quick(result.vote, lang))]

    def ballot_text(self, result: BallotResult, option: int, lang: str, tz: str) -> str:
        vote = result.vote
        lines = [
            self.tr.t(
                lang,
                self._outcome(result, option),
                id=vote.id,
                question=vote.question,
                option=option_label(self.tr, lang, vote, option),
            )
        ]
        if result.options:
            lines.append(
                self.tr.t(
                    lang, "line.vote.cast.now", choices=choices_text(self.tr, lang, vote, result.options)
                )
            )
        else:
            lines.append(self.tr.t(lang, "line.vote.cast.nothing"))
        if vote.weighted:
            lines.append(self.tr.t(lang, "line.vote.cast.weight", weight=weight_text(result.weight_milli)))
        if vote.hidden:
            lines.append(self.tr.t(lang, "line.vote.cast.hidden"))
        lines.append(self.tr.t(lang, "line.vote.cast.change", tz=tz, closes=closes_of(vote)))
        return "\n".join(lines)

    def ballot_quick(self, vote: VoteView, lang: str) -> list[QuickReplyItem]:
        """The quick replies under that answer (the same for every member of a vote in one language)."""
        quick = self.menu(lang)
        if vote.weighted:
            quick.insert(
                0, render.postback_item(self.tr.t(lang, "line.vote.weight.button"), weight_data(vote.id))
            )
        return quick

    @staticmethod
    def _outcome(result: BallotResult, option: int) -> str:
        if result.vote.approval:
            if option in result.previous and option not in result.options:
                return "line.vote.cast.removed"
            return "line.vote.cast.added" if result.changed else "line.vote.cast.same"
        if not result.changed:
            return "line.vote.cast.same"
        return "line.vote.cast.moved" if result.previous else "line.vote.cast.voted"

    # --- vote news ------------------------------------------------------------------------------------
    async def set_news(self, who: Identity, lang: str, on: bool | None) -> list[Message]:
        """Opt in or out of new-vote cards on LINE (each card is a push, within the month's budget)."""
        if on is None:
            return self._bad_button(lang)
        now_on = await self.hub.votes.set_vote_news(who, on)
        key = "line.vote.news.on" if now_on else "line.vote.news.off"
        return [render.text(self.tr.t(lang, key), self.menu(lang))]

    # --- results --------------------------------------------------------------------------------------
    async def results(self, who: Identity, lang: str) -> list[Message]:
        """The community's latest votes: final results, live counts of visible open ones, and when hidden
        ones will be shown."""
        view = await self.hub.ambassadors.get(who)
        lang = view.language
        votes = await self.hub.votes.search(self.ref.id, limit=RESULTS_SHOWN)
        quick = [
            render.postback_item(self.tr.t(lang, "line.menu.votes"), render.postback_data("votes")),
            *self.menu(lang),
        ]
        if not votes:
            return [render.text(self.tr.t(lang, "line.vote.results.empty"), quick)]
        return [*results_carousel(self.tr, lang, view.timezone, self.ref.name, votes, quick)]

    # --- weight ---------------------------------------------------------------------------------------
    def weight_of(self, raw: str) -> str | None:
        """The vote number after the weight word (「重み 12」, "weight #12"); "" for the word alone.

        None when the text does not start with the word."""
        text = unicodedata.normalize("NFKC", raw).strip()
        for word in self.weight_words:
            if text[: len(word)].casefold() != word:
                continue
            rest = text[len(word) :]
            if not rest or rest[0] in _WEIGHT_SEPARATORS or rest[0].isdigit():
                return rest.strip(_WEIGHT_SEPARATORS)
        return None

    async def weight(self, who: Identity, lang: str, raw: str | None = None) -> list[Message]:
        """A member's weight in words: points, the curve and its numbers, the weight today; for one vote,
        the weight fixed when it opened, or why they are not among its voters."""
        vote_id = number_of(raw) if raw else None
        if raw and vote_id is None:
            return [render.text(self.tr.t(lang, "line.vote.weight.usage"), self.menu(lang))]
        explained = await self.hub.votes.weight(who, vote_id)
        lang = (await self.hub.ambassadors.get(who)).language
        lines: list[str] = []
        if vote_id is not None:
            vote = await self.hub.votes.get(self.ref.id, vote_id)
            if not explained.eligible:
                key, weight, points = "line.vote.weight.not_eligible", "", 0
            elif not vote.weighted:
                key, weight, points = "line.vote.weight.equal", "", 0
            else:
                key = "line.vote.weight.fixed"
                weight = weight_text(explained.vote_weight_milli or 0)
                points = explained.vote_points or 0
            lines += [
                self.tr.t(
                    lang,
                    key,
                    id=vote.id,
                    question=vote.question,
                    weight=weight,
                    points=points,
                    stage=vote.min_stage,
                ),
                "",
            ]
        now = self.tr.t(lang, "line.vote.weight.now", weight=weight_text(explained.weight_milli))
        if explained.capped:
            now += self.tr.t(lang, "line.vote.weight.capped")
        lines += [
            self.tr.t(lang, "line.vote.weight.title"),
            self.tr.t(lang, "line.vote.weight.points", points=explained.points),
            self.tr.t(
                lang,
                "line.vote.weight.formula",
                base=f"{explained.base:g}",
                scale=f"{explained.scale:g}",
                curve=self.tr.t(lang, _CURVES[explained.curve]),
                cap=f"{explained.cap:g}",
            ),
            now,
        ]
        if vote_id is None:
            lines.append(self.tr.t(lang, "line.vote.weight.where"))
        return [render.text("\n".join(lines), self.menu(lang))]
