"""Discord's documented limits that its OpenAPI spec leaves out, or states more loosely than the docs.

The spec's own README says to follow the docs where the two differ. Each number here is cited from Discord's
developer documentation (https://discord.com/developers/docs/...). These numbers are the checker's own: the
bot keeps its payloads within its limits with separate constants (``cogs/_limits.py``), so a wrong constant
there is caught here rather than agreed with.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from bot.discord_check.spec import Violation, Where

# resources/message#create-message: "content: Message contents (up to 2000 characters)". The spec allows 4,000
# on MessageCreateRequest and MessageEditRequestPartial (the limit of Nitro users, not of bots).
CONTENT_LIMIT = 2000
# resources/message#embed-object-embed-limits: "the combined sum of characters in all title, description,
# field.name, field.value, footer.text, and author.name fields across all embeds attached to a message must
# not exceed 6000 characters."
EMBEDS_TEXT_LIMIT = 6000
# components/reference#action-row: a message without the IS_COMPONENTS_V2 flag holds "up to 5 action rows"
# (the spec's maxItems 40 is for the newer layout components).
LEGACY_ROWS_LIMIT = 5
COMPONENTS_V2_FLAG = 1 << 15
# interactions/receiving-and-responding#interaction-response-object-modal: "components: Between 1 and 5
# (inclusive) components that make up the modal".
MODAL_COMPONENTS_LIMIT = 5
# interactions/application-commands#application-command-object-application-command-naming: names match
# ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ and use the lowercase variant of any letter that has one.
NAME_LIMIT = 32
# interactions/application-commands#application-command-object: "description: 1-100 character description
# for CHAT_INPUT commands" (the spec states no minimum for the command's own description).
DESCRIPTION_LIMIT = 100
# interactions/application-commands#registering-a-command: "the combined sum of characters in the name,
# description, and value properties of a command, its options (including subcommands and subcommand groups),
# and choices must not exceed 8000"; with localizations only the longest variant of each field counts.
COMMAND_TEXT_LIMIT = 8000
# ...#registering-a-command: up to 100 CHAT_INPUT commands a scope (the spec's maxItems 130 counts all kinds).
CHAT_INPUT_COMMANDS_LIMIT = 100
# resources/audit-log#audit-log-entry-object: the X-Audit-Log-Reason header holds 1-512 characters.
REASON_LIMIT = 512

DOCS_CONTENT = "docs: Create Message, content"
DOCS_EMBEDS = "docs: Embed Limits"
DOCS_ROWS = "docs: Action Row"
DOCS_MODAL = "docs: Interaction Response, Modal"
DOCS_NAMING = "docs: Application Command Naming"
DOCS_COMMAND = "docs: Application Command Object"
DOCS_REGISTERING = "docs: Registering a Command"
DOCS_REASON = "docs: Audit Log Entry, X-Audit-Log-Reason"

MESSAGE_ROUTES = frozenset(
    {
        "POST /channels/{channel_id}/messages",
        "PATCH /channels/{channel_id}/messages/{message_id}",
        "POST /webhooks/{webhook_id}/{webhook_token}",
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
    }
)
CALLBACK_ROUTE = "POST /interactions/{interaction_id}/{interaction_token}/callback"
COMMAND_ROUTES = frozenset(
    {
        "PUT /applications/{application_id}/commands",
        "PUT /applications/{application_id}/guilds/{guild_id}/commands",
        "POST /applications/{application_id}/commands",
        "POST /applications/{application_id}/guilds/{guild_id}/commands",
        "PATCH /applications/{application_id}/commands/{command_id}",
        "PATCH /applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
    }
)
MESSAGE_CALLBACKS = frozenset({4, 7})  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE
MODAL_CALLBACK = 9
CHAT_INPUT = 1
SUBCOMMAND_KINDS = frozenset({1, 2})  # SUB_COMMAND, SUB_COMMAND_GROUP

_NAME_EXTRA = frozenset("-_'")


def _too_long(where: Where, limit: int, size: int, source: str, unit: str = "characters") -> Violation:
    return Violation(
        where, f"Must be {limit} or fewer in length.", "BASE_TYPE_MAX_LENGTH", source, f"{size} {unit}"
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def embeds_text_size(embeds: Any) -> int:
    """The characters Discord counts against the 6,000 of a message's embeds, all of them together."""
    total = 0
    for embed in embeds if isinstance(embeds, list) else ():
        if not isinstance(embed, Mapping):
            continue
        total += len(_text(embed.get("title"))) + len(_text(embed.get("description")))
        for field in embed.get("fields") or ():
            if isinstance(field, Mapping):
                total += len(_text(field.get("name"))) + len(_text(field.get("value")))
        for part, key in (("footer", "text"), ("author", "name")):
            section = embed.get(part)
            if isinstance(section, Mapping):
                total += len(_text(section.get(key)))
    return total


def message_rules(body: Any, at: Where = ()) -> Iterator[Violation]:
    """A message body (create, edit, follow-up, interaction answer) against the documented limits."""
    if not isinstance(body, Mapping):
        return
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_LIMIT:
        yield _too_long((*at, "content"), CONTENT_LIMIT, len(content), DOCS_CONTENT)
    size = embeds_text_size(body.get("embeds"))
    if size > EMBEDS_TEXT_LIMIT:
        message = f"Embed size exceeds maximum size of {EMBEDS_TEXT_LIMIT}"
        sent = f"{size} characters in all embeds"
        yield Violation((*at, "embeds"), message, "MAX_EMBED_SIZE_EXCEEDED", DOCS_EMBEDS, sent)
    rows = body.get("components")
    flags = body.get("flags") if isinstance(body.get("flags"), int) else 0
    legacy = not (flags or 0) & COMPONENTS_V2_FLAG
    if legacy and isinstance(rows, list) and len(rows) > LEGACY_ROWS_LIMIT:
        yield _too_long((*at, "components"), LEGACY_ROWS_LIMIT, len(rows), DOCS_ROWS, "action rows")


def modal_rules(data: Any, at: Where) -> Iterator[Violation]:
    components = data.get("components") if isinstance(data, Mapping) else None
    if isinstance(components, list) and len(components) > MODAL_COMPONENTS_LIMIT:
        yield _too_long(
            (*at, "components"), MODAL_COMPONENTS_LIMIT, len(components), DOCS_MODAL, "components"
        )


def callback_rules(body: Any) -> Iterator[Violation]:
    """An interaction answer: a message (new or an update of the panel) or a modal."""
    if not isinstance(body, Mapping):
        return
    kind = body.get("type")
    if kind in MESSAGE_CALLBACKS:
        yield from message_rules(body.get("data"), ("data",))
    elif kind == MODAL_CALLBACK:
        yield from modal_rules(body.get("data"), ("data",))


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid CHAT_INPUT command or option name, or None if it is."""
    if not 1 <= len(name) <= NAME_LIMIT:
        return f"Must be between 1 and {NAME_LIMIT} in length."
    for char in name:
        code = ord(char)
        allowed = (
            char in _NAME_EXTRA
            or unicodedata.category(char)[0] in "LN"
            or 0x0900 <= code <= 0x097F  # Devanagari (its vowel signs are marks, not letters)
            or 0x0E00 <= code <= 0x0E7F  # Thai
        )
        if not allowed:
            return f"Command name is invalid: {char!r} is not allowed."
        if char.lower() != char:
            return f"Command name is invalid: {char!r} has a lowercase variant to use."
    return None


def _localised(item: Mapping[str, Any], key: str) -> list[str]:
    values = [_text(item.get(key))]
    localisations = item.get(f"{key}_localizations")
    if isinstance(localisations, Mapping):
        values += [_text(v) for v in localisations.values()]
    return values


def _locale_keys(item: Mapping[str, Any], at: Where, locales: frozenset[str]) -> Iterator[Violation]:
    for key in ("name_localizations", "description_localizations"):
        found = item.get(key)
        for locale in found if isinstance(found, Mapping) else ():
            if locale not in locales:
                message = f"Invalid Locale: {locale!r} is not one of Discord's."
                source = "openapi AvailableLocalesEnum"
                yield Violation((*at, key, str(locale)), message, "LOCALE_INVALID", source, str(locale))


def _chat_input_item(item: Mapping[str, Any], at: Where, locales: frozenset[str]) -> Iterator[Violation]:
    """The naming, description and locale rules of a chat-input command or one of its options."""
    for where, name in [((*at, "name"), _text(item.get("name")))] + [
        ((*at, "name_localizations", str(k)), _text(v))
        for k, v in (item.get("name_localizations") or {}).items()
    ]:
        problem = name_problem(name)
        if problem:
            yield Violation(where, problem, "APPLICATION_COMMAND_INVALID_NAME", DOCS_NAMING, repr(name)[:60])
    for where, text in [((*at, "description"), _text(item.get("description")))] + [
        ((*at, "description_localizations", str(k)), _text(v))
        for k, v in (item.get("description_localizations") or {}).items()
    ]:
        if not 1 <= len(text) <= DESCRIPTION_LIMIT:
            message = f"Must be between 1 and {DESCRIPTION_LIMIT} in length."
            yield Violation(where, message, "BASE_TYPE_BAD_LENGTH", DOCS_COMMAND, f"{len(text)} characters")
    yield from _locale_keys(item, at, locales)
    options = item.get("options")
    if not isinstance(options, list):
        return
    seen_optional = False
    for index, option in enumerate(options):
        if not isinstance(option, Mapping):
            continue
        where = (*at, "options", index)
        if option.get("type") not in SUBCOMMAND_KINDS:
            if option.get("required") and seen_optional:
                message = "Required options must be placed before non-required options"
                code = "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"
                yield Violation((*where, "required"), message, code, DOCS_COMMAND)
            seen_optional = seen_optional or not option.get("required")
        yield from _chat_input_item(option, where, locales)
        for c_index, choice in enumerate(option.get("choices") or ()):
            if isinstance(choice, Mapping):
                yield from _locale_keys(choice, (*where, "choices", c_index), locales)


def command_text_size(item: Mapping[str, Any]) -> int:
    """The characters Discord counts against a command's 8,000 (the longest variant of each field)."""
    total = sum(max(len(v) for v in _localised(item, key)) for key in ("name", "description"))
    for option in item.get("options") or ():
        if isinstance(option, Mapping):
            total += command_text_size(option)
    for choice in item.get("choices") or ():
        if isinstance(choice, Mapping):
            total += max(len(v) for v in _localised(choice, "name")) + len(str(choice.get("value", "")))
    return total


def command_rules(body: Any, locales: frozenset[str]) -> Iterator[Violation]:
    """A command registration (one command, or the whole list of a bulk overwrite)."""
    commands = body if isinstance(body, list) else [body]
    bulk = isinstance(body, list)
    chat_input = 0
    for index, command in enumerate(commands):
        if not isinstance(command, Mapping):
            continue
        at: Where = (index,) if bulk else ()
        if command.get("type") in (None, CHAT_INPUT):
            chat_input += 1
            yield from _chat_input_item(command, at, locales)
        size = command_text_size(command)
        if size > COMMAND_TEXT_LIMIT:
            yield _too_long(at, COMMAND_TEXT_LIMIT, size, DOCS_REGISTERING)
    if chat_input > CHAT_INPUT_COMMANDS_LIMIT:
        yield _too_long((), CHAT_INPUT_COMMANDS_LIMIT, chat_input, DOCS_REGISTERING, "chat input commands")


def reason_rules(reason: str | None) -> Iterator[Violation]:
    if reason is not None and len(reason) > REASON_LIMIT:
        yield _too_long(("X-Audit-Log-Reason",), REASON_LIMIT, len(reason), DOCS_REASON)


def documented_rules(route: str, body: Any, reason: str | None, locales: frozenset[str]) -> list[Violation]:
    """Every documented limit ``body`` (and the audit-log reason) of a request on ``route`` breaks."""
    found = list(reason_rules(reason))
    if route in MESSAGE_ROUTES:
        found += message_rules(body)
    elif route == CALLBACK_ROUTE:
        found += callback_rules(body)
    elif route in COMMAND_ROUTES:
        found += command_rules(body, locales)
    return found
