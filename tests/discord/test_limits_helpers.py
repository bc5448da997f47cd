"""The Discord face's budget helpers (cogs/_limits.py), checked over generated text: whatever goes in, what
comes out is within Discord's limits, loses nothing it did not have to, and marks what it shortened."""

from __future__ import annotations

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs._limits import (
    CHANNEL_NAME_MAX,
    ELLIPSIS,
    EmbedParts,
    Field,
    channel_name,
    fair_shares,
    join_lines,
    line_fields,
    shorten,
)

TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("海士町🌊👨‍👩‍👧\n"), max_size=3000)
FIELDS = st.lists(st.builds(Field, TEXT, TEXT, st.booleans()), max_size=60)


def within(embed: discord.Embed) -> bool:
    return (
        len(embed) <= 6000
        and len(embed.title or "") <= 256
        and len(embed.description or "") <= 4096
        and len(embed.fields) <= 25
        and all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
        and len(embed.footer.text or "") <= 2048
    )


@given(TEXT, st.integers(min_value=0, max_value=4000))
def test_shorten_keeps_what_fits_and_marks_what_it_cut(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert len(short) <= limit
    assert short == text if len(text) <= limit else short.endswith(ELLIPSIS) or limit == 0


@given(st.lists(TEXT, max_size=30), st.integers(min_value=0, max_value=20000))
def test_fair_shares_fit_the_budget_and_shorten_the_longest_first(texts: list[str], budget: int) -> None:
    shares = fair_shares(texts, budget)
    assert len(shares) == len(texts)
    if sum(map(len, texts)) <= budget:
        assert shares == texts
        return
    assert sum(map(len, shares)) <= budget
    kept = [t for t, s in zip(texts, shares, strict=True) if s == t]
    cut = [t for t, s in zip(texts, shares, strict=True) if s != t]
    assert not kept or not cut or max(map(len, kept)) <= min(map(len, cut))  # the short ones stay whole


@given(st.lists(TEXT, max_size=40), st.integers(min_value=1, max_value=3000))
def test_join_lines_keeps_whole_lines_and_says_how_many_more(lines: list[str], limit: int) -> None:
    joined = join_lines(lines, limit, more=lambda n: f"… +{n}")
    assert len(joined) <= limit
    if len("\n".join(lines)) <= limit:
        assert joined == "\n".join(lines)


@settings(max_examples=50, deadline=None)
@given(TEXT, st.none() | TEXT, FIELDS, st.none() | TEXT)
def test_pages_hold_every_field_in_order_each_page_within_the_limits(
    title: str, description: str | None, fields: list[Field], footer: str | None
) -> None:
    pages = EmbedParts(title or "t", description, fields, footer).pages()
    assert all(within(p) for p in pages)
    shown = [(f.name, f.value) for p in pages for f in p.fields]
    assert [(shorten(f.name, 256), shorten(f.value, 1024)) for f in fields] == shown
    if len(pages) > 1:
        assert all((p.footer.text or "").endswith(f"{n}/{len(pages)}") for n, p in enumerate(pages, start=1))


@settings(max_examples=50, deadline=None)
@given(TEXT, st.none() | TEXT, FIELDS, st.none() | TEXT)
def test_one_embed_holds_its_fields_within_the_limits(
    title: str, description: str | None, fields: list[Field], footer: str | None
) -> None:
    embed = EmbedParts(title or "t", description, fields, footer).one()
    assert within(embed) and len(embed.fields) == min(25, len(fields))


@settings(max_examples=50, deadline=None)
@given(st.lists(TEXT, max_size=80))
def test_line_fields_keep_every_line_whole_in_fields_of_at_most_1024(lines: list[str]) -> None:
    fields = line_fields("参加", lines)
    assert all(len(f.value) <= 1024 for f in fields)
    assert "\n".join(f.value for f in fields) == "\n".join(shorten(x, 1024) for x in lines)


@given(TEXT)
def test_channel_names_are_the_way_discord_writes_them(display: str) -> None:
    name = channel_name(display, "分科会")
    assert 0 < len(name) <= CHANNEL_NAME_MAX
    assert name == name.lower() and " " not in name and not name.startswith("-") and "--" not in name
