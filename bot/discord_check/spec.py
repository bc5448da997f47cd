"""Discord's OpenAPI description (``openapi.json`` beside this file; where it comes from: ``NOTICE``).

It answers two questions about a request the bot sends: which route of Discord's API it is (the spec's path
template, e.g. ``POST /channels/{channel_id}/messages``) and how its JSON body breaks the request schema the
spec gives that route (``maxLength``, ``maxItems``, ``minLength``, ``required``, types and enums). The limits
the brief of issue 14 lists come from these schemas:

- embeds: ``RichEmbed`` (title 256, description 4,096, at most 25 fields), ``RichEmbedField`` (name 256,
  value 1,024), ``RichEmbedFooter`` (text 2,048), ``RichEmbedAuthor`` (name 256); at most 10 embeds:
  ``MessageCreateRequest``, ``IncomingWebhookInteractionRequest`` and the other message bodies;
- components: ``ActionRowComponentForMessageRequest`` (1–5 components a row),
  ``ButtonComponentForMessageRequest`` (label 80, custom_id 1–100, link url 512),
  ``StringSelectComponentForMessageRequest`` (1–25 options, placeholder 150), ``StringSelectOptionForRequest``
  (label and value 1–100, description 100);
- modals: ``ModalInteractionCallbackRequestData`` (title 1–45, custom_id 1–100),
  ``TextInputComponentForModalRequest`` (label 1–45, value 4,000, placeholder 100),
  ``ActionRowComponentForModalRequest`` (1–5 inputs a row);
- application commands: ``ApplicationCommandUpdateRequest`` (name 1–32, description 100, at most 25 options),
  ``ApplicationCommandStringOption`` and the other options (name 1–32, description 1–100, at most 25
  choices), ``ApplicationCommandOptionStringChoice`` (name 1–100), ``AvailableLocalesEnum`` (the locales);
- autocomplete: ``InteractionApplicationCommandAutocompleteCallbackStringData`` (at most 25 choices);
- names: ``CreateGuildChannelRequest`` / ``UpdateGuildChannelRequestPartial`` (channel name 1–100, topic
  4,096), ``CreateRoleRequest`` (role name 1–100), ``CreateTextThreadWithoutMessageRequest`` (thread name
  1–100), ``ExternalScheduledEventCreateRequest`` (name 100, description 1,000).

What the spec leaves out or states more loosely than Discord's documentation is in ``rules.py``. Like JSON
Schema's ``maxLength``, every length is counted in Unicode code points (``len`` of a Python ``str``).

As the spec's README says, a ``oneOf`` union means "one of these formats" (like ``anyOf``), not "exactly one
schema matches". Two deliberate widenings, as Discord's API behaves: an ``integer`` field takes a string
that parses as one (the spec's README says so; discord.py sends ``permissions`` as a string), and
``SnowflakeType``, a numeric string in the spec, takes a JSON number too (discord.py sends the
``recipient_id`` of a DM channel that way).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:discord:openapi"
JSON = "application/json"
SEEN_BODIES = 1024  # bodies whose answer is remembered (the same command list is synced at every start)

Where = tuple[str | int, ...]
_INTEGER_TEXT = re.compile(r"-?[0-9]+")


def _is_integer(checker: Any, instance: Any) -> bool:
    """JSON Schema's integer, and a string that parses as one (Discord takes both)."""
    if isinstance(instance, str):
        return _INTEGER_TEXT.fullmatch(instance) is not None
    return bool(Draft202012Validator.TYPE_CHECKER.is_type(instance, "integer"))


DiscordValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    validators={"oneOf": Draft202012Validator.VALIDATORS["anyOf"]},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


@dataclass(frozen=True)
class Violation:
    """One way a request breaks Discord's rules, worded like Discord's own "Invalid Form Body" answer."""

    where: Where  # the JSON path in the body; ("X-Audit-Log-Reason",) for the header
    message: str  # Discord's wording, e.g. "Must be 1024 or fewer in length."
    code: str  # Discord's form-body error code, e.g. BASE_TYPE_MAX_LENGTH
    source: str  # where the limit is stated: "openapi RichEmbedField.value" or "docs: Embed Limits"
    detail: str = ""  # what was sent, e.g. "1100 characters"

    def describe(self) -> str:
        at = ".".join(str(p) for p in self.where) or "(body)"
        sent = f" (sent: {self.detail})" if self.detail else ""
        return f"{at}: {self.message}{sent} [{self.code}; {self.source}]"


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _is_discriminator_miss(error: ValidationError) -> bool:
    """The error says this union branch is another kind of thing (not the instance's type or its ``type``)."""
    path = tuple(error.relative_path)
    if path == () and error.validator == "type":
        return True
    return path == ("type",) and error.validator in ("enum", "const")


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The errors that matter under a union (``oneOf``/``anyOf``): those of the branch whose kind matches.

    A component row that fails is reported as "the button's label is too long", not as "matches none of
    seven component schemas". When several branches could be meant (a follow-up is a new message or an
    edit), the one with the fewest errors is reported."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[int, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
        candidates = [
            [leaf for sub in errors for leaf in _leaves(sub)]
            for errors in branches.values()
            if not any(_is_discriminator_miss(e) for e in errors)
        ]
        if candidates:
            yield from min(candidates, key=len)
            return
    yield error


def _wording(error: ValidationError) -> tuple[str, str, str]:
    """(message, code, what was sent) for one schema error, the way Discord words its own."""
    value: Any = error.validator_value
    instance: Any = error.instance
    if error.validator in ("maxLength", "maxItems", "maxProperties"):
        unit = "characters" if error.validator == "maxLength" else "items"
        return f"Must be {value} or fewer in length.", "BASE_TYPE_MAX_LENGTH", f"{len(instance)} {unit}"
    if error.validator in ("minLength", "minItems"):
        unit = "characters" if error.validator == "minLength" else "items"
        return f"Must be {value} or more in length.", "BASE_TYPE_MIN_LENGTH", f"{len(instance)} {unit}"
    if error.validator == "required":
        missing = [p for p in value if isinstance(instance, Mapping) and p not in instance]
        return f"This field is required: {', '.join(missing)}.", "BASE_TYPE_REQUIRED", ""
    if error.validator in ("enum", "const"):
        return f"Value must be one of {value!r}.", "BASE_TYPE_CHOICES", repr(instance)[:80]
    return error.message[:200], f"SCHEMA_{str(error.validator).upper()}", ""


class DiscordSpec:
    """The request schemas of Discord's routes, read from the vendored OpenAPI file."""

    def __init__(self, document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        snowflake = schemas["SnowflakeType"]
        schemas["SnowflakeType"] = {"anyOf": [snowflake, {"type": "integer", "minimum": 0}]}
        self.document = document
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT202012.create_resource(document)
        )
        self.locales = frozenset(
            str(choice["const"]) for choice in schemas["AvailableLocalesEnum"]["oneOf"] if "const" in choice
        )
        self._routes: dict[str, list[tuple[list[str], str]]] = {}
        for template, operations in document["paths"].items():
            for method in operations:
                if method in ("get", "put", "post", "patch", "delete"):
                    self._routes.setdefault(method.upper(), []).append(
                        (template.strip("/").split("/"), template)
                    )
        self._names = self._schema_names(document)
        self._validators: dict[str, Any] = {}
        self._seen: dict[tuple[str, str], tuple[Violation, ...]] = {}

    @staticmethod
    def _schema_names(document: dict[str, Any]) -> dict[int, str]:
        """Each schema node's readable place ("RichEmbedField.value"), to cite it in a violation."""
        names: dict[int, str] = {}

        def walk(node: Any, name: str) -> None:
            if isinstance(node, dict):
                names.setdefault(id(node), name)
                for key, child in node.items():
                    if key == "properties" and isinstance(child, dict):
                        for prop, sub in child.items():
                            walk(sub, f"{name}.{prop}")
                    elif key in ("items", "additionalProperties"):
                        walk(child, f"{name}[]")
                    elif key in ("oneOf", "anyOf", "allOf") and isinstance(child, list):
                        for sub in child:
                            walk(sub, name)

        for schema_name, schema in document["components"]["schemas"].items():
            walk(schema, schema_name)
        for template, operations in document["paths"].items():
            for method, operation in operations.items():
                body = operation.get("requestBody") if isinstance(operation, dict) else None
                if body and JSON in body.get("content", {}):
                    walk(body["content"][JSON].get("schema"), f"{method.upper()} {template} body")
        return names

    def route(self, method: str, path: str) -> str | None:
        """The spec's template for a concrete path (the most literal match), e.g.
        ``PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original``; None for a path it lacks."""
        segments = path.split("?", 1)[0].strip("/").split("/")
        best: tuple[int, str] | None = None
        for template, name in self._routes.get(method.upper(), ()):
            if len(template) != len(segments):
                continue
            literals = 0
            for part, segment in zip(template, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    continue
                if part != segment:
                    break
                literals += 1
            else:
                if best is None or literals > best[0]:
                    best = (literals, name)
        return f"{method.upper()} {best[1]}" if best else None

    def _validator(self, route: str) -> Any:
        if route not in self._validators:
            method, template = route.split(" ", 1)
            operation = self.document["paths"][template][method.lower()]
            content = (operation.get("requestBody") or {}).get("content", {})
            pointer = _pointer("paths", template, method.lower(), "requestBody", "content", JSON, "schema")
            self._validators[route] = (
                DiscordValidator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=self.registry)
                if JSON in content
                else None
            )
        return self._validators[route]

    def check_body(self, route: str, body: Any) -> list[Violation]:
        """Every way ``body`` breaks the request schema of ``route`` (none if the route takes no JSON body).

        A body seen before is answered from memory: the command list a bot syncs at every start is the same
        each time, and validating its hundreds of options against their unions is what costs."""
        validator = self._validator(route)
        if validator is None or body is None:
            return []
        key = (route, json.dumps(body, sort_keys=True, ensure_ascii=False, default=str))
        if key not in self._seen:
            if len(self._seen) >= SEEN_BODIES:
                self._seen.clear()
            found: list[Violation] = []
            for error in validator.iter_errors(body):
                for leaf in _leaves(error):
                    message, code, detail = _wording(leaf)
                    source = "openapi " + self._names.get(id(leaf.schema), "?")
                    found.append(Violation(tuple(leaf.absolute_path), message, code, source, detail))
            self._seen[key] = tuple(found)
        return list(self._seen[key])


@cache
def discord_spec() -> DiscordSpec:
    """The vendored spec, read once per process on first use (never at import)."""
    text = files("bot.discord_check").joinpath("openapi.json").read_text(encoding="utf-8")
    return DiscordSpec(json.loads(text))
