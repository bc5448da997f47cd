"""Where a LINE event comes from, and what the account may do about it: the one rule for every event.

The hub talks to a person one-to-one. LINE also sends events from group chats and multi-person rooms the
official account was invited to (with the sender's ``userId`` on their messages), from chats where a module
channel holds control (``mode: "standby"``: the account must stay silent), and events about the account itself
(suspended, resumed, a module attached). The rule:

- **A group or a room**: the account greets once when it is invited (``join``: a short note that it works
  one-to-one, and how to add it as a friend) and does nothing else there — it reads no command and no button,
  starts no conversation, and never shows anyone's data, whoever writes. ``leave``, ``memberJoined`` and
  ``memberLeft`` are accepted quietly.
- **Standby**: nothing is said. Only whether the person still follows the account is kept up to date
  (``follow``/``unfollow`` change no conversation and send nothing).
- **One-to-one**: follow, unfollow, text, postback buttons (not a rich menu's tab switch, which LINE handles
  itself) and other messages (a sticker, a photo: the help, once per set of photos sent together) are handled;
  every other event (unsend, video played, beacon, account link, membership, module and chat-control events,
  PNP delivery, types LINE adds later) is accepted quietly.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    ImageMessageContent,
    JoinEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

Chat = Literal["user", "group", "room", "none"]
Handling = Literal[
    "ignore",  # accepted quietly: no reply, no push, nothing stored
    "greet_group",  # the account was invited to a group or room: the one greeting there
    "follow",  # one-to-one: added as a friend (or unblocked)
    "follow_quietly",  # standby: the person follows again; nothing said, no conversation started
    "unfollow",  # blocked (any mode): the person is no longer reachable on LINE
    "text",  # one-to-one text
    "postback",  # one-to-one button
    "other_message",  # one-to-one sticker, photo, file…: the help
]


def chat_of(event: Event) -> Chat:
    """The kind of chat an event comes from, read from ``source.type`` (not from whether a ``userId`` is
    there: LINE sends the sender's ``userId`` on group and room messages too)."""
    source = getattr(event, "source", None)
    kind = source.get("type") if isinstance(source, dict) else getattr(source, "type", None)
    return kind if kind in ("user", "group", "room") else "none"


def is_standby(event: Event) -> bool:
    mode = getattr(event, "mode", None)
    return str(getattr(mode, "value", mode)) == "standby"


def handling_of(event: Event) -> Handling:
    """What the account does with ``event``: the rule above, in one place."""
    chat = chat_of(event)
    if chat in ("group", "room"):
        return "greet_group" if isinstance(event, JoinEvent) and not is_standby(event) else "ignore"
    if chat != "user" or not getattr(event.source, "user_id", None):
        return "ignore"
    if isinstance(event, UnfollowEvent):
        return "unfollow"
    if is_standby(event):
        return "follow_quietly" if isinstance(event, FollowEvent) else "ignore"
    if isinstance(event, FollowEvent):
        return "follow"
    if isinstance(event, PostbackEvent):
        params = event.postback.params or {}
        return "ignore" if "newRichMenuAliasId" in params else "postback"
    if isinstance(event, MessageEvent):
        if isinstance(event.message, TextMessageContent):
            return "text"
        return "other_message" if _first_of_its_set(event) else "ignore"
    return "ignore"


def _first_of_its_set(event: MessageEvent) -> bool:
    """Photos sent together arrive as one event each (``imageSet``): the help answers the first only."""
    message = event.message
    if isinstance(message, ImageMessageContent) and message.image_set is not None:
        return (message.image_set.index or 1) == 1
    return True


def add_friend_url(basic_id: str) -> str:
    """LINE's link that opens the account's "add friend" screen: the LINE ID, its @ percent-encoded
    (developers.line.biz, "Use LINE features with the LINE URL scheme")."""
    return "https://line.me/R/ti/p/" + quote(basic_id, safe="")
