"""Every webhook event LINE sends, as webhook.yml (line/line-openapi) describes it, from any source.

``every_event(source)`` gives one of each event type (message of each content kind, unsend, follow, unfollow,
join, leave, memberJoined, memberLeft, postback with and without ``params``, videoPlayComplete, beacon,
accountLink, membership, module, activated, deactivated, botSuspended, botResumed, delivery) and a type that
does not exist yet; ``source`` is a user, a group or a room (``user_source``, ``group_source``,
``room_source``). The events go through ``LineWorld.post``, which checks them against webhook.yml.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any, Literal

Json = dict[str, Any]
Mode = Literal["active", "standby"]

_serial = itertools.count(1)
_ULID_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32, as ULIDs are written


def line_id(prefix: str, name: str) -> str:
    """A LINE id of the documented form: U (user), C (group) or R (room) and 32 hex digits."""
    return prefix + uuid.uuid5(uuid.NAMESPACE_URL, name).hex


def _event_id() -> str:
    """A webhook event id in ULID form: 26 characters of Crockford's base32."""
    n, digits = next(_serial), ""
    for _ in range(23):
        n, d = divmod(n, 32)
        digits = _ULID_DIGITS[d] + digits
    return "01J" + digits


def user_source(user_id: str) -> Json:
    return {"type": "user", "userId": user_id}


def group_source(group_id: str, user_id: str | None = None) -> Json:
    source: Json = {"type": "group", "groupId": group_id}
    if user_id is not None:
        source["userId"] = user_id
    return source


def room_source(room_id: str, user_id: str | None = None) -> Json:
    source: Json = {"type": "room", "roomId": room_id}
    if user_id is not None:
        source["userId"] = user_id
    return source


def base(kind: str, source: Json | None, mode: Mode = "active", *, event_id: str | None = None) -> Json:
    event: Json = {
        "type": kind,
        "mode": mode,
        "timestamp": 1_790_000_000_000 + next(_serial),
        "webhookEventId": event_id or _event_id(),
        "deliveryContext": {"isRedelivery": False},
    }
    if source is not None:
        event["source"] = source
    return event


def _reply(event: Json) -> Json:
    """The event with a reply token (webhook.yml requires one on these events in either mode; in standby the
    account must not use it)."""
    event["replyToken"] = f"rt-{uuid.uuid4().hex}"
    return event


def _content(kind: str, **fields: Any) -> Json:
    return {"type": kind, "id": str(next(_serial) + 600_000_000_000_000), **fields}


def text_message(source: Json, text: str, mode: Mode = "active", **extra: Any) -> Json:
    return _reply(
        {**base("message", source, mode), "message": _content("text", text=text, quoteToken="qt", **extra)}
    )


def postback(source: Json, data: str, mode: Mode = "active", params: dict[str, str] | None = None) -> Json:
    content: Json = {"data": data}
    if params is not None:
        content["params"] = params
    return _reply({**base("postback", source, mode), "postback": content})


def join(source: Json, mode: Mode = "active", *, event_id: str | None = None) -> Json:
    return _reply(base("join", source, mode, event_id=event_id))


def _messages(source: Json, mode: Mode) -> dict[str, Json]:
    line_provider = {"type": "line"}

    def message(content: Json) -> Json:
        return _reply({**base("message", source, mode), "message": content})

    return {
        "message/text": text_message(source, "こんにちは", mode),
        "message/text with emojis": text_message(
            source,
            "$ よろしく $",
            mode,
            emojis=[
                {"index": 0, "length": 1, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"},
                {"index": 7, "length": 1, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "002"},
            ],
        ),
        "message/text with a mention": text_message(
            source,
            "@海士町 @All プロフィール",
            mode,
            mention={
                "mentionees": [
                    {"type": "user", "index": 0, "length": 4, "userId": line_id("U", "bot"), "isSelf": True},
                    {"type": "all", "index": 5, "length": 4},
                ]
            },
        ),
        "message/text quoting": text_message(
            source, "プロフィール", mode, quotedMessageId="468789577898262530"
        ),
        "message/image": message(
            _content(
                "image",
                contentProvider=line_provider,
                quoteToken="qt",
                imageSet={
                    "id": "E005D41A7288F41B65593ED38FF6E9834B046AB36A37921A56BC236F13A91855",
                    "index": 1,
                    "total": 2,
                },
            )
        ),
        "message/video": message(
            _content(
                "video",
                duration=60_000,
                contentProvider={
                    "type": "external",
                    "originalContentUrl": "https://example.jp/video.mp4",
                    "previewImageUrl": "https://example.jp/preview.jpg",
                },
                quoteToken="qt",
            )
        ),
        "message/audio": message(_content("audio", duration=6_000, contentProvider=line_provider)),
        "message/file": message(_content("file", fileName="案内.pdf", fileSize=2138)),
        "message/location": message(
            _content(
                "location",
                title="海士町役場",
                address="島根県隠岐郡海士町大字海士1490",
                latitude=36.0968,
                longitude=133.0965,
            )
        ),
        "message/sticker": message(
            _content(
                "sticker",
                packageId="446",
                stickerId="1988",
                stickerResourceType="ANIMATION",
                keywords=["happy", "smile"],
                quoteToken="qt",
            )
        ),
        "message/message sticker": message(
            _content(
                "sticker",
                packageId="789",
                stickerId="10855",
                stickerResourceType="PER_STICKER_TEXT",
                text="登録",
                quoteToken="qt",
            )
        ),
    }


def every_event(source: Json, mode: Mode = "active") -> dict[str, Json]:
    """One event of each kind LINE sends, named; the same ``source`` on each that carries one (as LINE does:
    the chat-state events of a module channel carry a source too)."""
    bot_user = line_id("U", "bot")
    other = user_source(line_id("U", "someone-else"))
    events = {
        **_messages(source, mode),
        "unsend": {**base("unsend", source, mode), "unsend": {"messageId": "325708"}},
        "follow": _reply({**base("follow", source, mode), "follow": {"isUnblocked": False}}),
        "follow (unblocked)": _reply({**base("follow", source, mode), "follow": {"isUnblocked": True}}),
        "unfollow": base("unfollow", source, mode),
        "join": join(source, mode),
        "leave": base("leave", source, mode),
        "memberJoined": _reply({**base("memberJoined", source, mode), "joined": {"members": [other]}}),
        "memberLeft": {**base("memberLeft", source, mode), "left": {"members": [other]}},
        "postback (date picker)": postback(source, "action=pick&what=date", mode, {"date": "2026-12-24"}),
        "postback (time picker)": postback(source, "action=pick&what=time", mode, {"time": "19:00"}),
        "postback (datetime picker)": postback(
            source, "action=pick&what=datetime", mode, {"datetime": "2026-12-24T19:00"}
        ),
        "postback (rich menu switch)": postback(
            source,
            "richmenu-changed-to-b",
            mode,
            {"newRichMenuAliasId": "richmenu-alias-b", "status": "SUCCESS"},
        ),
        "videoPlayComplete": _reply(
            {**base("videoPlayComplete", source, mode), "videoPlayComplete": {"trackingId": "track-1"}}
        ),
        "beacon": _reply({**base("beacon", source, mode), "beacon": {"hwid": "d41d8cd98f", "type": "enter"}}),
        "accountLink": _reply(
            {**base("accountLink", source, mode), "link": {"result": "ok", "nonce": "xxxxxxxxxxxxxxx"}}
        ),
        "membership": _reply(
            {**base("membership", source, mode), "membership": {"type": "joined", "membershipId": 3189}}
        ),
        "module (attached)": {
            **base("module", source, mode),
            "module": {"type": "attached", "botId": bot_user, "scopes": ["message:send"]},
        },
        "module (detached)": {
            **base("module", source, mode),
            "module": {"type": "detached", "botId": bot_user, "reason": "bot_deleted"},
        },
        "activated": {**base("activated", source, mode), "chatControl": {"expireAt": 1_790_000_600_000}},
        "deactivated": base("deactivated", source, mode),
        "botSuspended": base("botSuspended", None, mode),
        "botResumed": base("botResumed", None, mode),
        "delivery": {**base("delivery", None, mode), "delivery": {"data": "pnp-delivery-0001"}},
        "a type that does not exist yet": {**base("somethingNew", source, mode), "somethingNew": {"x": 1}},
    }
    return events
