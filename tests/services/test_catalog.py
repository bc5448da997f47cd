"""Message catalogs: the same keys and placeholders in every language, and every key the code names exists."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

from bot.i18n import Translator, pick_language
from bot.i18n.catalog import placeholders

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def test_languages_have_the_same_keys_and_placeholders() -> None:
    tr = Translator()
    ja, en = tr.catalogs["ja"], tr.catalogs["en"]
    assert set(ja) == set(en)
    for key in ja:
        assert placeholders(ja[key]) == placeholders(en[key]), key
        assert ja[key].strip() and en[key].strip(), key


def test_every_catalog_key_named_in_the_code_exists() -> None:
    tr = Translator()
    sections = {k.split(".")[0] for k in tr.catalogs["ja"]}
    missing = []
    for folder in ("bot", "cogs"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            # Audit action names ("stage.promoted") are not catalog keys.
            actions = {
                id(k.value) for k in ast.walk(tree) if isinstance(k, ast.keyword) and k.arg == "action"
            }
            for node in ast.walk(tree):
                if id(node) in actions:
                    continue
                # f-string prefixes such as "profile.connection." end in a dot and never match KEY.
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and KEY.match(node.value)
                    and node.value.split(".")[0] in sections
                    and not tr.has(node.value)
                    and not _is_module(node.value)  # logger names such as "discord.client"
                ):
                    missing.append(f"{path.relative_to(ROOT)}: {node.value}")
    assert missing == []


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_language_negotiation() -> None:
    assert pick_language("ja", "ja") == "ja"
    assert pick_language("en-US", "ja") == "en"
    assert pick_language("fr", "ja") == "en"
    assert pick_language(None, "ja") == "ja"
    assert pick_language("", "en") == "en"
