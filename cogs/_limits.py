"""Discord's limits, in one place for the Discord face, and the budget helpers that keep every reply within
them.

Renderers build what they send with these helpers rather than a clip at each call site: text is shortened
with "…" (never cut silently, never refused), a message is budgeted as a whole (2,000 characters) and so is an
embed (6,000 characters over its title, description, fields and footer, not only each field), and a list
that can grow is split into pages that each fit. Lengths are counted in code points, as Discord counts them.

The test tier checks every request against Discord's own numbers, kept apart from these on purpose
(bot/discord_check): a wrong number here is caught there, not agreed with.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import discord

from bot.config import DISCORD_CHANNEL_LIMIT, DISCORD_LINK_URL_MAX, DISCORD_ROLE_LIMIT

ELLIPSIS = "…"

MESSAGE_MAX = 2000  # content of a message, a reply or a follow-up
EMBED_TOTAL_MAX = 6000  # title + description + field names and values + footer + author, all embeds together
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_TEXT_MAX = 100  # a select option's label, value and description
PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 45
INPUT_LABEL_MAX = 45
CHOICES_MAX = 25  # autocomplete results
CHOICE_NAME_MAX = 100
CHANNEL_NAME_MAX = 100
ROLE_NAME_MAX = 100
THREAD_NAME_MAX = 100
TOPIC_MAX = 1024  # a text channel's topic
SCHEDULED_NAME_MAX = 100
SCHEDULED_LOCATION_MAX = 100
SCHEDULED_DESCRIPTION_MAX = 1000
LINK_URL_MAX = DISCORD_LINK_URL_MAX  # a link button's URL (checked in the config, where such URLs come from)
CHANNELS_MAX = DISCORD_CHANNEL_LIMIT
ROLES_MAX = DISCORD_ROLE_LIMIT
PAGE_MARK_ROOM = 12  # " · 999/999" after a paged embed's footer
_NOT_IN_NAMES = re.compile(r"[^\w-]+")  # a text channel name keeps letters, digits, "_" and "-"


def shorten(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters: as it is, or cut with "…" at the end."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + ELLIPSIS if limit > 0 else ""


def channel_name(display: str, fallback: str) -> str:
    """A text channel name the way Discord writes them: lowercase, words joined by hyphens, letters of any
    script and digits kept (「Food And Farming Club」→ food-and-farming-club, 「食と農 Club」→ 食と農-club),
    other signs dropped, at most 100 characters; ``fallback`` when nothing is left."""
    words = _NOT_IN_NAMES.sub(" ", unicodedata.normalize("NFKC", display).lower()).split()
    name = "-".join(words)[:CHANNEL_NAME_MAX].strip("-")
    return re.sub("-{2,}", "-", name) or fallback


def fair_shares(texts: Sequence[str], budget: int) -> list[str]:
    """The texts shortened so that together they take at most ``budget`` characters, the longest first:
    every text gets the same allowance and short ones keep the part of it they do not need."""
    if sum(len(t) for t in texts) <= budget:
        return list(texts)
    low, high = 0, max(len(t) for t in texts)
    while low < high:  # the largest allowance under which everything fits
        mid = (low + high + 1) // 2
        if sum(min(len(t), mid) for t in texts) <= budget:
            low = mid
        else:
            high = mid - 1
    return [shorten(t, low) for t in texts]


def join_lines(
    lines: Sequence[str], limit: int = MESSAGE_MAX, more: Callable[[int], str] | None = None
) -> str:
    """Lines joined by new lines within ``limit``: all of them if they fit; else as many whole lines as fit
    with ``more(left)`` after them (e.g. "… and 3 more"); without ``more``, shortened with "…"."""
    text = "\n".join(lines)
    if len(text) <= limit or more is None:
        return shorten(text, limit)
    for kept in range(len(lines) - 1, -1, -1):
        candidate = "\n".join([*lines[:kept], more(len(lines) - kept)])
        if len(candidate) <= limit:
            return candidate
    return shorten(text, limit)


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False

    def size(self) -> int:
        return len(self.name) + len(self.value)


def _within(field: Field) -> Field:
    return Field(shorten(field.name, FIELD_NAME_MAX), shorten(field.value, FIELD_VALUE_MAX), field.inline)


def line_fields(name: str, lines: Sequence[str], inline: bool = False) -> list[Field]:
    """One field per 1,024 characters of whole lines (a long list under one heading); the heading is
    repeated with 「(2)」「(3)」 on the fields that continue it."""
    fields: list[Field] = []
    chunk: list[str] = []
    for line in (shorten(x, FIELD_VALUE_MAX) for x in lines):
        if chunk and len("\n".join([*chunk, line])) > FIELD_VALUE_MAX:
            fields.append(
                Field(name if not fields else f"{name} ({len(fields) + 1})", "\n".join(chunk), inline)
            )
            chunk = []
        chunk.append(line)
    if chunk or not fields:
        fields.append(Field(name if not fields else f"{name} ({len(fields) + 1})", "\n".join(chunk), inline))
    return fields


@dataclass(frozen=True)
class EmbedParts:
    """What an embed says, before it is fitted to Discord's limits."""

    title: str
    description: str | None = None
    fields: Sequence[Field] = ()
    footer: str | None = None
    colour: discord.Colour | None = None

    def _fixed(self, room: int) -> tuple[str, str | None, str | None]:
        """Title, description and footer within their limits, leaving ``room`` for the fields."""
        title = shorten(self.title, EMBED_TITLE_MAX)
        footer = shorten(self.footer, FOOTER_MAX - PAGE_MARK_ROOM) if self.footer else None
        description = shorten(self.description, EMBED_DESCRIPTION_MAX) if self.description else None
        used = len(title) + len(footer or "") + PAGE_MARK_ROOM
        if description and used + len(description) + room > EMBED_TOTAL_MAX:
            description = shorten(description, max(0, EMBED_TOTAL_MAX - used - room))
        return title, description or None, footer

    def _embed(
        self, title: str, description: str | None, fields: Sequence[Field], footer: str | None
    ) -> discord.Embed:
        embed = discord.Embed(title=title, description=description, colour=self.colour)
        for f in fields:
            embed.add_field(name=f.name, value=f.value, inline=f.inline)
        if footer:
            embed.set_footer(text=footer)
        return embed

    def pages(self) -> list[discord.Embed]:
        """As many embeds as the fields need, each within 25 fields and 6,000 characters; the title and
        description are on every page and the footer says which page it is (「2/3」)."""
        fields = [_within(f) for f in self.fields]
        largest = max((f.size() for f in fields), default=0)
        title, description, footer = self._fixed(largest)
        budget = EMBED_TOTAL_MAX - len(title) - len(description or "") - len(footer or "") - PAGE_MARK_ROOM
        chunks: list[list[Field]] = [[]]
        used = 0
        for f in fields:
            if chunks[-1] and (len(chunks[-1]) == EMBED_FIELDS_MAX or used + f.size() > budget):
                chunks.append([])
                used = 0
            chunks[-1].append(f)
            used += f.size()
        if len(chunks) == 1:
            return [self._embed(title, description, chunks[0], footer)]
        count = len(chunks)
        return [
            self._embed(title, description, chunk, f"{footer} · {n}/{count}" if footer else f"{n}/{count}")
            for n, chunk in enumerate(chunks, start=1)
        ]

    def line_pages(self, lines: Sequence[str]) -> list[discord.Embed]:
        """``lines`` as the description, in as many pages as they need (whole lines on each; the parts'
        own description, if any, heads every page)."""
        title, head, footer = self._fixed(0)
        room = EMBED_TOTAL_MAX - len(title) - len(footer or "") - PAGE_MARK_ROOM
        room = min(EMBED_DESCRIPTION_MAX, room) - (len(head) + 2 if head else 0)
        chunks: list[list[str]] = [[]]
        for line in (shorten(x, room) for x in lines):
            if chunks[-1] and len("\n".join([*chunks[-1], line])) > room:
                chunks.append([])
            chunks[-1].append(line)
        texts = ["\n".join(x for x in ([head, ""] if head else []) + chunk) for chunk in chunks]
        if len(texts) == 1:
            return [self._embed(title, texts[0] or None, (), footer)]
        count = len(texts)
        return [
            self._embed(title, text, (), f"{footer} · {n}/{count}" if footer else f"{n}/{count}")
            for n, text in enumerate(texts, start=1)
        ]

    def one(self) -> discord.Embed:
        """One embed holding every field (at most 25): when they do not fit together, the field values
        share what is left fairly, the longest shortened first."""
        fields = [_within(f) for f in self.fields[:EMBED_FIELDS_MAX]]
        names = fair_shares([f.name for f in fields], EMBED_TOTAL_MAX // 4)
        title, description, footer = self._fixed(sum(len(n) for n in names) + len(fields))
        budget = (
            EMBED_TOTAL_MAX - len(title) - len(description or "") - len(footer or "") - sum(map(len, names))
        )
        values = fair_shares([f.value for f in fields], max(len(fields), budget))
        fitted = [Field(n, v or "—", f.inline) for n, v, f in zip(names, values, fields, strict=True)]
        return self._embed(title, description, fitted, footer)
