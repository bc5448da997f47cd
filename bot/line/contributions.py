"""The LINE face of contributions: the guided log's ending, history, ranking, stage, and thanks.

Everything goes through the services (``hub.contributions``, ``hub.stages``, ``hub.notifier``); this only
reads what the member sent and builds the reply.
"""

from __future__ import annotations

import re
import unicodedata

from linebot.v3.messaging import Message, QuickReplyItem

from bot.community.communities import CommunityRef
from bot.community.conversations import Turn, category_label
from bot.community.identity import Identity
from bot.community.stages import StageChange
from bot.config import ContributionSettings
from bot.hub import Hub
from bot.i18n import Msg
from bot.line import render
from bot.line.contribution_cards import history_message, ranking_message, stage_message

# What follows the thanks word: 「No.12 理由」「#12 理由」「12 理由」「No.12さん、理由」 (after NFKC).
_THANKS_TAIL = re.compile(
    r"^[\s,、:!]*(?:no\.?|#|会員番号)?\s*(\d{1,9})(?:さん|番)?[\s,、:]*(.*)$", re.I | re.S
)


def parse_thanks(words: list[str], raw: str) -> tuple[int, str] | None:
    """``(member number, reason)`` from 「ありがとう No.12 理由」 / "thanks No.12 reason", else None."""
    message = unicodedata.normalize("NFKC", raw).strip()
    for word in sorted(words, key=len, reverse=True):
        if len(message) > len(word) and message[: len(word)].casefold() == word:
            tail = _THANKS_TAIL.match(message[len(word) :])
            if tail:
                return int(tail[1]), tail[2].strip()
    return None


class LineContributions:
    """One community's contribution commands on LINE."""

    def __init__(self, hub: Hub, ref: CommunityRef) -> None:
        self.hub = hub
        self.ref = ref
        self.tr = hub.tr
        self.thanks_words = render.command_words(self.tr, "thanks")

    @property
    def settings(self) -> ContributionSettings:
        return self.hub.contributions.settings(self.ref.id)  # the current ones, after a reconfigure too

    def menu(self, lang: str) -> list[QuickReplyItem]:
        return render.menu_items(self.tr, lang, True)

    # --- the guided log ---------------------------------------------------------------------------
    async def start(self, who: Identity, lang: str) -> list[Message]:
        prompt = await self.hub.conversations.start_contribution(who)
        return [render.prompt_message(self.tr, lang, prompt)]

    async def logged(self, who: Identity, turn: Turn) -> list[Message]:
        """The reply to a logged contribution: pending or approved, the points, a promotion."""
        result = turn.logged
        assert result is not None
        lang = result.ambassador.language
        category = category_label(self.tr, lang, self.settings, str(turn.answers.get("category", "")))
        if result.status == "pending":
            key, total = "line.contribute.pending", 0
        else:
            key, total = "line.contribute.approved", await self.hub.contributions.points(who)
        lines = [self.tr.t(lang, key, seq=result.seq, category=category, points=result.points, total=total)]
        if result.promotion is not None:
            # Said in this (free) reply; the notifier only syncs Discord stage roles, no push is spent.
            await self.hub.notifier.stage_changed(self.ref.id, result.promotion, tell=False)
            lines.append(self._promotion_text(lang, result.promotion))
        return [render.text("\n\n".join(lines), self.menu(lang))]

    # --- seeing it --------------------------------------------------------------------------------
    async def history(self, who: Identity, lang: str) -> list[Message]:
        view = await self.hub.ambassadors.get(who)
        items = await self.hub.contributions.history(who)
        if not items:
            return [render.text(self.tr.t(lang, "line.history.empty"), self.menu(lang))]
        total = await self.hub.contributions.points(who)
        pending = await self.hub.contributions.pending_count(who)
        name = view.display_name or self.tr.t(lang, "profile.none")
        return [
            history_message(
                self.tr, lang, self.settings, self.ref.name, name, total, pending, items, self.menu(lang)
            )
        ]

    async def ranking(self, who: Identity, lang: str) -> list[Message]:
        view = await self.hub.ambassadors.get(who)  # members only: the board shows members' names
        all_time = await self.hub.contributions.leaderboard(self.ref.id, "all")
        this_month = await self.hub.contributions.leaderboard(self.ref.id, "month")
        month = self.hub.contributions.today(self.ref.id)[:7]
        return [
            ranking_message(
                self.tr, lang, self.ref.name, month, all_time, this_month, view.member_number, self.menu(lang)
            )
        ]

    async def stage(self, who: Identity, lang: str) -> list[Message]:
        progress = await self.hub.stages.progress(who)
        return [stage_message(self.tr, lang, self.settings, progress, self.menu(lang))]

    # --- thanks by member number --------------------------------------------------------------------
    def thanks_of(self, raw: str) -> tuple[int, str] | None:
        return parse_thanks(self.thanks_words, raw)

    async def thank(self, who: Identity, lang: str, number: int, reason: str) -> list[Message]:
        result = await self.hub.contributions.thank(who, number, reason)
        if result.promotion is not None:
            await self._announce(result.promotion)  # the receiver's new stage, told to them
        name = result.receiver.display_name or self.tr.t(lang, "profile.none")
        body = self.tr.t(lang, "line.thanks.sent", number=number, name=name, points=result.points)
        return [render.text(body, self.menu(lang))]

    def thanks_usage(self, lang: str) -> list[Message]:
        return [render.text(self.tr.t(lang, "line.thanks.usage"), self.menu(lang))]

    # --- stages -------------------------------------------------------------------------------------
    async def _announce(self, change: StageChange) -> None:
        """Tell another member of their new stage (DM, else a budgeted push; roles synced)."""
        await self.hub.notifier.stage_changed(self.ref.id, change)

    def _promotion_text(self, lang: str, change: StageChange) -> str:
        return self.tr.t(
            lang, "stage.promoted_message", stage=Msg(f"profile.stage.{change.new}"), number=change.new
        )
