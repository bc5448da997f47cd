"""The LINE stand-in answers like LINE: what it refuses, how it says so, and that it checked at all.

Each wrong request below breaks one rule the checker relies on (a schema rule of LINE's messaging-api.yml or
a limit of bot/line/limits.py), and is sent straight to the stand-in over HTTP: it must come back as LINE's
400 naming the property, and be kept as a violation (a test that made the hub send it would fail). The
right request next to it (at the limit) must go through, so a check that refuses everything fails too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.line.limits import fit, grapheme_len, utf16_len
from bot.line.spec_check import validate_webhook_body
from bot.line.standin import LineStandIn, follow_event, text_event, webhook_body, webhook_headers
from bot.line.webhook import LineSink
from tests.line.conftest import LineWorld
from tests.line.test_webhook import register_on_line, who

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
MULTICAST = "/v2/bot/message/multicast"
AUTH = {"Authorization": "Bearer token", "Content-Type": "application/json"}
FAMILY = "👨\u200d👩\u200d👧"  # one grapheme cluster, 8 UTF-16 code units


def text(body: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": body, **extra}


def postback(label: str = "OK", data: str = "action=ok", **extra: Any) -> dict[str, Any]:
    return {"type": "postback", "label": label, "data": data, **extra}


def quick(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"items": [{"type": "action", "action": a} for a in actions]}


def button(action: dict[str, Any]) -> dict[str, Any]:
    return {"type": "button", "action": action}


def bubble(*contents: dict[str, Any]) -> dict[str, Any]:
    body = list(contents) or [{"type": "text", "text": "x"}]
    return {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": body}}


def flex(contents: dict[str, Any], alt: str = "card") -> dict[str, Any]:
    return {"type": "flex", "altText": alt, "contents": contents}


def sized_bubble(size: int) -> dict[str, Any]:
    """A bubble whose JSON (compact, UTF-8) is ``size`` bytes."""
    empty = bubble({"type": "text", "text": ""})
    filler = size - len(json.dumps(empty, separators=(",", ":")))
    return bubble({"type": "text", "text": "x" * filler})


def reply(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"replyToken": "rt", "messages": list(messages)}


@pytest.fixture
async def api() -> AsyncIterator[LineStandIn]:
    async with LineStandIn() as stand_in:
        yield stand_in


async def send(
    api: LineStandIn, path: str, body: Any, headers: dict[str, str] | None = None, method: str = "POST"
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, api.base_url + path, data=data, headers=headers or AUTH) as resp,
    ):
        return resp.status, await resp.json()


# Each case: (why, path, body, the properties LINE names). The body breaks exactly that rule.
WRONG: list[tuple[str, str, Any, list[str]]] = [
    ("unknown message type", REPLY, reply({"type": "txt", "text": "hi"}), ["messages[0].type"]),
    (
        "unknown action type",
        REPLY,
        reply(text(quickReply=quick({"type": "tap", "label": "x"}))),
        ["messages[0].quickReply.items[0].action.type"],
    ),
    (
        "unknown Flex component type",
        REPLY,
        reply(flex(bubble({"type": "paragraph", "text": "x"}))),
        ["messages[0].contents.body.contents[0].type"],
    ),
    (
        "a Flex box without its layout",
        REPLY,
        reply(flex({"type": "bubble", "body": {"type": "box", "contents": []}})),
        ["messages[0].contents.body.layout"],
    ),
    ("no reply token", REPLY, {"messages": [text()]}, ["replyToken"]),
    ("a text message without text", REPLY, reply({"type": "text"}), ["messages[0].text"]),
    ("an empty text", REPLY, reply(text("")), ["messages[0].text"]),
    ("a property LINE does not know", REPLY, reply(text(quick_reply={})), ["messages[0].quick_reply"]),
    ("a number where text goes", REPLY, reply(text(5)), ["messages[0].text"]),  # type: ignore[arg-type]
    ("4,999 kana and an emoji: 5,001 units", REPLY, reply(text("あ" * 4999 + "😀")), ["messages[0].text"]),
    ("altText of 1,501", REPLY, reply(flex(bubble(), alt="a" * 1501)), ["messages[0].altText"]),
    (
        "14 quick replies",
        REPLY,
        reply(text(quickReply=quick(*[postback(f"{n}") for n in range(14)]))),
        ["messages[0].quickReply.items"],
    ),
    (
        "a label of 21",
        REPLY,
        reply(text(quickReply=quick(postback("ラ" * 21)))),
        ["messages[0].quickReply.items[0].action.label"],
    ),
    (
        "a Flex button's label of 41",
        REPLY,
        reply(flex(bubble(button(postback("ボ" * 41))))),
        ["messages[0].contents.body.contents[0].action.label"],
    ),
    (
        "a Flex button without a label",
        REPLY,
        reply(flex(bubble(button({"type": "postback", "data": "x"})))),
        ["messages[0].contents.body.contents[0].action.label"],
    ),
    (
        "postback data of 301",
        REPLY,
        reply(text(quickReply=quick(postback(data="d" * 301)))),
        ["messages[0].quickReply.items[0].action.data"],
    ),
    (
        "displayText of 301",
        REPLY,
        reply(text(quickReply=quick(postback(displayText="字" * 301)))),
        ["messages[0].quickReply.items[0].action.displayText"],
    ),
    (
        "a message action's text of 301",
        REPLY,
        reply(text(quickReply=quick({"type": "message", "label": "x", "text": "字" * 301}))),
        ["messages[0].quickReply.items[0].action.text"],
    ),
    (
        "a javascript: URI",
        REPLY,
        reply(flex(bubble(button({"type": "uri", "label": "x", "uri": "javascript:alert(1)"})))),
        ["messages[0].contents.body.contents[0].action.uri"],
    ),
    (
        "a URI of 1,001",
        REPLY,
        reply(flex(bubble(button({"type": "uri", "label": "x", "uri": "https://e.jp/" + "a" * 988})))),
        ["messages[0].contents.body.contents[0].action.uri"],
    ),
    (
        "a URI with a raw space and Japanese (not RFC 3986)",
        REPLY,
        reply(flex(bubble(button({"type": "uri", "label": "x", "uri": "https://e.jp/島 の"})))),
        ["messages[0].contents.body.contents[0].action.uri"],
    ),
    (
        "13 bubbles",
        REPLY,
        reply(flex({"type": "carousel", "contents": [bubble()] * 13})),
        ["messages[0].contents.contents"],
    ),
    ("a 31 KB bubble", REPLY, reply(flex(sized_bubble(31 * 1024))), ["messages[0].contents"]),
    (
        "a carousel of 51 KB",
        REPLY,
        reply(flex({"type": "carousel", "contents": [sized_bubble(5200)] * 10})),
        ["messages[0].contents"],
    ),
    ("0 messages", REPLY, reply(), ["messages"]),
    ("6 messages", REPLY, reply(*[text()] * 6), ["messages"]),
    ("501 recipients", MULTICAST, {"to": [f"U{i}" for i in range(501)], "messages": [text()]}, ["to"]),
    ("0 recipients", MULTICAST, {"to": [], "messages": [text()]}, ["to"]),
    ("a push to nobody", PUSH, {"messages": [text()]}, ["to"]),
]


@pytest.mark.parametrize(("why", "path", "body", "properties"), WRONG, ids=[w[0] for w in WRONG])
async def test_a_wrong_request_gets_lines_400_naming_the_property(
    api: LineStandIn, why: str, path: str, body: Any, properties: list[str]
) -> None:
    status, answer = await send(api, path, body)
    assert status == 400, why
    assert answer["message"] == f"The request body has {len(answer['details'])} error(s)"
    assert [d["property"] for d in answer["details"]] == properties
    assert all(d["message"] for d in answer["details"])
    [violation] = api.take_violations()
    assert violation.path == path and [p.property for p in violation.problems] == properties
    assert api.checked[f"POST {path}"] == 1


# The same rules at their limits: LINE takes these, and so must the stand-in.
RIGHT: list[tuple[str, str, Any]] = [
    ("5,000 units of kana and emoji", REPLY, reply(text("あ" * 4998 + "😀"))),
    ("altText of 1,500", REPLY, reply(flex(bubble(), alt="a" * 1500))),
    ("13 quick replies", REPLY, reply(text(quickReply=quick(*[postback(f"{n}") for n in range(13)])))),
    ("a label of 20 kana", REPLY, reply(text(quickReply=quick(postback("ラ" * 20))))),
    ("a label of 20 ZWJ families (160 units)", REPLY, reply(text(quickReply=quick(postback(FAMILY * 20))))),
    ("a Flex button's label of 40", REPLY, reply(flex(bubble(button(postback("ボ" * 40)))))),
    ("postback data of 300", REPLY, reply(text(quickReply=quick(postback(data="d" * 300))))),
    ("displayText of 300", REPLY, reply(text(quickReply=quick(postback(displayText="字" * 300))))),
    (
        "line:, tel: and a percent-encoded https URI of 1,000",
        REPLY,
        reply(
            flex(
                bubble(
                    button({"type": "uri", "label": "a", "uri": "line://ti/p/@ama"}),
                    button({"type": "uri", "label": "b", "uri": "tel:0851-42-0000"}),
                    button({"type": "uri", "label": "c", "uri": "https://e.jp/%E5%B3%B6" + "a" * 978}),
                )
            )
        ),
    ),
    ("12 bubbles", REPLY, reply(flex({"type": "carousel", "contents": [bubble()] * 12}))),
    ("a 30,000-byte bubble", REPLY, reply(flex(sized_bubble(30_000)))),
    ("5 messages", REPLY, reply(*[text()] * 5)),
    ("500 recipients", MULTICAST, {"to": [f"U{i}" for i in range(500)], "messages": [text()]}),
    ("a push", PUSH, {"to": "U1", "messages": [text()]}),
]


@pytest.mark.parametrize(("why", "path", "body"), RIGHT, ids=[r[0] for r in RIGHT])
async def test_a_request_at_the_limit_goes_through(api: LineStandIn, why: str, path: str, body: Any) -> None:
    status, answer = await send(api, path, body)
    assert (status, api.violations) == (200, []), (why, answer)
    assert api.checked[f"POST {path}"] == 1


async def test_headers_body_and_endpoints_are_checked_too(api: LineStandIn) -> None:
    # A retry key must be a UUID (messaging-api.yml: X-Line-Retry-Key, format uuid).
    status, answer = await send(
        api, PUSH, {"to": "U1", "messages": [text()]}, {**AUTH, "X-Line-Retry-Key": "k-1"}
    )
    assert status == 400 and answer["details"][0]["property"] == "X-Line-Retry-Key"
    # A body that is not JSON, or not sent as JSON.
    status, answer = await send(api, REPLY, b"{not json")
    assert status == 400 and "could not be parsed as JSON" in answer["details"][0]["message"]
    status, _ = await send(
        api, REPLY, reply(text()), {"Authorization": "Bearer t", "Content-Type": "text/plain"}
    )
    assert status == 400
    # No channel access token: LINE's 401.
    status, _ = await send(api, REPLY, reply(text()), {"Content-Type": "application/json"})
    assert status == 401
    assert len(api.take_violations()) == 4
    # An endpoint of LINE's that the stand-in does not serve, and a path that is not LINE's: both refused.
    for path in ("/v2/bot/message/broadcast", "/v2/bot/nothing-here"):
        status, _ = await send(api, path, {"messages": [text()]})
        assert status == 404
    served = [str(v.problems[0]) for v in api.take_violations()]
    assert "broadcast is in messaging-api.yml, but the stand-in does not serve it" in served[0]
    assert "not an endpoint of LINE's messaging-api.yml" in served[1]


async def test_a_refused_request_fails_the_test_that_caused_it() -> None:
    """Leaving the stand-in with a violation raises, naming the request and the property."""
    with pytest.raises(AssertionError) as raised:
        async with LineStandIn() as api:
            status, _ = await send(api, REPLY, reply(text("あ" * 4999 + "😀")))
            assert status == 400
    said = str(raised.value)
    assert "LINE would have refused 1 request(s)" in said
    assert "POST /v2/bot/message/reply" in said and "messages[0].text: Length must be" in said


async def test_every_endpoint_the_hub_calls_was_checked(line: LineWorld) -> None:
    """A flow through reply, profile, push and multicast: each checked, every request counted once."""
    line.api.profiles["U1"] = {"language": "ja"}
    await register_on_line(line, "U1")
    view = await line.hub.ambassadors.get(who(line, "U1"))
    assert await line.hub.notifier.tell(view.community_id, view.id, "line.profile.saved") == "line"
    sink = line.hub.notifier.sink("line")
    assert isinstance(sink, LineSink)
    assert await sink.multicast_text(view.community_id, ["U1"], "お知らせ")
    assert line.api.checked["POST /v2/bot/message/reply"] >= 7
    assert line.api.checked["GET /v2/bot/profile/{userId}"] >= 1
    assert line.api.checked["POST /v2/bot/message/push"] == 1
    assert line.api.checked["POST /v2/bot/message/multicast"] == 1
    assert sum(line.api.checked.values()) == len(line.api.requests)


# --- webhooks ---------------------------------------------------------------------------------------------
def test_webhook_bodies_are_checked_against_webhook_yml() -> None:
    good = webhook_body([text_event("U1", "こんにちは"), follow_event("U2")])
    assert validate_webhook_body(good) == []
    broken = json.loads(good)
    del broken["events"][0]["message"]["quoteToken"]  # LINE always sends one with a text message
    broken["events"][1]["follow"] = {}
    broken["events"][1]["mode"] = "sleeping"
    assert validate_webhook_body(json.dumps(broken)) == [
        "events[0].message.quoteToken: Must be specified",
        "events[1].mode: Must be one of the following values: [active, standby]",
        "events[1].follow.isUnblocked: Must be specified",
    ]
    assert validate_webhook_body(webhook_body([], destination="Udestination")) == [
        "destination: Must match ^U[0-9a-f]{32}$",
        "destination: Length must be between 33 and 33",
    ]
    assert validate_webhook_body("{not json") == ["the body is not JSON"]


def test_a_webhook_type_line_adds_later_only_has_to_be_an_event() -> None:
    """webhook.yml's Event is open to types it does not list (LINE adds features that way); the base
    fields are still required of them."""
    new = {**text_event("U1", "x"), "type": "somethingNew"}
    assert validate_webhook_body(webhook_body([new])) == []
    del new["deliveryContext"]
    assert validate_webhook_body(webhook_body([new])) == ["events[0].deliveryContext: Must be specified"]


async def test_a_test_cannot_post_a_webhook_line_would_never_send(line: LineWorld) -> None:
    event = text_event("U1", "こんにちは")
    del event["webhookEventId"]
    with pytest.raises(AssertionError, match="webhookEventId: Must be specified"):
        await line.post([event])
    assert line.api.requests == []
    # Unless it says so: then the hub's own answer to it is what the test is about (here: refused).
    assert await line.post([event], malformed=True) == 400
    with pytest.raises(AssertionError):
        webhook_headers("secret", "[]")


# --- counting as LINE counts ------------------------------------------------------------------------------
def test_lengths_are_counted_as_line_counts_them() -> None:
    assert utf16_len("あ😀") == 3 and grapheme_len("あ😀") == 2
    assert utf16_len(FAMILY) == 8 and grapheme_len(FAMILY) == 1
    assert grapheme_len("🇯🇵") == 1 and grapheme_len("が") == 1 and grapheme_len("\r\n") == 1
    cut = fit("あ" * 10 + FAMILY * 3, 14)
    assert cut == "あ" * 10 + "…" and utf16_len(cut) == 11  # the family would not fit whole: left out
    assert fit("abc", 3) == "abc" and fit("abcd", 3) == "ab…"


async def test_a_remembered_verdict_is_given_only_to_the_same_request(api: LineStandIn) -> None:
    """Bodies that differ only in their reply token or recipients get one verdict (a storm is cheap to
    check); anything else that differs is checked again."""
    too_long = reply(text("あ" * 4999 + "😀"))
    assert (await send(api, REPLY, too_long))[0] == 400
    assert (await send(api, REPLY, {**too_long, "replyToken": "another"}))[0] == 400
    assert len(api.take_violations()) == 2
    to: list[Any] = [f"U{i}" for i in range(500)]
    batch = {"to": to, "messages": [text()]}
    assert (await send(api, MULTICAST, batch))[0] == 200
    assert (await send(api, MULTICAST, {**batch, "to": [f"V{i}" for i in range(500)]}))[0] == 200
    assert (await send(api, MULTICAST, {**batch, "to": [*to, "U500"]}))[0] == 400
    assert (await send(api, MULTICAST, {**batch, "to": [*to[:-1], 5]}))[0] == 400
    assert [v.problems[0].property for v in api.take_violations()] == ["to", "to[499]"]


# --- OpenAPI 3.0 → JSON Schema ----------------------------------------------------------------------------
SCHEMAS: dict[str, Any] = {
    "Pet": {
        "type": "object",
        "required": ["kind", "id"],
        "properties": {
            "kind": {"type": "string"},
            "id": {"type": "string", "readOnly": True},
            "nickname": {"type": "string", "nullable": True, "maxLength": 4, "default": "pochi"},
            "home": {"type": "string", "format": "uri", "example": "https://example.jp"},
            "born": {"type": "integer", "format": "int32"},
        },
        "discriminator": {"propertyName": "kind", "mapping": {"dog": "#/components/schemas/Dog"}},
    },
    "Dog": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "required": ["bark"],
            "properties": {"bark": {"type": "string", "enum": ["wan", "bow"]}}}]},
}  # fmt: skip


def problems(value: Any, *, request: bool = True) -> list[str]:
    from bot.line.spec_check import component_validator, problems_of

    return sorted(str(p) for p in problems_of(component_validator(SCHEMAS, "Pet", request=request), value))


def test_openapi_keywords_become_json_schema() -> None:
    assert problems({"kind": "dog", "bark": "wan", "nickname": None}) == []  # nullable; id is readOnly
    assert problems({"kind": "dog", "bark": "wan", "id": "1"}) == ["id: The property must not be sent"]
    assert problems({"kind": "dog", "bark": "mew", "nickname": "ポチ🐶🐶"}) == [  # 5 UTF-16 units
        "bark: Must be one of the following values: [wan, bow]",
        "nickname: Length must be between 0 and 4",
    ]
    assert problems({"kind": "dog", "bark": "wan", "home": "https://例え.jp/", "born": 2**31}) == [
        "born: Invalid int32",
        "home: Invalid uri",
    ]
    # The subtype's own required property, and the parent's, through the discriminator.
    assert problems({"kind": "dog"}) == ["bark: Must be specified"]
    assert problems({"kind": "cat"}) == ["kind: Must be one of the following values: [dog]"]
    assert problems({"bark": "wan"}) == ["kind: Must be specified"]
    assert problems({"kind": "dog", "bark": "wan", "tail": 1}) == [
        "tail: The property is invalid (not in LINE's schema here)"
    ]
    # As LINE sends it (a webhook): an unknown kind and unknown properties pass; the base still holds.
    assert problems({"kind": "cat", "id": "1", "whiskers": 12}, request=False) == []
    assert problems({"kind": "cat"}, request=False) == ["id: Must be specified"]
