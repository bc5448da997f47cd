"""Profile field rules, including property-based checks over arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.community.errors import DomainError
from bot.community.places import PREFECTURES, parse_residence, residence_label
from bot.community.profile_rules import (
    DISPLAY_NAME_MAX,
    TAG_MAX,
    TAGS_MAX,
    clean_display_name,
    clean_tags,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("島根", "JP-32"),
        ("島根県", "JP-32"),
        ("Shimane", "JP-32"),
        ("ｓｈｉｍａｎｅ", "JP-32"),
        ("shimane prefecture", "JP-32"),
        ("東京", "JP-13"),
        ("Tōkyō", "JP-13"),
        ("京都", "JP-26"),
        ("北海道", "JP-01"),
        ("Hokkaidou", "JP-01"),
        ("大阪府", "JP-27"),
        ("フランス", "FR"),
        ("France", "FR"),
        ("fr", "FR"),
        ("USA", "US"),
        ("アメリカ", "US"),
        ("台湾", "TW"),
        ("韓国", "KR"),
        ("Germany", "DE"),
    ],
)
def test_residence_forms_people_type(text: str, code: str) -> None:
    r = parse_residence(text)
    assert r is not None and r.code == code


def test_every_prefecture_round_trips_in_both_languages() -> None:
    for number, ja, romaji in PREFECTURES:
        for text in (ja, romaji, romaji.lower()):
            r = parse_residence(text)
            assert r is not None and r.code == f"JP-{number:02d}", text
        assert residence_label("prefecture", f"JP-{number:02d}", "ja") == ja
        assert residence_label("prefecture", f"JP-{number:02d}", "en") == romaji


@given(st.text(max_size=80))
def test_display_name_is_clean_or_refused_with_a_known_key(raw: str) -> None:
    try:
        name = clean_display_name(raw)
    except DomainError as err:
        assert err.key.startswith("profile.error.name_")
        return
    assert 0 < len(name) <= DISPLAY_NAME_MAX and name == name.strip()
    assert "\n" not in name


@given(st.text(max_size=400))
def test_tags_are_short_unique_and_few(raw: str) -> None:
    try:
        tags = clean_tags(raw, "skills")
    except DomainError as err:
        assert err.key in {
            "profile.error.tag_control",
            "profile.error.tag_too_long",
            "profile.error.too_many_tags",
        }
        return
    assert len(tags) <= TAGS_MAX
    assert all(0 < len(t) <= TAG_MAX for t in tags)
    assert len({t.casefold() for t in tags}) == len(tags)


def test_tag_separators() -> None:
    assert clean_tags("食、教育，観光/デザイン・写真\nIT; IT", "interests") == (
        "食",
        "教育",
        "観光",
        "デザイン",
        "写真",
        "IT",
    )
