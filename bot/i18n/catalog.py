"""Loads ``catalog/<lang>.toml`` into flat dotted keys and formats messages."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from bot.community.errors import DomainError
from bot.i18n.times import JAPAN, When, format_when

SUPPORTED_LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, str):
            out[key] = v
        else:
            raise TypeError(f"catalog entry {key} must be text, not {type(v).__name__}")
    return out


def load_catalog(language: str) -> dict[str, str]:
    """Every ``catalog/<language>/<area>.toml`` merged; a key defined twice is an error."""
    merged: dict[str, str] = {}
    folder = resources.files("bot.i18n").joinpath("catalog", language)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        for key, value in _flatten(tomllib.loads(entry.read_text(encoding="utf-8"))).items():
            if key in merged:
                raise ValueError(f"catalog {language}: {key} is defined twice ({entry.name})")
            merged[key] = value
    return merged


def placeholders(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


@dataclass(frozen=True)
class Msg:
    """A parameter translated in the reader's language: ``t(lang, key, stage=Msg("profile.stage.3"))``."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


class Translator:
    """``t(lang, key, **params)``: the message in ``lang``, or Japanese if the language is unknown."""

    def __init__(self) -> None:
        self.catalogs = {lang: load_catalog(lang) for lang in SUPPORTED_LANGUAGES}

    def error(self, lang: str | None, err: DomainError) -> str:
        """A domain error as a sentence; a ``field`` parameter is shown by its localised name."""
        params = dict(err.params)
        if isinstance(params.get("field"), str):
            params["field"] = self.t(lang, f"profile.field.{params['field']}")
        return self.t(lang, err.key, **params)

    def has(self, key: str) -> bool:
        return key in self.catalogs[DEFAULT_LANGUAGE]

    def t(self, lang: str | None, key: str, /, *, tz: str | None = None, **params: Any) -> str:
        """``Msg`` parameters are translated too; ``When`` parameters are shown in ``tz`` (default Japan)."""
        catalog = self.catalogs.get(lang or DEFAULT_LANGUAGE, self.catalogs[DEFAULT_LANGUAGE])
        template = catalog[key]
        resolved = {k: self._param(lang, tz, v) for k, v in params.items()}
        return template.format(**resolved) if resolved or "{" in template else template

    def _param(self, lang: str | None, tz: str | None, value: Any) -> Any:
        if isinstance(value, Msg):
            return self.t(lang, value.key, tz=tz, **value.params)
        if isinstance(value, list) and value and all(isinstance(v, Msg) for v in value):
            return "\n".join(self._param(lang, tz, v) for v in value)  # several lines, each translated
        if isinstance(value, When):
            return format_when(lambda key, **p: self.t(lang, key, **p), value, tz or JAPAN)
        return value


def pick_language(platform_locale: str | None, default: str) -> str:
    """Japanese for a Japanese client, English for any other known locale, else the community default.

    Discord gives locales such as 'ja', 'en-US', 'fr'; LINE gives a BCP 47 tag such as 'ja' or 'en'.
    An international member whose client is in neither language reads English more easily than Japanese.
    """
    if not platform_locale:
        return default
    primary = platform_locale.split("-")[0].split("_")[0].lower()
    if primary == "ja":
        return "ja"
    return "en"
