"""Configuration: every problem is one line naming the key; secrets may come from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, load_settings, settings_from_mapping
from tests.conftest import settings_data

URL = "sqlite+aiosqlite:///x.sqlite3"


def error_of(data: dict[str, Any], env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as err:
        settings_from_mapping(data, env or {})
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_valid_settings_and_lookup() -> None:
    s = settings_from_mapping(settings_data(URL), env={})
    assert [c.key for c in s.communities] == ["ama", "tabayama"]
    assert s.community("ama").discord is not None
    assert set(s.secrets()) >= {"test-discord-token", "ama-line-secret", "taba-line-token"}


def test_secrets_come_from_the_environment() -> None:
    data = settings_data(URL)
    data["discord"] = {"enabled": True}
    data["communities"][0]["line"] = {}
    data["communities"][1].pop("line")
    env = {
        "HUB_DISCORD_TOKEN": "from-env",
        "HUB_LINE_AMA_CHANNEL_SECRET": "s",
        "HUB_LINE_AMA_CHANNEL_ACCESS_TOKEN": "t",
        "HUB_DATABASE_URL": "postgresql+asyncpg://hub:pw@db/hub",
    }
    s = settings_from_mapping(data, env)
    assert s.discord.token.get_secret_value() == "from-env"
    assert s.database.url.startswith("postgresql+asyncpg://")
    assert "pw" in s.secrets()
    assert "from-env" not in repr(s)  # SecretStr never shows itself


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (
            lambda d: d["communities"][0]["discord"].update(guild_id="abc"),
            "config error: communities[0].discord.guild_id: Input should be a valid integer",
        ),
        (
            lambda d: d["communities"][0].pop("privacy_notice_version"),
            "config error: communities[0].privacy_notice_version: missing (required)",
        ),
        (
            lambda d: d["communities"][0].update(langauge="en"),
            "config error: communities[0].langauge: unknown key",
        ),
        (
            lambda d: d["communities"][0].update(timezone="Mars/Base"),
            "config error: communities[0].timezone: expected an IANA time zone",
        ),
        (lambda d: d["communities"][1].update(key="ama"), "communities[].key: 'ama' appears twice"),
        (
            lambda d: d["communities"][1]["discord"].update(
                guild_id=d["communities"][0]["discord"]["guild_id"]
            ),
            "communities[].discord.guild_id",
        ),
        (
            lambda d: d.update(database={"url": "mysql://x"}),
            "config error: database.url: expected a 'sqlite+aiosqlite:///FILE'",
        ),
        (lambda d: d.update(communities=[]), "config error: communities: List should have at least 1 item"),
        (lambda d: d["discord"].update(token=""), "discord.token is empty: set HUB_DISCORD_TOKEN"),
        (
            lambda d: d["communities"][1]["line"].update(channel_secret=""),
            "communities.tabayama.line.channel_secret is empty: set HUB_LINE_TABAYAMA_CHANNEL_SECRET",
        ),
        (lambda d: [c.pop("line") for c in d["communities"]], "line.enabled is true but no community"),
    ],
)
def test_each_problem_names_its_key(patch: Any, expected: str) -> None:
    data = settings_data(URL)
    patch(data)
    assert expected in error_of(data)


def test_a_secret_is_never_echoed_in_an_error() -> None:
    data = settings_data(URL)
    data["discord"]["token"] = ["not", "a", "string", "secret-value"]
    assert "secret-value" not in error_of(data)


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "missing.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[database\nurl=1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(bad, env={})


def test_the_example_config_is_complete_but_needs_secrets() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    with pytest.raises(ConfigError) as err:
        load_settings(example, env={})
    assert str(err.value).startswith("config error: discord.token is empty")
    env = {
        "HUB_DISCORD_TOKEN": "x",
        "HUB_LINE_AMA_CHANNEL_SECRET": "s",
        "HUB_LINE_AMA_CHANNEL_ACCESS_TOKEN": "t",
        "HUB_LINE_TABAYAMA_CHANNEL_SECRET": "s",
        "HUB_LINE_TABAYAMA_CHANNEL_ACCESS_TOKEN": "t",
    }
    s = load_settings(example, env=env)
    assert {c.key for c in s.communities} == {"ama", "tabayama"}


@pytest.mark.parametrize(
    ("contributions", "expected"),
    [
        (
            {"categories": [{"key": "visit", "points": -5}]},
            "contributions.categories[0].points: Input should be greater than or equal to 0, got -5",
        ),
        (
            {"categories": [{"key": "visit", "points": 10**9}]},
            "contributions.categories[0].points: Input should be less than or equal to 1000",
        ),
        ({"categories": [{"key": "fishing", "points": 3}]}, "'fishing' needs name_ja and name_en"),
        (
            {"categories": [{"key": "visit", "points": 1}, {"key": "visit", "points": 2}]},
            "contributions.categories[].key: 'visit' appears twice",
        ),
        (
            {"stages": [{"stage": 2, "min_points": 1, "min_counts": {"sailing": 1}}]},
            "min_counts: unknown category 'sailing'",
        ),
        (
            {"stages": [{"stage": 2, "min_points": 30}, {"stage": 3, "min_points": 10}]},
            "stage 3 needs fewer points than stage 2",
        ),
        (
            {"stages": [{"stage": 5, "min_points": 1}]},
            "stages[0].stage: Input should be less than or equal to 4",
        ),
        ({"thanks": {"daily_limit": -1}}, "thanks.daily_limit: Input should be greater than or equal to 0"),
        ({"ballot_points": 5000}, "ballot_points: Input should be less than or equal to 100"),
    ],
)
def test_bad_contribution_settings_name_the_key(contributions: dict[str, Any], expected: str) -> None:
    data = settings_data(URL)
    data["communities"][0]["contributions"] = contributions
    assert expected in error_of(data)
