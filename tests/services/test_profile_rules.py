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
from bot.community.text import clean_text, query_text


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


FAMILY = "👨\u200d👩\u200d👧"  # one emoji joined with zero-width joiners
RAINBOW_FLAG = "🏳\ufe0f\u200d🌈"
ENGLAND = (
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # a flag written with tag characters
)


@pytest.mark.parametrize("emoji", [FAMILY, RAINBOW_FLAG, ENGLAND])
def test_emoji_joined_or_tagged_are_letters_to_keep_not_control_characters(emoji: str) -> None:
    assert clean_display_name(f"はなこ{emoji}") == f"はなこ{emoji}"
    assert clean_tags(f"子育て{emoji}、サッカー{emoji}", "interests") == (
        f"子育て{emoji}",
        f"サッカー{emoji}",
    )
    assert clean_text(f"家族で参加 {emoji}", "e", "l", 100) == f"家族で参加 {emoji}"
    assert query_text(f"はなこ{emoji}") == f"はなこ{emoji}"


@pytest.mark.parametrize(
    "hidden",
    [
        "\u202e",
        "\u200b",
        "\u2066",
        "\x00",
        "\x1b",
        "\ufeff",
        "\U000e0001",
    ],  # RLO, ZWSP, LRI, NUL, ESC, BOM, LANG TAG
)
def test_controls_and_invisible_format_characters_are_still_refused(hidden: str) -> None:
    with pytest.raises(DomainError, match="name_control"):
        clean_display_name(f"はな{hidden}こ")
    with pytest.raises(DomainError, match="tag_control"):
        clean_tags(f"食{hidden}", "interests")
    with pytest.raises(DomainError, match="control_characters"):
        clean_text(f"清掃{hidden}活動", "e", "l", 100)
    assert query_text(f"はな{hidden}こ") == "はなこ"
