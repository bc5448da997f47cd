"""Configured text that ends up in a Discord component is refused at start-up when Discord would refuse it."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, settings_from_mapping
from tests.conftest import settings_data

URL = "sqlite+aiosqlite:///hub.sqlite3"


def test_a_privacy_notice_url_too_long_for_a_link_button_stops_start_up_with_one_clear_line() -> None:
    data = settings_data(URL)
    data["communities"][0]["privacy_notice_url"] = "https://example.jp/ama/privacy?" + "x" * 490
    with pytest.raises(ConfigError) as err:
        settings_from_mapping(data, env={})
    assert str(err.value) == (
        "config error: communities[0].privacy_notice_url: at most 512 characters "
        "(Discord's limit for a link button's URL), not 521, got 'https://example.jp/ama/privacy?"
        + "x" * 47
        + "…"
    )


def test_a_privacy_notice_url_of_exactly_512_characters_is_accepted() -> None:
    data = settings_data(URL)
    url = "https://example.jp/ama/privacy?" + "x" * 481
    data["communities"][0]["privacy_notice_url"] = url
    assert len(url) == 512
    assert settings_from_mapping(data, env={}).communities[0].privacy_notice_url == url
