"""Discord's own localisation of the slash commands: a Japanese client sees /登録, others /register.

The declarations in ``cogs/`` carry the English base text (what Discord shows every client without a
localisation, and the names interactions arrive with). discord.py wraps each name and description in a
``locale_str`` and, when the commands are synced, asks ``CommandTranslator`` for every Discord locale; it
answers from the hub's catalog (``bot/i18n/catalog/{ja,en}/discord_commands.toml``) for ``ja``, ``en-US`` and
``en-GB``. The catalog key follows from where the text sits, so a declaration names no key:

- a command or group: ``slash.<path>.name`` and ``slash.<path>.description`` (``slash.event.create.name``);
- an option: ``slash.<path>.option.<parameter>.name`` and ``….description``;
- a fixed choice: the key given to ``fixed_choice`` (a choice does not know its command).

A text with no catalog entry is an error, not a silent fallback to English: the sync fails (discord.py raises
``TranslationError``), and every test that starts the bot with it.
"""

from __future__ import annotations

from typing import Final, TypeVar

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where
from discord.app_commands import TranslationContextTypes, locale_str

from bot.i18n import Translator

KEY_ROOT: Final = "slash"

LANGUAGE_OF_LOCALE: Final = {
    discord.Locale.japanese: "ja",
    discord.Locale.american_english: "en",
    discord.Locale.british_english: "en",
}

_NAMES: Final = (Where.command_name, Where.group_name, Where.parameter_name)

ChoiceT = TypeVar("ChoiceT", str, int, float)


def command_key(qualified_name: str) -> str:
    """``"event create"`` → ``"slash.event.create"``: the catalog table of a command or group."""
    return f"{KEY_ROOT}.{qualified_name.replace(' ', '.')}"


def fixed_choice(name: str, value: ChoiceT, *, key: str) -> app_commands.Choice[ChoiceT]:
    """A choice of ``app_commands.choices`` whose name Discord shows translated; ``key`` is its catalog entry
    (``slash.<path>.option.<parameter>.choice.<value>``)."""
    return app_commands.Choice(name=locale_str(name, key=key), value=value)


def catalog_key(string: locale_str, context: TranslationContextTypes) -> str:
    """The catalog entry of a command text, from the place discord.py says it sits."""
    if "key" in string.extras:
        return str(string.extras["key"])
    data = context.data
    part = "name" if context.location in _NAMES else "description"
    if isinstance(data, app_commands.Command | app_commands.Group):
        return f"{command_key(data.qualified_name)}.{part}"
    if isinstance(data, app_commands.Parameter):
        return f"{command_key(data.command.qualified_name)}.option.{data.name}.{part}"
    raise LookupError(f"no catalog key for {string.message!r} ({context.location.name}): use fixed_choice")


class CommandTranslator(app_commands.Translator):
    """Names and descriptions of the slash commands in Japanese and English, from the hub's catalog."""

    def __init__(self, catalog: Translator) -> None:
        self.catalog = catalog

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: TranslationContextTypes
    ) -> str | None:
        language = LANGUAGE_OF_LOCALE.get(locale)
        if language is None:
            return None  # other clients see the English base text
        return self.catalog.catalogs[language][catalog_key(string, context)]
