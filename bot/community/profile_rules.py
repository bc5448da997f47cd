"""What a valid profile field is. Both faces (Discord modal, LINE conversation) go through these."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.community.errors import DomainError
from bot.community.places import JapanWithoutPrefecture, Residence, parse_residence
from bot.community.text import is_control

CONNECTIONS = ("roots", "former_resident", "fan", "work", "considering_move", "other")
LANGUAGES = ("ja", "en")
STAGES = (1, 2, 3, 4)

DISPLAY_NAME_MAX = 32
TAG_MAX = 30
TAGS_MAX = 10
RESIDENCE_TEXT_MAX = 60
TIMEZONE_MAX = 64  # IANA names are far shorter; a longer text is never looked up (nor shown back whole)
_TIMEZONE = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")
_TAG_SEPARATORS = re.compile(r"[,、，/／;；\n・]+")


@dataclass(frozen=True)
class Profile:
    display_name: str
    residence: Residence
    connection: str
    interests: tuple[str, ...]
    skills: tuple[str, ...]


def clean_display_name(raw: str) -> str:
    name = unicodedata.normalize("NFKC", raw).strip()
    if not name:
        raise DomainError("profile.error.name_empty")
    if len(name) > DISPLAY_NAME_MAX:
        raise DomainError("profile.error.name_too_long", max=DISPLAY_NAME_MAX)
    if any(is_control(ch) for ch in name):
        raise DomainError("profile.error.name_control")
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise DomainError("profile.error.name_no_letters")
    if re.search(r"https?://|discord\.gg/|@everyone|@here", name, re.IGNORECASE):
        raise DomainError("profile.error.name_link")
    return name


def clean_residence(raw: str) -> Residence:
    text = raw.strip()
    if not text:
        raise DomainError("profile.error.residence_empty")
    if len(text) > RESIDENCE_TEXT_MAX:
        raise DomainError("profile.error.residence_unknown", text=text[:RESIDENCE_TEXT_MAX] + "…")
    try:
        residence = parse_residence(text)
    except JapanWithoutPrefecture:
        raise DomainError("profile.error.residence_japan") from None
    if residence is None:
        raise DomainError("profile.error.residence_unknown", text=text)
    return residence


def clean_connection(raw: str) -> str:
    value = raw.strip().lower()
    if value not in CONNECTIONS:
        raise DomainError("profile.error.connection_unknown")
    return value


def clean_tags(raw: str, field: str) -> tuple[str, ...]:
    """Interests or skills: a list of short tags separated by commas, 、, /, ・ or new lines."""
    text = unicodedata.normalize("NFKC", raw)
    tags: list[str] = []
    seen: set[str] = set()
    for part in _TAG_SEPARATORS.split(text):
        tag = re.sub(r"\s+", " ", part).strip()
        if not tag:
            continue
        if any(is_control(ch) for ch in tag):
            raise DomainError("profile.error.tag_control", field=field)
        if len(tag) > TAG_MAX:
            raise DomainError("profile.error.tag_too_long", field=field, max=TAG_MAX, tag=tag[:TAG_MAX] + "…")
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise DomainError("profile.error.too_many_tags", field=field, max=TAGS_MAX)
    return tuple(tags)


def clean_language(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    aliases = {"日本語": "ja", "japanese": "ja", "english": "en", "英語": "en"}
    value = aliases.get(value, value)
    if value not in LANGUAGES:
        raise DomainError("profile.error.language_unknown")
    return value


def clean_timezone(raw: str) -> str:
    """An IANA time zone name (「Asia/Tokyo」). Anything else, however long or odd, is refused with the
    same clear message: only a short name of the IANA form is looked up at all."""
    value = raw.strip()
    shown = "".join(c for c in value[:TIMEZONE_MAX] if c.isprintable())
    shown = shown if len(value) <= TIMEZONE_MAX else shown[: TIMEZONE_MAX - 1] + "…"
    if len(value) > TIMEZONE_MAX or not _TIMEZONE.fullmatch(value):
        raise DomainError("profile.error.timezone_unknown", text=shown)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the file system refuses
        raise DomainError("profile.error.timezone_unknown", text=shown) from None
    return value


def validate_profile(
    display_name: str, residence: str, connection: str, interests: str, skills: str
) -> Profile:
    """All five registration answers at once (the Discord modal); the first problem is raised."""
    return Profile(
        display_name=clean_display_name(display_name),
        residence=clean_residence(residence),
        connection=clean_connection(connection),
        interests=clean_tags(interests, "interests"),
        skills=clean_tags(skills, "skills"),
    )
