"""Discord's own localisation of the slash commands, as the real sync sends it to (Sim)Discord.

The bot syncs its commands when it starts (``HubBot.setup_hook``); SimCord records that PUT to
``applications/{id}/guilds/{gid}/commands``. These tests read what was sent: Japanese names and descriptions
for ``ja`` clients, the English ones for ``en-US`` and ``en-GB``, each within Discord's rules; and a member
whose client is Japanese still invokes the commands by their English base names, as Discord sends them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
import regex
import simcord
import simcord.interactions
from discord import app_commands
from discord.app_commands import (
    TranslationContext,
    TranslationContextLocation,
    TranslationContextTypes,
    locale_str,
)

from bot.discord_bot import HubBot
from bot.discord_translator import CommandTranslator
from bot.i18n import Translator
from tests.conftest import AMA_GUILD, TABA_GUILD
from tests.discord.conftest import World
from tests.discord.test_registration import GOOD

LOCALES = {"ja", "en-US", "en-GB"}
# Discord's rule for CHAT_INPUT command, subcommand and option names ("Application Command Naming" in
# Discord's docs): 1-32 of these characters, and the lowercase form of any letter that has one.
NAME = regex.compile(r"^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")
SUBCOMMANDS = (1, 2)  # SUB_COMMAND, SUB_COMMAND_GROUP


def synced(env: Any, guild_id: int) -> list[dict[str, Any]]:
    """The body of the last command sync for one server."""
    path = f"/applications/{env.backend.application_id}/guilds/{guild_id}/commands"
    puts = [r.json for r in env.http_requests if r.method == "PUT" and r.path == path]
    assert puts, f"no command sync for {guild_id}"
    body: list[dict[str, Any]] = puts[-1]
    return body


def combined_size(item: dict[str, Any]) -> int:
    """Discord's measure of a command against its 4,000-character limit: names, descriptions and choice values
    of the command, its subcommands, options and choices, counting the longest localisation of each field."""
    size = len(str(item.get("value", "")))
    for field in ("name", "description"):
        if field in item:
            texts = [item[field], *(item.get(f"{field}_localizations") or {}).values()]
            size += max(len(t) for t in texts)
    return size + sum(combined_size(i) for i in [*(item.get("options") or []), *(item.get("choices") or [])])


def find(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(i for i in items if i["name"] == name)


@dataclass(frozen=True)
class Named:
    """A command, subcommand, group, option or choice of the synced payload, with its siblings' path."""

    where: str
    kind: str  # "command" (also groups and subcommands), "option" or "choice"
    item: dict[str, Any]


def walk(items: list[dict[str, Any]], where: str = "") -> Iterator[Named]:
    for item in items:
        path = f"{where} {item['name']}".strip()
        is_command = not where or item.get("type") in SUBCOMMANDS
        yield Named(where, "command" if is_command else "option", item)
        yield from walk(item.get("options") or [], path)
        for choice in item.get("choices") or []:
            yield Named(f"{path}:choice", "choice", choice)


async def test_the_sync_sends_japanese_and_english_names_and_descriptions(world: World) -> None:
    for guild_id in (AMA_GUILD, TABA_GUILD):
        commands = synced(world.env, guild_id)
        register = find(commands, "register")
        assert register["description"] == "Register as an ambassador"
        assert register["name_localizations"] == {"ja": "登録", "en-US": "register", "en-GB": "register"}
        assert register["description_localizations"]["ja"] == "アンバサダーとして登録します"

        create = find(find(commands, "event")["options"], "create")
        assert create["name_localizations"]["ja"] == "作成"
        assert create["description_localizations"] == {
            "ja": "イベントを作成して告知",
            "en-US": "Create and announce an event",
            "en-GB": "Create and announce an event",
        }
        title = find(create["options"], "title")
        assert (title["name_localizations"]["ja"], title["description_localizations"]["ja"]) == (
            "タイトル",
            "イベントのタイトル",
        )

        period = find(find(commands, "leaderboard")["options"], "period")
        assert period["name_localizations"]["ja"] == "期間"
        assert [(c["value"], c["name"], c["name_localizations"]["ja"]) for c in period["choices"]] == [
            ("all", "All time", "累計"),
            ("month", "This month", "今月"),
        ]
        kind = find(find(commands, "export")["options"], "kind")
        attendance = find(kind["choices"], "Attendance")
        assert attendance["name_localizations"] == {
            "ja": "イベントの参加・来場",
            "en-US": "Attendance",
            "en-GB": "Attendance",
        }


async def test_every_name_and_description_is_localised_within_discords_rules(
    world: World, simcord_bot: HubBot
) -> None:
    commands = synced(world.env, AMA_GUILD)
    seen = {"command": 0, "option": 0, "choice": 0}
    siblings: dict[tuple[str, str, str], list[str]] = {}
    problems: list[str] = []
    for found in walk(commands):
        item, label = found.item, f"{found.where} {found.item['name']}".strip()
        seen[found.kind] += 1
        names = item.get("name_localizations") or {}
        if set(names) != LOCALES:
            problems.append(f"{label}: name localised for {sorted(names)}")
        for locale in LOCALES:
            siblings.setdefault((found.kind, found.where, locale), []).append(names.get(locale, item["name"]))
        if {names.get("en-US"), names.get("en-GB")} != {item["name"]}:
            problems.append(f"{label}: the English name is not the base name")
        for locale, name in names.items():
            if found.kind == "choice":
                if not 1 <= len(name) <= 100:
                    problems.append(f"{label} [{locale}]: choice name of {len(name)} characters")
            elif not NAME.match(name) or name != name.lower():
                problems.append(f"{label} [{locale}]: {name!r} is not a Discord command name")
        if found.kind == "choice":
            continue
        descriptions = item.get("description_localizations") or {}
        if set(descriptions) != LOCALES:
            problems.append(f"{label}: description localised for {sorted(descriptions)}")
        if {descriptions.get("en-US"), descriptions.get("en-GB")} != {item["description"]}:
            problems.append(f"{label}: the English description is not the base description")
        for locale, text in descriptions.items():
            if not 1 <= len(text) <= 100:
                problems.append(f"{label} [{locale}]: description of {len(text)} characters")
            if locale != "ja" and regex.search(r"\p{Han}|\p{Hiragana}|\p{Katakana}", text):
                problems.append(f"{label} [{locale}]: Japanese in the English description {text!r}")
    problems += [f"/{c['name']}: {combined_size(c)} characters" for c in commands if combined_size(c) > 4000]
    for (kind, where, locale), names in siblings.items():
        if len(set(names)) != len(names):
            problems.append(f"{kind}s of {where or '/'} [{locale}]: a name used twice in {names}")
    assert problems == []
    # Every command, group, subcommand and option of the tree was in the payload and was checked.
    tree = list(simcord_bot.tree.walk_commands())
    options = sum(len(c.parameters) for c in tree if isinstance(c, app_commands.Command))
    assert (seen["command"], seen["option"]) == (len(tree), options)
    assert seen["command"] > 60 and options > 100 and seen["choice"] == 8, (seen, options)


async def test_a_missing_catalog_entry_fails_the_sync(simcord_env: simcord.Env, simcord_bot: HubBot) -> None:
    catalog = Translator()
    del catalog.catalogs["ja"]["slash.event.create.option.title.description"]
    await simcord_bot.tree.set_translator(CommandTranslator(catalog))
    with pytest.raises(app_commands.TranslationError):
        await simcord_bot.tree.sync(guild=discord.Object(id=AMA_GUILD))


async def test_a_fixed_choice_without_a_catalog_key_is_refused() -> None:
    translator = CommandTranslator(Translator())
    bare = app_commands.Choice(name=locale_str("All time"), value="all")
    context: TranslationContextTypes = TranslationContext(TranslationContextLocation.choice_name, bare)
    with pytest.raises(LookupError, match="fixed_choice"):
        await translator.translate(locale_str("All time"), discord.Locale.japanese, context)
    assert await translator.translate(locale_str("All time"), discord.Locale.french, context) is None


@pytest.fixture
def client_locales(monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    """The Discord client locale of a user (by id) in the interactions they start (SimCord's: en-US)."""
    locales: dict[int, str] = {}
    build = simcord.interactions.base_payload

    def with_locale(backend: Any, *, user_id: int, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        record, payload = build(backend, user_id=user_id, **kwargs)
        payload["locale"] = locales.get(user_id, payload["locale"])
        return record, payload

    monkeypatch.setattr(simcord.interactions, "base_payload", with_locale)
    return locales


async def test_a_japanese_client_uses_the_commands_by_their_base_names(
    world: World, client_locales: dict[int, str]
) -> None:
    hanako, alice = world.member("hanako"), world.member("alice")
    client_locales[hanako.id] = "ja"

    shown = await hanako.slash(world.channel, "register")  # Discord sends "register", not 「登録」
    assert shown.ephemeral
    assert shown.response.embeds[0].title == "海士町オフィシャルアンバサダー アンバサダー登録"
    english = await alice.slash(world.channel, "register")
    assert english.response.embeds[0].title == "海士町オフィシャルアンバサダー: ambassador registration"

    panel = shown.response.message
    await hanako.select(panel, ["fan"], custom_id="register:connection")
    modal = await hanako.click(panel, custom_id="register:agree")
    welcome = world.last_ephemeral(await hanako.submit_modal(modal, GOOD))
    assert "ようこそ" in welcome.embeds[0].title

    board = await hanako.slash(world.channel, "leaderboard", period="month")  # a choice by its value
    assert board.ephemeral and "今月" in board.response.embeds[0].title
    event = await hanako.slash(world.channel, "event create", title="t", start="2026-12-05 19:00")
    # A subcommand is reached too (and refused in Japanese: hanako is not staff).
    assert world.last_ephemeral(event).content == world.hub.tr.t("ja", "staff.error.not_staff")
