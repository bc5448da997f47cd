"""Step-by-step dialogues for chat platforms without forms (LINE): registration, and editing one field.

The state is a database row, so a restart in the middle of a registration loses nothing. The face shows
each ``Prompt`` (text plus choices as quick replies) and feeds back what the person typed or tapped.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import delete, select

from bot.clock import Clock
from bot.community.ambassadors import AmbassadorService, AmbassadorView, ProfileChanges
from bot.community.communities import CommunityDirectory
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
from bot.i18n import Translator
from storage.database import Database
from storage.models import Conversation

REGISTER_STEPS = ("consent", "display_name", "residence", "connection", "interests", "skills")
EDIT_FIELDS = ("display_name", "residence", "connection", "interests", "skills", "language", "timezone")
SKIPPABLE = {"interests", "skills"}
CANCEL_WORDS = {"キャンセル", "やめる", "中止", "cancel", "stop", "quit"}
SKIP_WORDS = {"スキップ", "なし", "とばす", "skip", "none"}


@dataclass(frozen=True)
class Choice:
    value: str
    label_key: str


def _choices(step: str) -> tuple[Choice, ...]:
    if step == "consent":
        return (Choice("agree", "wizard.choice.agree"), Choice("decline", "wizard.choice.decline"))
    if step == "connection":
        return tuple(Choice(c, f"profile.connection.{c}") for c in CONNECTIONS)
    if step == "language":
        return tuple(Choice(lang, f"profile.language.{lang}") for lang in LANGUAGES)
    return ()


@dataclass(frozen=True)
class Prompt:
    flow: str
    step: str
    question_key: str
    params: dict[str, Any] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    skippable: bool = False
    position: int = 0  # 1-based step number within a registration, 0 for an edit
    total: int = 0


@dataclass(frozen=True)
class Turn:
    """What to say next. ``error`` is set when the answer was not accepted (the prompt is asked again)."""

    outcome: Literal["ask", "registered", "edited", "declined", "cancelled"]
    prompt: Prompt | None = None
    error: DomainError | None = None
    ambassador: AmbassadorView | None = None


class ConversationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        translator: Translator,
        directory: CommunityDirectory,
        ambassadors: AmbassadorService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.tr = translator
        self.directory = directory
        self.ambassadors = ambassadors

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
        await self._save(who, "register", "consent", {"language": language})
        return self._prompt("register", "consent", who)

    async def start_edit(self, who: Identity, field_name: str) -> Prompt:
        if field_name not in EDIT_FIELDS:
            raise DomainError("profile.error.unknown_field")
        await self.ambassadors.get(who)
        await self._save(who, "edit", field_name, {})
        return self._prompt("edit", field_name, who)

    async def current_prompt(self, who: Identity) -> Prompt | None:
        row = await self._load(who)
        return self._prompt(row.flow, row.step, who) if row else None

    def _prompt(self, flow: str, step: str, who: Identity) -> Prompt:
        params: dict[str, Any] = {}
        if step == "consent":
            cs = self.directory.by_id(who.community_id).settings
            params = {
                "community": cs.name,
                "url": cs.privacy_notice_url,
                "version": cs.privacy_notice_version,
            }
        position = REGISTER_STEPS.index(step) + 1 if flow == "register" else 0
        return Prompt(
            flow=flow,
            step=step,
            question_key=f"wizard.ask.{step}",
            params=params,
            choices=_choices(step),
            skippable=step in SKIPPABLE,
            position=position,
            total=len(REGISTER_STEPS) if flow == "register" else 0,
        )

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
            return Turn("cancelled")
        try:
            value = self._interpret(step, raw, choice)
        except DomainError as err:
            return Turn("ask", self._prompt(flow, step, who), error=err)

        if flow == "edit":
            try:
                view = await self.ambassadors.update_profile(who, ProfileChanges(**{step: value}))
            except DomainError as err:
                return Turn("ask", self._prompt(flow, step, who), error=err)
            await self.end(who)
            return Turn("edited", ambassador=view)

        if step == "consent":
            if value != "agree":
                await self.end(who)
                return Turn("declined")
            data["consented"] = True
        else:
            data[step] = value
        following = REGISTER_STEPS.index(step) + 1
        if following < len(REGISTER_STEPS):
            next_step = REGISTER_STEPS[following]
            await self._save(who, flow, next_step, data)
            return Turn("ask", self._prompt(flow, next_step, who))
        return await self._finish_registration(who, data)

    def _interpret(self, step: str, raw: str, choice: str | None) -> str:
        """Turn a tap or a typed answer into the stored value, checking it; raises DomainError."""
        choices = _choices(step)
        if choices:
            if choice is not None:
                if choice in {c.value for c in choices}:
                    return choice
                raise DomainError("wizard.error.pick_one")
            wanted = _norm(raw)
            for c in choices:
                labels = {_norm(self.tr.t(lang, c.label_key)) for lang in LANGUAGES} | {c.value}
                if wanted in labels:
                    return c.value
            raise DomainError("wizard.error.pick_one")
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
        return Turn("registered", ambassador=view)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _row_query(who: Identity) -> Any:
    return select(Conversation).where(
        Conversation.community_id == who.community_id,
        Conversation.platform == who.platform,
        Conversation.external_id == who.external_id,
    )
