"""LINE's own OpenAPI files as checks: every request the hub sends to the Messaging API, every webhook body a
test sends. Used by the stand-in (``bot/line/standin.py``), so by the tests and ``python -m bot demo``.

The vendored ``bot/line/openapi/*.yml`` are OpenAPI 3.0; they become JSON Schema (2020-12) once per process,
the first time a check is asked for:

- ``discriminator`` + ``allOf``, the way LINE writes inheritance (Message → TextMessage, FlexMessage…;
  Action → PostbackAction, URIAction…; FlexContainer → FlexBubble, FlexCarousel; FlexComponent → FlexBox,
  FlexText, FlexButton…; Event → MessageEvent…; MessageContent; Source → UserSource, GroupSource…): a value
  must match the subtype its discriminator names. In a request an unknown or missing discriminator is an
  error (LINE answers 400). In a webhook an unknown one is allowed, as LINE's parser does (the SDK's
  ``UnknownEvent``): webhook.yml lists no closed set of types but gives ``Event`` a plain string ``type``,
  and new event, message and source types are how LINE adds features, so such a value must only match the
  base schema (``Event``: type, timestamp, mode, webhookEventId, deliveryContext).
- In a request, a property that is in no schema of that object is an error (LINE: "The property, …, in
  the request body is invalid"); in a webhook it is allowed (LINE adds fields to events).
- ``nullable`` → ``null`` allowed; ``readOnly`` properties (request) and ``writeOnly`` ones (webhook) are
  neither required nor allowed; ``format`` (uri as RFC 3986, uuid, int32, int64, date-time) is checked;
  ``default``, ``example``, ``description``, ``externalDocs`` are dropped (annotations only).
- ``maxLength`` and ``minLength`` count UTF-16 code units, as LINE counts text.

A request body is checked against the schema of its endpoint, found by method and path in ``paths``, its
header parameters against theirs (``X-Line-Retry-Key`` is a UUID), and then against the limits LINE
documents outside the schema (``bot/line/limits.py``: text, altText, labels, displayText, URIs, carousel
and bubble sizes). Problems are given as LINE gives them: a property path such as ``messages[0].text`` and
a message.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.line.limits import (
    ACTION_TEXT_MAX,
    ALT_TEXT_MAX,
    BUBBLE_BYTES_MAX,
    CAROUSEL_BYTES_MAX,
    CAROUSEL_MAX,
    DISPLAY_TEXT_MAX,
    FLEX_LABEL_MAX,
    LABEL_MAX,
    TEXT_MAX,
    URI_MAX,
    URI_SCHEMES,
    grapheme_len,
    json_bytes,
    utf16_len,
)

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

SPEC_DIR = Path(__file__).with_name("openapi")
MESSAGING_API = "messaging-api.yml"
WEBHOOK = "webhook.yml"
_SCHEMAS = "#/components/schemas/"
_FORBIDDEN: dict[str, Any] = {"not": {}}  # a property that must not be sent (readOnly in a request)
VERDICTS_KEPT = 4096  # bodies whose verdict is remembered (a storm's replies differ only in their token)
_ANNOTATIONS = {"description", "example", "examples", "externalDocs", "default", "deprecated", "xml", "title"}
# RFC 3986 absolute URI: a scheme, then only unreserved, reserved and percent-encoded ASCII.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Problem:
    """One thing LINE would refuse: where (LINE's notation, ``messages[0].text``; "" for the whole request)
    and what."""

    property: str
    message: str

    def __str__(self) -> str:
        return f"{self.property}: {self.message}" if self.property else self.message


@dataclass(frozen=True)
class Operation:
    """One endpoint of messaging-api.yml: its body schema and header parameters, compiled."""

    method: str
    template: str  # as in the spec: "/v2/bot/profile/{userId}"
    operation_id: str
    pattern: re.Pattern[str]
    body: Validator | None
    headers: tuple[tuple[str, bool, Validator], ...]  # (name, required, validator)

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


# --- loading and converting ------------------------------------------------------------------------------
def load_spec(name: str) -> dict[str, Any]:
    """One vendored OpenAPI file, parsed (with libyaml's loader when PyYAML has it)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (SPEC_DIR / name).open(encoding="utf-8") as f:
        spec: dict[str, Any] = yaml.load(f, Loader=loader)
    return spec


class _Converter:
    """OpenAPI 3.0 component schemas → JSON Schema ``$defs``.

    Each schema ``X`` gives ``X.part`` (itself, as one part of a subtype's ``allOf``) and ``X``: the schema a
    value is checked against, which for a request also refuses properties none of its parts declares, and
    for a schema with a discriminator picks the subtype by the value's discriminator."""

    def __init__(self, schemas: Mapping[str, Any], *, request: bool) -> None:
        self.schemas = schemas
        self.request = request
        self.hidden = "readOnly" if request else "writeOnly"

    def defs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, schema in self.schemas.items():
            out[f"{name}.part"] = self.convert(schema, part=True)
            if "discriminator" in schema:
                disc = schema["discriminator"]
                out[name] = {
                    "x-discriminator": {
                        "property": disc["propertyName"],
                        "mapping": {v: self.ref(ref) for v, ref in disc.get("mapping", {}).items()},
                        "base": f"#/$defs/{name}.part",
                        "open": not self.request,
                    }
                }
            else:
                out[name] = self.convert(schema, part=False)
        return out

    @staticmethod
    def ref(ref: str, suffix: str = "") -> str:
        if not ref.startswith(_SCHEMAS):
            raise ValueError(f"unexpected $ref {ref}")
        return f"#/$defs/{ref.removeprefix(_SCHEMAS)}{suffix}"

    def convert(self, node: Any, *, part: bool = False) -> Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return {"$ref": self.ref(node["$ref"], ".part" if part else "")}
        out: dict[str, Any] = {}
        hidden = {
            k for k, v in node.get("properties", {}).items() if isinstance(v, dict) and v.get(self.hidden)
        }
        for key, value in node.items():
            if key in _ANNOTATIONS or key in ("discriminator", "nullable", "readOnly", "writeOnly"):
                continue
            if key.startswith("x-"):
                continue
            if key == "properties":
                out[key] = {k: _FORBIDDEN if k in hidden else self.convert(v) for k, v in value.items()}
            elif key == "required":
                out[key] = [k for k in value if k not in hidden]
            elif key == "allOf":
                out[key] = [self.convert(v, part=True) for v in value]
            elif key in ("oneOf", "anyOf"):
                out[key] = [self.convert(v) for v in value]
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                out[key] = self.convert(value)
            else:
                out[key] = value
        if node.get("nullable"):
            if isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
            if "type" not in out:
                out = {"anyOf": [out, {"type": "null"}]}
        if self.request and not part and "additionalProperties" not in node:
            names = self.property_names(node)
            if names:
                out["x-known"] = sorted(names)
        return out

    def property_names(self, node: Mapping[str, Any]) -> set[str]:
        """Every property an object of this schema may have: its own and those of its ``allOf`` parts."""
        if "$ref" in node:
            return self.property_names(self.schemas[node["$ref"].removeprefix(_SCHEMAS)])
        names = set(node.get("properties", {}))
        for sub in node.get("allOf", []):
            names |= self.property_names(sub)
        return names


# --- the validator ---------------------------------------------------------------------------------------
def _required(validator: Any, required: list[str], instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "object"):
        for name in required:
            if name not in instance:
                yield ValidationError("Must be specified", path=[name])


def _max_length(validator: Any, limit: int, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and utf16_len(instance) > limit:
        yield ValidationError(f"Length must be between {schema.get('minLength', 0)} and {limit}")


def _min_length(validator: Any, limit: int, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and utf16_len(instance) < limit:
        upper = schema.get("maxLength")
        yield ValidationError(
            f"Length must be between {limit} and {upper}" if upper else f"Length must be at least {limit}"
        )


def _discriminator(validator: Any, spec: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "object"):
        yield from validator.descend(instance, {"$ref": spec["base"]})
        return
    tag = instance.get(spec["property"])
    target = spec["mapping"].get(tag) if isinstance(tag, str) else None
    if target is not None:
        yield from validator.descend(instance, {"$ref": target})
    elif tag is None:
        yield ValidationError("Must be specified", path=[spec["property"]])
    elif spec["open"]:  # a webhook's type this spec does not know yet: LINE's new feature
        yield from validator.descend(instance, {"$ref": spec["base"]})
    else:
        values = ", ".join(spec["mapping"])
        yield ValidationError(f"Must be one of the following values: [{values}]", path=[spec["property"]])


def _known(validator: Any, names: list[str], instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "object"):
        for name in instance:
            if name not in names:
                yield ValidationError("The property is invalid (not in LINE's schema here)", path=[name])


def _format_checker() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI.match(value))

    @checker.checks("uuid")
    def _uuid(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _UUID.match(value):
            return False
        uuid.UUID(value)
        return True

    @checker.checks("int32")
    def _int32(value: object) -> bool:
        return not isinstance(value, int) or -(2**31) <= value < 2**31

    @checker.checks("int64")
    def _int64(value: object) -> bool:
        return not isinstance(value, int) or -(2**63) <= value < 2**63

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if isinstance(value, str):
            datetime.fromisoformat(value)
        return True

    return checker


@functools.cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator,
        {
            "required": _required,
            "maxLength": _max_length,
            "minLength": _min_length,
            "x-discriminator": _discriminator,
            "x-known": _known,
        },
    )


def _compile(defs: dict[str, Any], target: Any) -> Validator:
    cls = _validator_class()
    validator: Validator = cls({"$defs": defs, **target}, format_checker=_format_checker())
    return validator


def line_path(path: Iterable[str | int]) -> str:
    """A JSON path as LINE writes it in its errors: ``messages[0].quickReply.items[2].action.label``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _message(error: ValidationError) -> str:
    kind, schema, value = error.validator, error.schema, error.validator_value
    if kind in ("maxItems", "minItems") and isinstance(schema, dict):
        low, high = schema.get("minItems", 0), schema.get("maxItems")
        return (
            f"Size must be between {low} and {high}" if high is not None else f"Size must be at least {low}"
        )
    if kind == "enum" and isinstance(value, list):
        return "Must be one of the following values: [" + ", ".join(map(str, value)) + "]"
    if kind == "type":
        return f"Must be {value}"
    if kind == "format":
        return f"Invalid {value}"
    if kind == "pattern":
        return f"Must match {value}"
    if kind in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        return f"Must be {'at most' if 'max' in str(kind).lower() else 'at least'} {value}"
    if kind == "not" and value == {}:
        return "The property must not be sent"
    return error.message


def problems_of(validator: Validator, instance: Any) -> list[Problem]:
    """What ``validator`` finds in ``instance``, as LINE reports it."""
    return [Problem(line_path(e.absolute_path), _message(e)) for e in validator.iter_errors(instance)]


def component_validator(schemas: Mapping[str, Any], name: str, *, request: bool) -> Validator:
    """One component schema of an OpenAPI file (with the others it refers to), compiled: as a request's
    (``request=True``: closed to unknown discriminators and properties) or as what LINE sends."""
    return _compile(_Converter(schemas, request=request).defs(), {"$ref": f"#/$defs/{name}"})


def _body_ref(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A request body's schema (LINE's are all ``$ref``s to a component) as a reference into ``$defs``."""
    if "$ref" not in schema:
        raise ValueError("a request body schema is expected to be a $ref")
    return {"$ref": _Converter.ref(schema["$ref"])}


# --- the Messaging API ------------------------------------------------------------------------------------
class MessagingApi:
    """messaging-api.yml compiled: every operation's body and header parameter schemas."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        defs = _Converter(spec["components"]["schemas"], request=True).defs()
        operations: list[Operation] = []
        for template, item in spec["paths"].items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "delete", "patch"):
                    continue
                body_schema = (
                    op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                )
                body = _compile(defs, _body_ref(body_schema)) if body_schema else None
                headers = tuple(
                    (p["name"], bool(p.get("required")), _compile(defs, p.get("schema", {})))
                    for p in op.get("parameters", [])
                    if p.get("in") == "header"
                )
                regex = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
                operations.append(
                    Operation(
                        method.upper(), template, op.get("operationId", ""), re.compile(regex), body, headers
                    )
                )
        # A literal path wins over a template that also matches it (".../message/reply" is not a messageId).
        self.operations = sorted(operations, key=lambda o: "{" in o.template)
        self._verdicts: dict[str, tuple[Problem, ...]] = {}  # see _same_as

    def operation(self, method: str, path: str) -> Operation | None:
        return next((o for o in self.operations if o.method == method and o.pattern.match(path)), None)

    def check(self, op: Operation, headers: Mapping[str, str], raw: bytes) -> tuple[Any, list[Problem]]:
        """The body as parsed and every problem with the request: headers, body schema, LINE's limits."""
        problems: list[Problem] = []
        for name, required, validator in op.headers:
            value = headers.get(name)
            if value is None:
                if required:
                    problems.append(Problem(name, "Must be specified (header)"))
                continue
            problems += [Problem(name, p.message) for p in problems_of(validator, value)]
        if op.body is None:
            return None, problems
        if "application/json" not in headers.get("Content-Type", ""):
            problems.append(Problem("", "The Content-Type must be application/json"))
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None, [*problems, Problem("", "The request body could not be parsed as JSON")]
        key = _same_as(op, body)
        found = self._verdicts.get(key) if key is not None else None
        if found is None:
            found = (*problems_of(op.body, body), *limit_problems(body))
            if key is not None:
                if len(self._verdicts) >= VERDICTS_KEPT:
                    self._verdicts.clear()
                self._verdicts[key] = found
        return body, [*problems, *found]


def _same_as(op: Operation, body: Any) -> str | None:
    """A key under which ``body`` gets the same verdict as every body that differs from it only in its reply
    token or recipients (a storm of replies, a multicast split in batches): each non-empty string is one
    like another to the schema and to LINE's limits, so they are stood in for; how many there are is kept.
    None for a body that has anything else there (checked in full every time)."""
    if not isinstance(body, dict):
        return None
    same = dict(body)
    token, to = same.get("replyToken"), same.get("to")
    if "replyToken" in same:
        if not (isinstance(token, str) and token):
            return None
        same["replyToken"] = "-"
    if "to" in same:
        if isinstance(to, str) and to:
            same["to"] = "-"
        elif isinstance(to, list) and all(isinstance(t, str) and t for t in to):
            same["to"] = ["-"] * len(to)
        else:
            return None
    return op.name + json.dumps(same, ensure_ascii=False, sort_keys=True)


@functools.cache
def messaging_api() -> MessagingApi:
    """messaging-api.yml, compiled once per process (the first request the stand-in gets)."""
    return MessagingApi(load_spec(MESSAGING_API))


# --- LINE's limits outside the schema -----------------------------------------------------------------------
def limit_problems(body: Any) -> list[Problem]:
    """The limits LINE documents that messaging-api.yml leaves out (``bot/line/limits.py``), for each message
    of a reply, push, multicast or broadcast."""
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        return []
    problems: list[Problem] = []
    for i, message in enumerate(messages):
        if isinstance(message, dict):
            problems += _message_limits(message, f"messages[{i}]")
    return problems


def _message_limits(message: dict[str, Any], at: str) -> Iterator[Problem]:
    kind = message.get("type")
    text = message.get("text")
    if kind in ("text", "textV2") and isinstance(text, str):
        if not text:
            yield Problem(f"{at}.text", "May not be empty")
        elif utf16_len(text) > TEXT_MAX:
            yield Problem(f"{at}.text", f"Length must be between 1 and {TEXT_MAX} (UTF-16 code units)")
    alt = message.get("altText")
    if kind in ("flex", "template", "imagemap") and isinstance(alt, str):
        if not alt:
            yield Problem(f"{at}.altText", "May not be empty")
        elif utf16_len(alt) > ALT_TEXT_MAX:
            yield Problem(f"{at}.altText", f"Length must be between 1 and {ALT_TEXT_MAX} (UTF-16 code units)")
    contents = message.get("contents")
    if kind == "flex" and isinstance(contents, dict):
        yield from _flex_limits(contents, f"{at}.contents")
    quick = message.get("quickReply")
    items = quick.get("items") if isinstance(quick, dict) else None
    for j, item in enumerate(items if isinstance(items, list) else []):
        here = f"{at}.quickReply.items[{j}]"
        action = item.get("action") if isinstance(item, dict) else None
        if not isinstance(action, dict):
            yield Problem(f"{here}.action", "Must be specified")
        else:
            yield from _action_limits(action, f"{here}.action", LABEL_MAX, label_required=True)


def _flex_limits(container: dict[str, Any], at: str) -> Iterator[Problem]:
    kind = container.get("type")
    if kind == "carousel":
        bubbles = container.get("contents")
        bubbles = bubbles if isinstance(bubbles, list) else []
        if len(bubbles) > CAROUSEL_MAX:
            yield Problem(f"{at}.contents", f"Size must be between 1 and {CAROUSEL_MAX}")
        size = json_bytes(container)
        if size > CAROUSEL_BYTES_MAX:
            yield Problem(at, f"A carousel is at most {CAROUSEL_BYTES_MAX} bytes of JSON, not {size}")
        for k, bubble in enumerate(bubbles):
            if isinstance(bubble, dict):
                yield from _bubble_limits(bubble, f"{at}.contents[{k}]")
    elif kind == "bubble":
        yield from _bubble_limits(container, at)


def _bubble_limits(bubble: dict[str, Any], at: str) -> Iterator[Problem]:
    size = json_bytes(bubble)
    if size > BUBBLE_BYTES_MAX:
        yield Problem(at, f"A bubble is at most {BUBBLE_BYTES_MAX} bytes of JSON, not {size}")
    yield from _flex_actions(bubble, at)


def _flex_actions(node: Any, at: str) -> Iterator[Problem]:
    """Every action in a Flex tree (a button's, a box's, a text's, an image's): labels to 40."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{at}.{key}"
            if key == "action" and isinstance(value, dict):
                yield from _action_limits(
                    value, here, FLEX_LABEL_MAX, label_required=node.get("type") == "button"
                )
            else:
                yield from _flex_actions(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _flex_actions(value, f"{at}[{i}]")


def _action_limits(
    action: dict[str, Any], at: str, label_max: int, *, label_required: bool
) -> Iterator[Problem]:
    label = action.get("label")
    if label is None:
        if label_required:
            yield Problem(f"{at}.label", "Must be specified")
    elif isinstance(label, str):
        yield from _graphemes(label, f"{at}.label", label_max)
    kind = action.get("type")
    if kind == "postback":
        for key in ("displayText", "text", "fillInText"):
            if isinstance(action.get(key), str):
                yield from _graphemes(action[key], f"{at}.{key}", DISPLAY_TEXT_MAX)
    elif kind == "message":
        said = action.get("text")
        if not isinstance(said, str):
            yield Problem(f"{at}.text", "Must be specified")
        else:
            yield from _graphemes(said, f"{at}.text", ACTION_TEXT_MAX)
    elif kind == "uri":
        link = action.get("uri")
        if not isinstance(link, str):
            yield Problem(f"{at}.uri", "Must be specified")
        else:
            yield from _uri_limits(link, f"{at}.uri")
        alt = action.get("altUri")
        if isinstance(alt, dict) and isinstance(alt.get("desktop"), str):
            yield from _uri_limits(alt["desktop"], f"{at}.altUri.desktop")


def _graphemes(value: str, at: str, limit: int) -> Iterator[Problem]:
    if not value:
        yield Problem(at, "May not be empty")
    elif grapheme_len(value) > limit:
        yield Problem(at, f"Length must be between 1 and {limit} (grapheme clusters)")


def _uri_limits(link: str, at: str) -> Iterator[Problem]:
    if utf16_len(link) > URI_MAX:
        yield Problem(at, f"Length must be between 1 and {URI_MAX}")
    scheme = link.split(":", 1)[0].lower() if ":" in link else ""
    if scheme not in URI_SCHEMES:
        yield Problem(at, "The scheme must be one of: " + ", ".join(URI_SCHEMES))


# --- webhooks --------------------------------------------------------------------------------------------
@functools.cache
def webhook_validator() -> Validator:
    """webhook.yml's ``CallbackRequest`` (the body LINE posts), compiled once per process."""
    spec = load_spec(WEBHOOK)
    schema = spec["paths"]["/callback"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    defs = _Converter(spec["components"]["schemas"], request=False).defs()
    return _compile(defs, _body_ref(schema))


def validate_webhook_body(body: str) -> list[str]:
    """What in a webhook body LINE would never send (webhook.yml), as ``property: problem``; [] if none."""
    try:
        payload = json.loads(body)
    except ValueError:
        return ["the body is not JSON"]
    return [str(p) for p in problems_of(webhook_validator(), payload)]
