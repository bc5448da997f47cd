"""Step-by-step dialogues for chat platforms without forms (LINE): registration, editing one field, and
logging a contribution.

The state is a database row, so a restart in the middle of a dialogue loses nothing. The face shows each
``Prompt`` (text plus choices as quick replies) and feeds back what the person typed or tapped. Every answer
is checked at its step with the rules the services apply; a refused answer asks the same question again.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import delete, select

from bot.clock import Clock
from bot.community.ambassadors import AmbassadorService, AmbassadorView, ProfileChanges
from bot.community.communities import CommunityDirectory
from bot.community.contributions import (
    DESCRIPTION_MAX,
    ContributionService,
    LogResult,
    clean_description,
    clean_link,
)
from bot.community.dates import local_today, parse_past_date
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.profile_rules import (
    CONNECTIONS,
    LANGUAGES,
    Profile,
    clean_display_name,
    clean_residence,
    clean_tags,
)
from bot.config import CategorySettings, ContributionSettings
from bot.i18n import Translator
from storage.database import Database
from storage.models import Conversation

REGISTER = "register"
EDIT = "edit"
CONTRIBUTE = "contribute"
REGISTER_STEPS = ("consent", "display_name", "residence", "connection", "interests", "skills")
EDIT_FIELDS = ("display_name", "residence", "connection", "interests", "skills", "language", "timezone")
CONTRIBUTE_STEPS = ("category", "description", "occurred_on", "link")
SKIPPABLE = {"interests", "skills", "link"}
CANCEL_WORDS = {"キャンセル", "やめる", "中止", "cancel", "stop", "quit"}
SKIP_WORDS = {"スキップ", "なし", "とばす", "skip", "none"}
DAYS = ("today", "yesterday")  # the quick answers to "when"; typed dates go through bot.community.dates
# A refusal when the contribution is finally logged (the settings changed meanwhile) re-asks its step.
_STEP_OF_ERROR = {
    "contribution.error.unknown_category": "category",
    "contribution.error.description_empty": "description",
    "contribution.error.description_too_long": "description",
    "common.error.control_characters": "description",
    "contribution.error.date_format": "occurred_on",
    "contribution.error.date_impossible": "occurred_on",
    "contribution.error.date_future": "occurred_on",
    "contribution.error.date_too_old": "occurred_on",
    "contribution.error.link": "link",
}


@dataclass(frozen=True)
class Choice:
    """One answer to tap. ``names``: labels from configuration, per language, ahead of ``label_key``."""

    value: str
    label_key: str
    names: tuple[tuple[str, str], ...] = ()

    def label(self, tr: Translator, lang: str) -> str:
        given = dict(self.names)
        if lang in given:
            return given[lang]
        if tr.has(self.label_key):
            return tr.t(lang, self.label_key)
        return next(iter(given.values()), self.value)


def category_choice(category: CategorySettings) -> Choice:
    """A contribution category as a choice: its configured names, else the catalog's."""
    names = tuple((lang, n) for lang, n in (("ja", category.name_ja), ("en", category.name_en)) if n)
    return Choice(category.key, f"contribution.category.{category.key}", names)


def category_label(tr: Translator, lang: str, settings: ContributionSettings, key: str) -> str:
    """A category's name: the community's own, else the catalog's (thanks, ballots), else its key."""
    category = settings.category(key)
    choice = category_choice(category) if category else Choice(key, f"contribution.category.{key}")
    return choice.label(tr, lang)


def _choices(step: str) -> tuple[Choice, ...]:
    if step == "consent":
        return (Choice("agree", "wizard.choice.agree"), Choice("decline", "wizard.choice.decline"))
    if step == "connection":
        return tuple(Choice(c, f"profile.connection.{c}") for c in CONNECTIONS)
    if step == "language":
        return tuple(Choice(lang, f"profile.language.{lang}") for lang in LANGUAGES)
    if step == "occurred_on":
        return tuple(Choice(day, f"wizard.contribute.{day}") for day in DAYS)
    return ()


@dataclass(frozen=True)
class Prompt:
    flow: str
    step: str
    question_key: str
    params: dict[str, Any] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    skippable: bool = False
    position: int = 0  # 1-based step number within a registration or a contribution, 0 for an edit
    total: int = 0


@dataclass(frozen=True)
class Turn:
    """What to say next. ``error`` is set when the answer was not accepted (the prompt is asked again)."""

    outcome: Literal["ask", "registered", "edited", "logged", "declined", "cancelled"]
    prompt: Prompt | None = None
    error: DomainError | None = None
    ambassador: AmbassadorView | None = None
    flow: str = ""
    logged: LogResult | None = None
    answers: dict[str, Any] = field(default_factory=dict)  # what was logged or edited: {field: value}


class ConversationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        translator: Translator,
        directory: CommunityDirectory,
        ambassadors: AmbassadorService,
        contributions: ContributionService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.tr = translator
        self.directory = directory
        self.ambassadors = ambassadors
        self.contributions = contributions

    # --- reading and writing the state row -------------------------------------------------------
    async def _load(self, who: Identity) -> Conversation | None:
        async with self.db.transaction() as s:
            row: Conversation | None = await s.scalar(_row_query(who))
            return row

    async def _save(self, who: Identity, flow: str, step: str, data: dict[str, Any]) -> None:
        async with self.db.transaction() as s:
            row = await s.scalar(_row_query(who))
            if row is None:
                s.add(
                    Conversation(
                        community_id=who.community_id,
                        platform=who.platform,
                        external_id=who.external_id,
                        flow=flow,
                        step=step,
                        data=data,
                        updated_at=self.clock.now(),
                    )
                )
            else:
                row.flow, row.step, row.data, row.updated_at = flow, step, dict(data), self.clock.now()

    async def end(self, who: Identity) -> bool:
        async with self.db.transaction() as s:
            result = await s.execute(
                delete(Conversation).where(
                    Conversation.community_id == who.community_id,
                    Conversation.platform == who.platform,
                    Conversation.external_id == who.external_id,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def language_of(self, who: Identity) -> str | None:
        """The language a registration under way was started in (before there is an ambassador)."""
        row = await self._load(who)
        value = row.data.get("language") if row else None
        return value if isinstance(value, str) else None

    async def active(self, who: Identity) -> bool:
        return await self._load(who) is not None

    # --- starting ---------------------------------------------------------------------------------
    async def start_registration(self, who: Identity, language: str) -> Prompt:
        if await self.ambassadors.find(who) is not None:
            raise DomainError("register.error.already_registered")
        await self._save(who, REGISTER, "consent", {"language": language})
        return self._prompt(REGISTER, "consent", who)

    async def start_edit(self, who: Identity, field_name: str) -> Prompt:
        if field_name not in EDIT_FIELDS:
            raise DomainError("profile.error.unknown_field")
        await self.ambassadors.get(who)
        await self._save(who, EDIT, field_name, {})
        return self._prompt(EDIT, field_name, who)

    async def start_contribution(self, who: Identity) -> Prompt:
        """Log a contribution step by step: category, what was done, when, an optional link."""
        await self.ambassadors.get(who)  # members only: raises profile.error.not_registered
        await self._save(who, CONTRIBUTE, CONTRIBUTE_STEPS[0], {})
        return self._prompt(CONTRIBUTE, CONTRIBUTE_STEPS[0], who)

    async def current_prompt(self, who: Identity) -> Prompt | None:
        row = await self._load(who)
        return self._prompt(row.flow, row.step, who) if row else None

    def _prompt(self, flow: str, step: str, who: Identity) -> Prompt:
        if flow == CONTRIBUTE:
            return self._contribution_prompt(step, who)
        params: dict[str, Any] = {}
        if step == "consent":
            cs = self.directory.by_id(who.community_id).settings
            params = {
                "community": cs.name,
                "url": cs.privacy_notice_url,
                "version": cs.privacy_notice_version,
            }
        position = REGISTER_STEPS.index(step) + 1 if flow == REGISTER else 0
        return Prompt(
            flow=flow,
            step=step,
            question_key=f"wizard.ask.{step}",
            params=params,
            choices=_choices(step),
            skippable=step in SKIPPABLE,
            position=position,
            total=len(REGISTER_STEPS) if flow == REGISTER else 0,
        )

    def _contribution_prompt(self, step: str, who: Identity) -> Prompt:
        params: dict[str, Any] = {"max": DESCRIPTION_MAX} if step == "description" else {}
        return Prompt(
            flow=CONTRIBUTE,
            step=step,
            question_key=f"wizard.contribute.ask.{step}",
            params=params,
            choices=self._contribution_choices(step, who),
            skippable=step in SKIPPABLE,
            position=CONTRIBUTE_STEPS.index(step) + 1,
            total=len(CONTRIBUTE_STEPS),
        )

    def _contribution_choices(self, step: str, who: Identity) -> tuple[Choice, ...]:
        if step == "category":
            return tuple(category_choice(c) for c in self.contributions.categories(who.community_id))
        return _choices(step)

    # --- answering --------------------------------------------------------------------------------
    async def answer(self, who: Identity, text: str | None = None, choice: str | None = None) -> Turn | None:
        """Feed one answer. ``None`` when no dialogue is under way for this person."""
        row = await self._load(who)
        if row is None:
            return None
        flow, step, data = row.flow, row.step, dict(row.data)
        raw = (text or "").strip()
        if choice is None and _norm(raw) in CANCEL_WORDS:
            await self.end(who)
            return Turn("cancelled", flow=flow)
        if flow == CONTRIBUTE:
            return await self._answer_contribution(who, step, data, raw, choice)
        try:
            value = self._interpret(step, raw, choice)
        except DomainError as err:
            return Turn("ask", self._prompt(flow, step, who), error=err, flow=flow)

        if flow == EDIT:
            try:
                view = await self.ambassadors.update_profile(who, ProfileChanges(**{step: value}))
            except DomainError as err:
                return Turn("ask", self._prompt(flow, step, who), error=err, flow=flow)
            await self.end(who)
            return Turn("edited", ambassador=view, flow=flow, answers={step: value})

        if step == "consent":
            if value != "agree":
                await self.end(who)
                return Turn("declined", flow=flow)
            data["consented"] = True
        else:
            data[step] = value
        following = REGISTER_STEPS.index(step) + 1
        if following < len(REGISTER_STEPS):
            next_step = REGISTER_STEPS[following]
            await self._save(who, flow, next_step, data)
            return Turn("ask", self._prompt(flow, next_step, who), flow=flow)
        return await self._finish_registration(who, data)

    def _interpret(self, step: str, raw: str, choice: str | None) -> str:
        """Turn a tap or a typed answer into the stored value, checking it; raises DomainError."""
        choices = _choices(step)
        if choices:
            if choice is not None:
                if choice in {c.value for c in choices}:
                    return choice
                raise DomainError("wizard.error.pick_one")
            found = self._typed_choice(choices, raw)
            if found is None:
                raise DomainError("wizard.error.pick_one")
            return found
        if choice is not None:
            raise DomainError("wizard.error.type_answer")
        if step in SKIPPABLE and _norm(raw) in SKIP_WORDS:
            return ""
        if step == "display_name":
            return clean_display_name(raw)
        if step == "residence":
            clean_residence(raw)
            return raw
        if step in SKIPPABLE:
            clean_tags(raw, step)
            return raw
        return raw  # language/timezone are checked by update_profile

    def _typed_choice(self, choices: tuple[Choice, ...], raw: str) -> str | None:
        """The choice whose label (in either language) or value was typed."""
        wanted = _norm(raw)
        for c in choices:
            if wanted in {_norm(c.label(self.tr, lang)) for lang in LANGUAGES} | {c.value}:
                return c.value
        return None

    async def _finish_registration(self, who: Identity, data: dict[str, Any]) -> Turn:
        cs = self.directory.by_id(who.community_id).settings
        profile = Profile(
            display_name=clean_display_name(data["display_name"]),
            residence=clean_residence(data["residence"]),
            connection=data["connection"],
            interests=clean_tags(data.get("interests", ""), "interests"),
            skills=clean_tags(data.get("skills", ""), "skills"),
        )
        view = await self.ambassadors.register(
            who,
            profile,
            notice_version=cs.privacy_notice_version,
            language=data.get("language") or cs.default_language,
            timezone=cs.timezone,
        )
        return Turn("registered", ambassador=view, flow=REGISTER)

    # --- the contribution dialogue ------------------------------------------------------------------
    async def _answer_contribution(
        self, who: Identity, step: str, data: dict[str, Any], raw: str, choice: str | None
    ) -> Turn | None:
        try:
            data[step] = self._contribution_value(who, step, raw, choice)
        except DomainError as err:
            return Turn("ask", self._prompt(CONTRIBUTE, step, who), error=err, flow=CONTRIBUTE)
        # The next question is the first one not answered yet (all of them, unless one was re-asked).
        next_step = next((s for s in CONTRIBUTE_STEPS if s not in data), None)
        if next_step is not None:
            await self._save(who, CONTRIBUTE, next_step, data)
            return Turn("ask", self._prompt(CONTRIBUTE, next_step, who), flow=CONTRIBUTE)
        return await self._finish_contribution(who, data)

    def _contribution_value(self, who: Identity, step: str, raw: str, choice: str | None) -> str:
        """The checked value of one answer, by the rules ``ContributionService.log`` applies."""
        if step == "category":
            if choice is None:
                if not raw:
                    raise DomainError("wizard.error.pick_one")
                found = self._typed_choice(self._contribution_choices(step, who), raw)
                if found is None:
                    raise DomainError("contribution.error.unknown_category", category=raw[:32])
                choice = found
            return self.contributions.category(who.community_id, choice).key
        if step == "occurred_on":
            if choice is not None and choice not in DAYS:
                raise DomainError("wizard.error.pick_one")
            tz = self.directory.by_id(who.community_id).settings.timezone
            return parse_past_date(choice or raw, local_today(self.clock.now(), tz)).isoformat()
        if choice is not None:
            raise DomainError("wizard.error.type_answer")
        if step == "description":
            return clean_description(raw)
        if _norm(raw) in SKIP_WORDS:  # the link
            return ""
        return clean_link(raw) or ""

    async def _finish_contribution(self, who: Identity, data: dict[str, Any]) -> Turn | None:
        # Ending the row first is the claim: of two deliveries of the last answer, one logs.
        if not await self.end(who):
            return None
        try:
            result = await self.contributions.log(
                who, data["category"], data["description"], data["occurred_on"], data["link"] or None
            )
        except DomainError as err:
            step = _STEP_OF_ERROR.get(err.key)
            if step is None:
                raise
            data.pop(step, None)
            await self._save(who, CONTRIBUTE, step, data)
            return Turn("ask", self._prompt(CONTRIBUTE, step, who), error=err, flow=CONTRIBUTE)
        return Turn("logged", flow=CONTRIBUTE, logged=result, answers=data)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _row_query(who: Identity) -> Any:
    return select(Conversation).where(
        Conversation.community_id == who.community_id,
        Conversation.platform == who.platform,
        Conversation.external_id == who.external_id,
    )
