"""What the LINE face says to each event: it reads the event, calls the services, returns messages.

No rule lives here: registration and contribution steps, checks and links are in ``bot/community``. The
contribution commands (log, history, ranking, stage, thanks) are in ``bot/line/contributions.py``; the event
commands (list, RSVP buttons, event news, calendar, check-in codes) in ``bot/line/events.py``; the vote
commands (open votes, ballot buttons, results, weights, vote news) in ``bot/line/votes.py``; the subcommittee
commands (list, join and leave buttons, suggestions) in ``bot/line/subcommittees.py``; the project commands
(list, apply buttons, project news) in ``bot/line/projects.py``.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from linebot.v3.messaging import Message
from linebot.v3.webhooks import Event, FollowEvent, MessageEvent, PostbackEvent, TextMessageContent

from bot.community.communities import CommunityRef
from bot.community.conversations import Turn
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.linking import looks_like_code
from bot.hub import Hub
from bot.i18n import pick_language
from bot.line import render
from bot.line.chats import add_friend_url, handling_of
from bot.line.client import LineClient
from bot.line.contributions import LineContributions
from bot.line.digest import LineDigest
from bot.line.events import LineEvents
from bot.line.privacy import GATE_ACTIONS, LinePrivacy
from bot.line.projects import LineProjects
from bot.line.statements import LineStatements
from bot.line.subcommittees import LineSubcommittees
from bot.line.votes import LineVotes

log = logging.getLogger(__name__)

COMMANDS = (
    "register",
    "profile",
    "leave",
    "link",
    "help",
    "contribute",
    "history",
    "ranking",
    "stage",
    "thanks",
    "events",
    "calendar",
    "event_news_on",
    "event_news_off",
    "votes",
    "results",
    "weight",
    "vote_news_on",
    "vote_news_off",
    "subcommittees",
    "projects",
    "project_news_on",
    "project_news_off",
    "digest_on",
    "digest_off",
    "privacy",
    "mydata",
    "statement",
)
MAX_POSTBACK_FIELDS = 5
# A button's answer: (who pressed, their language, the button's parameters) → the reply.
Postback = Callable[[Identity, str, dict[str, str]], Awaitable[list[Message]]]


class LineConversation:
    """Turns one community's LINE events into service calls and replies."""

    def __init__(self, hub: Hub, ref: CommunityRef, client: LineClient) -> None:
        self.hub = hub
        self.ref = ref
        self.client = client
        self.tr = hub.tr
        self.command_words = {c: set(render.command_words(self.tr, c)) for c in COMMANDS}
        self.contributions = LineContributions(hub, ref)
        self.events = LineEvents(hub, ref)
        self.votes = LineVotes(hub, ref)
        self.subcommittees = LineSubcommittees(hub, ref)
        self.projects = LineProjects(hub, ref)
        self.statements = LineStatements(hub, ref)
        self.digest = LineDigest(hub, ref)
        self.privacy = LinePrivacy(hub, ref)
        self.postbacks = self._postback_handlers()

    # --- entry point -----------------------------------------------------------------------------
    async def handle(self, event: Event) -> None:
        """One event, by the rule of bot/line/chats.py: groups, rooms, standby and events that need nothing
        are settled before anyone's identity, language or data is read."""
        handling = handling_of(event)
        if handling == "ignore":
            return
        reply_token = getattr(event, "reply_token", None)
        if handling == "greet_group":
            if reply_token:
                await self.client.reply(reply_token, [self.group_greeting()])
            return
        who = Identity(self.ref.id, "line", event.source.user_id)
        if handling in ("unfollow", "follow_quietly"):
            await self.hub.ambassadors.set_identity_active(who, handling == "follow_quietly")
            return
        # One read for a member's language and for the gate (registered, suspended, a newer notice to accept).
        standing = await self.hub.privacy.standing(who)
        lang = standing.language if standing.registered and standing.language else await self.language(who)
        try:
            # Suspended, or a new notice to accept first.
            gated = await self.privacy.gate(who, lang, event, self.command_of, standing)
            if gated is not None:
                messages = gated
            elif isinstance(event, FollowEvent):
                messages = await self.on_follow(who, lang)
            elif isinstance(event, PostbackEvent):
                messages = await self.on_postback(who, lang, event.postback.data or "")
            elif isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                messages = await self.on_text(who, lang, event.message.text)
            else:  # a sticker, a photo, a file, a place: the help, with a word of thanks
                messages = await self.run_command(
                    who, lang, "help", self.tr.t(lang, "line.help.other_message")
                )
        except DomainError as err:
            lang = await self.language(who)
            messages = [
                render.text(
                    self.tr.error(lang, err), render.menu_items(self.tr, lang, await self.registered(who))
                )
            ]
        if reply_token and messages:
            await self.client.reply(reply_token, messages)

    def group_greeting(self) -> Message:
        """The one message the account sends in a group or room: it works one-to-one, and how to add it."""
        ref = self.hub.communities.by_id(self.ref.id)  # today's settings (staff may have changed them)
        lang = ref.default_language
        basic_id = ref.settings.line.basic_id if ref.settings.line else None
        if basic_id:
            add = self.tr.t(lang, "line.group.add_by_id", url=add_friend_url(basic_id))
        else:
            add = self.tr.t(lang, "line.group.add_by_search", community=ref.name)
        return render.text(self.tr.t(lang, "line.group.greeting", community=ref.name, add=add))

    # --- language ---------------------------------------------------------------------------------
    async def language(self, who: Identity) -> str:
        view = await self.hub.ambassadors.peek(who)
        if view is not None:
            return view.language
        prompt_lang = await self.hub.conversations.language_of(who)
        if prompt_lang:
            return prompt_lang
        profile = await self.client.profile(who.external_id)
        return pick_language(profile.language if profile else None, self.ref.default_language)

    async def registered(self, who: Identity) -> bool:
        view = await self.hub.ambassadors.peek(who)
        return view is not None and view.active

    # --- events -----------------------------------------------------------------------------------
    async def on_follow(self, who: Identity, lang: str) -> list[Message]:
        view = await self.hub.ambassadors.find(who)
        if view is not None:
            await self.hub.ambassadors.set_identity_active(who, True)
            return [
                render.text(
                    self.tr.t(
                        lang,
                        "line.follow.welcome_back",
                        name=view.display_name or "",
                        community=self.ref.name,
                    ),
                    render.menu_items(self.tr, lang, True),
                )
            ]
        await self.hub.ambassadors.set_identity_active(who, True)
        prompt = await self.hub.conversations.start_registration(who, lang)
        return [
            render.text(self.tr.t(lang, "line.follow.greeting", community=self.ref.name)),
            render.prompt_message(self.tr, lang, prompt),
        ]

    async def on_text(self, who: Identity, lang: str, raw: str) -> list[Message]:
        prompt = await self.hub.conversations.current_prompt(who)
        if prompt is not None:
            # At the first question only choices are expected, so a link code there cannot be a name:
            # someone registered on Discord who just added this account may paste it straight away.
            if prompt.step == "consent" and looks_like_code(raw):
                return await self.redeem(who, raw)
            turn = await self.hub.conversations.answer(who, text=raw)
            if turn is not None:
                return await self.after_turn(who, turn)
        thanks = self.contributions.thanks_of(raw)
        if thanks is not None:
            return await self.contributions.thank(who, lang, *thanks)
        command = self.command_of(raw)
        if command is not None:
            return await self.run_command(who, lang, command)
        weight = self.votes.weight_of(raw)  # 「重み 12」: the weight in vote #12
        if weight is not None:
            return await self.votes.weight(who, lang, weight)
        statement = self.statements.statement_of(raw)  # 「活動証明 2025」: that year's statement
        if statement is not None:
            return await self.statements.links(who, lang, statement)
        checkin = self.events.checkin_of(raw)  # 「チェックイン ABC234」 or 「ABC234」 (link codes are longer)
        if checkin is not None:
            return await self.events.checkin(who, lang, checkin)
        if looks_like_code(raw):
            return await self.redeem(who, raw)
        return await self.run_command(who, lang, "help")

    async def redeem(self, who: Identity, raw: str) -> list[Message]:
        view = await self.hub.links.redeem(who, raw)
        await self.hub.conversations.end(who)
        return [
            render.text(
                self.tr.t(view.language, "line.link.linked", number=view.member_number),
                render.menu_items(self.tr, view.language, True),
            )
        ]

    def _postback_handlers(self) -> dict[str, Postback]:
        """Every button action the hub's messages carry, and what answers it (commands aside)."""

        def switch(params: dict[str, str]) -> bool | None:
            return {"1": True, "0": False}.get(params.get("on", ""))

        return {
            "answer": self.on_answer,
            "edit": self.on_edit,
            "leave_confirm": self.on_leave_confirm,
            "leave_cancel": self.on_leave_cancel,
            "rsvp": self.events.rsvp,
            "event_news": lambda who, lang, p: self.events.set_news(who, lang, switch(p)),
            "calendar": lambda who, lang, p: self.events.calendar(who, lang, p.get("e")),
            "ballot": self.votes.ballot,
            "vote_news": lambda who, lang, p: self.votes.set_news(who, lang, switch(p)),
            "weight": lambda who, lang, p: self.votes.weight(who, lang, p.get("v")),
            "subcommittees": lambda who, lang, p: self.subcommittees.listing(who, lang, p.get("at")),
            "sub_join": self.subcommittees.join,
            "sub_leave": self.subcommittees.leave,
            "project_apply": self.projects.apply,
            "project_news": lambda who, lang, p: self.projects.set_news(who, lang, switch(p)),
            "privacy_toggle": self.privacy.toggle,
        }

    def postback_actions(self) -> frozenset[str]:
        """Every postback action the hub understands: its buttons', the commands', the privacy notice's."""
        return frozenset(self.postbacks) | frozenset(COMMANDS) | frozenset(GATE_ACTIONS)

    async def on_postback(self, who: Identity, lang: str, data: str) -> list[Message]:
        try:
            params = {k: v[0] for k, v in parse_qs(data, max_num_fields=MAX_POSTBACK_FIELDS).items()}
        except ValueError:  # more fields than any of our buttons send: not ours
            params = {}
        action = params.get("action", "")
        handler = self.postbacks.get(action)
        if handler is not None:
            return await handler(who, lang, params)
        if action in COMMANDS:
            return await self.run_command(who, lang, action)
        log.info("unknown LINE postback", extra={"community": self.ref.key, "action": action[:40]})
        return await self.run_command(who, lang, "help")

    async def on_answer(self, who: Identity, lang: str, params: dict[str, str]) -> list[Message]:
        prompt = await self.hub.conversations.current_prompt(who)
        if prompt is None or prompt.step != params.get("step"):
            # A button from an earlier question (or a finished dialogue): say so, change nothing.
            messages: list[Message] = [render.text(self.tr.t(lang, "line.error.stale_button"))]
            if prompt is not None:
                messages.append(render.prompt_message(self.tr, lang, prompt))
            return messages
        turn = await self.hub.conversations.answer(who, choice=params.get("value", ""))
        return await self.after_turn(who, turn) if turn else []

    async def on_edit(self, who: Identity, lang: str, params: dict[str, str]) -> list[Message]:
        prompt = await self.hub.conversations.start_edit(who, params.get("field", ""))
        return [render.prompt_message(self.tr, lang, prompt)]

    async def on_leave_confirm(self, who: Identity, lang: str, _params: dict[str, str]) -> list[Message]:
        left = await self.hub.ambassadors.leave(who)
        return [
            render.text(
                self.tr.t(lang, "line.leave.done", number=left.member_number),
                render.menu_items(self.tr, lang, False),
            )
        ]

    async def on_leave_cancel(self, _who: Identity, lang: str, _params: dict[str, str]) -> list[Message]:
        return [render.text(self.tr.t(lang, "line.leave.cancelled"), render.menu_items(self.tr, lang, True))]

    # --- commands ---------------------------------------------------------------------------------
    def command_of(self, raw: str) -> str | None:
        word = unicodedata.normalize("NFKC", raw).strip().casefold()
        for command, words in self.command_words.items():
            if word in words:
                return command
        return None

    async def run_command(
        self, who: Identity, lang: str, command: str, lead: str | None = None
    ) -> list[Message]:
        """A command's reply; ``lead``: a line before the help (which is what an unknown command gets)."""
        if command == "register":
            await self.hub.conversations.end(who)
            prompt = await self.hub.conversations.start_registration(who, lang)
            return [render.prompt_message(self.tr, lang, prompt)]
        if command == "profile":
            view = await self.hub.ambassadors.get(who)
            return [render.profile_message(self.tr, view.language, view, self.ref.name)]
        if command == "leave":
            view = await self.hub.ambassadors.get(who)
            return [
                render.text(
                    self.tr.t(lang, "line.leave.confirm", community=self.ref.name, number=view.member_number),
                    [
                        render.postback_item(
                            self.tr.t(lang, "line.leave.confirm_button"),
                            render.postback_data("leave_confirm"),
                        ),
                        render.postback_item(
                            self.tr.t(lang, "line.leave.cancel_button"), render.postback_data("leave_cancel")
                        ),
                    ],
                )
            ]
        if command == "contribute":
            return await self.contributions.start(who, lang)
        if command == "history":
            return await self.contributions.history(who, lang)
        if command == "ranking":
            return await self.contributions.ranking(who, lang)
        if command == "stage":
            return await self.contributions.stage(who, lang)
        if command == "thanks":
            return self.contributions.thanks_usage(lang)
        if command == "events":
            return await self.events.upcoming(who, lang)
        if command == "calendar":
            return await self.events.calendar(who, lang)
        if command in ("event_news_on", "event_news_off"):
            return await self.events.set_news(who, lang, command == "event_news_on")
        if command == "votes":
            return await self.votes.open_list(who, lang)
        if command == "results":
            return await self.votes.results(who, lang)
        if command == "weight":
            return await self.votes.weight(who, lang)
        if command in ("vote_news_on", "vote_news_off"):
            return await self.votes.set_news(who, lang, command == "vote_news_on")
        if command == "subcommittees":
            return await self.subcommittees.listing(who, lang)
        if command == "projects":
            return await self.projects.listing(who, lang)
        if command in ("project_news_on", "project_news_off"):
            return await self.projects.set_news(who, lang, command == "project_news_on")
        if command in ("digest_on", "digest_off"):
            return await self.digest.set_digest(who, lang, command == "digest_on")
        if command == "privacy":
            return await self.privacy.settings(who, lang)
        if command == "mydata":
            return await self.privacy.mydata(who, lang)
        if command == "statement":
            return await self.statements.links(who, lang)
        if command == "link":
            issued = await self.hub.links.issue(who)
            minutes = self.hub.settings.registration.link_code_minutes
            return [
                render.text(self.tr.t(lang, "line.link.issued", minutes=minutes)),
                render.text(issued.code),
            ]
        registered = await self.registered(who)
        if registered:
            body = self.tr.t(lang, "line.help.registered", community=self.ref.name)
            body += "\n" + self.tr.t(lang, "line.contribute.help")
            body += "\n" + self.tr.t(lang, "line.event.help")
            body += "\n" + self.tr.t(lang, "line.vote.help")
            body += "\n" + self.tr.t(lang, "line.subcommittee.help")
            body += "\n" + self.tr.t(lang, "line.project.help")
            body += "\n" + self.tr.t(lang, "line.digest.help")
            body += "\n" + self.tr.t(lang, "line.privacy.help")
            body += "\n" + self.tr.t(lang, "line.statement.help")
        else:
            body = self.tr.t(lang, "line.help.guest", community=self.ref.name)
        if lead:
            body = lead + "\n\n" + body
        return [render.text(body, render.menu_items(self.tr, lang, registered))]

    async def after_turn(self, who: Identity, turn: Turn) -> list[Message]:
        lang = await self.language(who)
        if turn.outcome == "ask" and turn.prompt is not None:
            error = self.tr.error(lang, turn.error) if turn.error else None
            return [render.prompt_message(self.tr, lang, turn.prompt, error)]
        if turn.outcome == "registered" and turn.ambassador is not None:
            view = turn.ambassador
            return [
                render.text(
                    self.tr.t(
                        view.language,
                        "line.register.done",
                        name=view.display_name or "",
                        number=view.member_number,
                        community=self.ref.name,
                    )
                ),
                render.profile_message(self.tr, view.language, view, self.ref.name),
                *await self.subcommittees.suggestions(who, view.language),  # when interests match
            ]
        if turn.outcome == "edited" and turn.ambassador is not None:
            view = turn.ambassador
            messages: list[Message] = [
                render.text(self.tr.t(view.language, "line.profile.saved")),
                render.profile_message(self.tr, view.language, view, self.ref.name),
            ]
            if turn.answers.keys() & {"interests", "skills"}:
                messages += await self.subcommittees.suggestions(who, view.language)
            return messages
        if turn.outcome == "logged":
            return await self.contributions.logged(who, turn)
        if turn.outcome == "declined":
            key = "wizard.declined"
        else:
            key = "line.contribute.cancelled" if turn.flow == "contribute" else "wizard.cancelled"
        return [
            render.text(self.tr.t(lang, key), render.menu_items(self.tr, lang, await self.registered(who)))
        ]
