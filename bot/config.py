"""Typed settings, read from a TOML file with secrets optionally taken from the environment.

Every problem becomes one ``ConfigError`` line that names the key and what is expected.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url

DEFAULT_CONFIG_PATH = "config.toml"
ENV_CONFIG_PATH = "HUB_CONFIG"
ENV_DATABASE_URL = "HUB_DATABASE_URL"
ENV_DISCORD_TOKEN = "HUB_DISCORD_TOKEN"


def line_secret_env(community_key: str) -> str:
    return f"HUB_LINE_{_env_key(community_key)}_CHANNEL_SECRET"


def line_token_env(community_key: str) -> str:
    return f"HUB_LINE_{_env_key(community_key)}_CHANNEL_ACCESS_TOKEN"


def _env_key(community_key: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", community_key.upper())


class ConfigError(Exception):
    """A configuration problem, as one line for a person to read."""


def _unique(values: list[Any], name: str) -> None:
    seen: set[Any] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{name}: {v!r} appears twice; each must be unique")
        seen.add(v)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///hub.sqlite3"

    @field_validator("url")
    @classmethod
    def _known_driver(cls, v: str) -> str:
        if not v.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("expected a 'sqlite+aiosqlite:///FILE' or 'postgresql+asyncpg://…' URL")
        return v


class DiscordSettings(_Section):
    enabled: bool = True
    token: SecretStr = SecretStr("")
    # Register slash commands in each configured server at start (instant), rather than globally.
    sync_commands: bool = True


class LineSettings(_Section):
    enabled: bool = True
    host: str = "0.0.0.0"
    port: int = Field(8080, ge=0, le=65535)  # 0: any free port (tests, the demo)
    # Where the Messaging API lives; tests and the demo point it at a loopback stand-in.
    api_base: str = "https://api.line.me"
    request_timeout_seconds: float = Field(10.0, gt=0, le=120)
    # Where members' phones reach this server (behind HTTPS), e.g. "https://hub.example.jp". With it, event
    # cards on LINE carry a calendar (.ics) link served by this server; without it they have none.
    public_url: str | None = None

    @field_validator("api_base", "public_url")
    @classmethod
    def _no_trailing_slash(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL")
        return v.rstrip("/")


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"


class RegistrationSettings(_Section):
    link_code_minutes: int = Field(10, ge=1, le=60)


class CommunityDiscordSettings(_Section):
    guild_id: int = Field(gt=0)
    ambassador_role_id: int | None = Field(None, gt=0)
    staff_role_id: int | None = Field(None, gt=0)
    announcement_channel_id: int | None = Field(None, gt=0)
    # Where the hub tells staff things (the LINE budget running out, a broadcast's report); optional.
    staff_channel_id: int | None = Field(None, gt=0)


class CommunityLineSettings(_Section):
    channel_secret: SecretStr = SecretStr("")
    channel_access_token: SecretStr = SecretStr("")
    # Pushes this account may send a month (the free plan allows 200); leave out for an account without a cap.
    monthly_push_budget: int | None = Field(200, ge=0, le=10_000_000)
    # The account's LINE ID ("@123abcde" or a premium ID), shown in LINE Official Account Manager's header:
    # the note the account leaves when invited to a group links to adding it as a friend. Optional.
    basic_id: str | None = None

    @field_validator("basic_id")
    @classmethod
    def _line_id(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().lower()
        v = v if v.startswith("@") else "@" + v
        if not re.fullmatch(r"@[0-9a-z._-]{1,32}", v):
            raise ValueError("expected the account's LINE ID, e.g. '@123abcde' (letters, digits, . _ -)")
        return v


DEFAULT_CATEGORY_POINTS = {
    "knowledge": 10,
    "visit": 5,
    "furusato_tax": 5,
    "local_activity": 5,
    "relocation_trial": 10,
    "promotion": 2,
}
MAX_POINTS = 1000  # one entry; more is a typo, not a contribution


class CategorySettings(_Section):
    """A way to contribute. The six of DOMAIN.md have names in the catalogs; new ones give their own."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    points: int = Field(ge=0, le=MAX_POINTS)
    needs_approval: bool = True
    name_ja: str | None = Field(None, min_length=1, max_length=40)
    name_en: str | None = Field(None, min_length=1, max_length=40)


class StageRule(_Section):
    """What it takes to reach a stage (2 to 4; everyone starts at 1), and what it gives."""

    stage: int = Field(ge=2, le=4)
    min_points: int = Field(ge=0, le=1_000_000)
    # Approved entries needed per category, e.g. {local_activity = 1} for "took part in one event".
    min_counts: dict[str, int] = Field(default_factory=dict)
    role_id: int | None = Field(None, gt=0)  # Discord role kept in sync with this stage
    perks: list[str] = Field(default_factory=list, max_length=10)


class ThanksSettings(_Section):
    emoji: str = Field("🙏", min_length=1, max_length=40)
    points: int = Field(1, ge=0, le=100)
    daily_limit: int = Field(5, ge=0, le=100)  # thanks one member may give per day
    pair_cap: int = Field(10, ge=0, le=10_000)  # points one member may give one other per period
    pair_period_days: int = Field(30, ge=1, le=365)


def _default_categories() -> list[CategorySettings]:
    return [CategorySettings(key=k, points=p) for k, p in DEFAULT_CATEGORY_POINTS.items()]


def _default_stages() -> list[StageRule]:
    return [
        StageRule(stage=2, min_points=1),
        StageRule(stage=3, min_points=20),
        StageRule(stage=4, min_points=50, min_counts={"local_activity": 1}),
    ]


class ContributionSettings(_Section):
    categories: list[CategorySettings] = Field(default_factory=_default_categories, min_length=1)
    stages: list[StageRule] = Field(default_factory=_default_stages)
    thanks: ThanksSettings = Field(default_factory=ThanksSettings)
    ballot_points: int = Field(1, ge=0, le=100)  # automatic entry for casting a ballot
    announce_channel_id: int | None = Field(None, gt=0)  # where approvals are announced (Discord)

    @model_validator(mode="after")
    def _consistent(self) -> ContributionSettings:
        keys = [c.key for c in self.categories]
        _unique(keys, "contributions.categories[].key")
        _unique([r.stage for r in self.stages], "contributions.stages[].stage")
        for c in self.categories:
            if c.key not in DEFAULT_CATEGORY_POINTS and not (c.name_ja and c.name_en):
                raise ValueError(f"contributions.categories: {c.key!r} needs name_ja and name_en")
        for rule in self.stages:
            for key, count in rule.min_counts.items():
                if key not in keys:
                    raise ValueError(
                        f"contributions.stages[{rule.stage}].min_counts: unknown category {key!r}"
                    )
                if not 0 < count <= 1000:
                    raise ValueError(
                        f"contributions.stages[{rule.stage}].min_counts.{key}: expected 1 to 1000"
                    )
        ordered = sorted(self.stages, key=lambda r: r.stage)
        for lower, higher in itertools.pairwise(ordered):
            if higher.min_points < lower.min_points:
                raise ValueError(
                    f"contributions.stages: stage {higher.stage} needs fewer points than stage {lower.stage}"
                )
        return self

    def category(self, key: str) -> CategorySettings | None:
        return next((c for c in self.categories if c.key == key), None)


class EventSettings(_Section):
    """Events (イベント): reminders, check-in and the Discord scheduled event."""

    # Reminders before the start, in minutes (default: 24 hours and 1 hour before).
    reminder_offsets_minutes: list[int] = Field(default_factory=lambda: [1440, 60], max_length=5)
    # After downtime, a reminder at most this late is still sent; an older one is skipped (and logged).
    reminder_grace_minutes: int = Field(30, ge=1, le=1440)
    # Also create a matching Discord scheduled event (the bot needs the Manage Events permission).
    discord_scheduled_events: bool = False
    # The contribution an event check-in records. Unset: local_activity if the community has that category
    # (the default six do), else attendance is recorded without a contribution.
    checkin_category: str | None = None
    # Check-in codes are accepted from this long before the start until this long after the end.
    checkin_opens_minutes_before: int = Field(120, ge=0, le=1440)
    checkin_closes_minutes_after: int = Field(360, ge=0, le=10080)
    # When staff give no end time.
    default_duration_minutes: int = Field(120, ge=15, le=10080)

    @field_validator("reminder_offsets_minutes")
    @classmethod
    def _offsets(cls, v: list[int]) -> list[int]:
        for minutes in v:
            if not 5 <= minutes <= 43_200:
                raise ValueError("each offset is 5 to 43200 minutes (30 days)")
        _unique(v, "events.reminder_offsets_minutes")
        return sorted(v, reverse=True)


class VoteSettings(_Section):
    """Votes (投票): the weight curve of contribution-weighted votes, and reminders before closing.

    A member's weight is ``min(cap, base + scale × f(points))`` with ``f`` the curve: "sqrt" (default: a few
    heavy contributors cannot decide alone), "log" (flatter still) or "linear"."""

    weight_curve: Literal["sqrt", "log", "linear"] = "sqrt"
    weight_base: float = Field(1.0, ge=0, le=100)
    weight_scale: float = Field(0.2, ge=0, le=100)
    weight_cap: float = Field(5.0, gt=0, le=1000)
    # Eligible members who have not voted are reminded once, this many hours before the close (0: never).
    reminder_hours_before_close: int = Field(24, ge=0, le=720)
    max_duration_days: int = Field(60, ge=1, le=365)

    @model_validator(mode="after")
    def _cap(self) -> VoteSettings:
        if self.weight_cap < self.weight_base:
            raise ValueError("votes.weight_cap must be at least votes.weight_base")
        return self


DISCORD_CHANNEL_LIMIT = 500
DISCORD_ROLE_LIMIT = 250
DISCORD_LINK_URL_MAX = 512  # a link button's URL (the privacy notice on /register)


class SubcommitteeSettings(_Section):
    """Subcommittees (分科会): where their private channels go, and how close to Discord's limits to stop."""

    # The Discord category the private channels are created under (optional; top level without it).
    discord_category_id: int | None = Field(None, gt=0)
    # Refuse a new subcommittee when the server has this few channel or role slots left (of 500 / 250).
    channel_margin: int = Field(20, ge=0, le=400)
    role_margin: int = Field(10, ge=0, le=200)
    max_per_community: int = Field(100, ge=1, le=200)
    # A bundled LINE digest of each subcommittee's Discord channel for its LINE members (within the budget).
    line_digest: bool = False
    digest_every_hours: int = Field(168, ge=24, le=24 * 31)


class ProjectSettings(_Section):
    """Projects (プロジェクト, 関わりしろ): calls for help matched to skills."""

    # At most this many members are told of a new project (the best matches first).
    max_matches: int = Field(20, ge=1, le=500)
    # The Discord text channel where each project gets a private thread for the accepted members (optional).
    discord_channel_id: int | None = Field(None, gt=0)
    # The contribution each accepted member gets when the project closes. Unset: knowledge if the community
    # has that category (the default six do), else none.
    completion_category: str | None = None


class DigestSettings(_Section):
    """The weekly digest to each member: events they may like, votes they can still cast, new projects."""

    enabled: bool = True
    weekday: int = Field(0, ge=0, le=6)  # 0 = Monday, in the community's time zone
    hour: int = Field(9, ge=0, le=23)


class CommunitySettings(_Section):
    key: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$")
    name: str = Field(min_length=1, max_length=200)
    default_language: Literal["ja", "en"] = "ja"
    timezone: str = "Asia/Tokyo"
    privacy_notice_version: str = Field(min_length=1, max_length=40)
    privacy_notice_url: str = Field(pattern=r"^https?://")
    discord: CommunityDiscordSettings | None = None
    line: CommunityLineSettings | None = None
    contributions: ContributionSettings = Field(default_factory=ContributionSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    votes: VoteSettings = Field(default_factory=VoteSettings)
    subcommittees: SubcommitteeSettings = Field(default_factory=SubcommitteeSettings)
    projects: ProjectSettings = Field(default_factory=ProjectSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    # The programme's goal for the number of ambassadors (Ama-cho: 2,500), shown on /stats.
    goal_members: int | None = Field(None, ge=1, le=10_000_000)

    @property
    def checkin_category(self) -> str | None:
        """The category an event check-in records, or None (attendance only)."""
        key = self.events.checkin_category or "local_activity"
        return key if self.contributions.category(key) is not None else None

    @property
    def project_category(self) -> str | None:
        """The category a finished project records for its members, or None."""
        key = self.projects.completion_category or "knowledge"
        return key if self.contributions.category(key) is not None else None

    @model_validator(mode="after")
    def _categories(self) -> CommunitySettings:
        for where, chosen in (
            ("projects.completion_category", self.projects.completion_category),
            ("events.checkin_category", self.events.checkin_category),
        ):
            if chosen is not None and self.contributions.category(chosen) is None:
                raise ValueError(
                    f"{where}: {chosen!r} is not one of contributions.categories[].key "
                    "(add that category, or name another one here)"
                )
        return self

    @field_validator("privacy_notice_url")
    @classmethod
    def _button_url(cls, v: str) -> str:
        """Shown as a link button on /register: Discord refuses a button whose URL is longer."""
        if len(v) > DISCORD_LINK_URL_MAX:
            raise ValueError(
                f"at most {DISCORD_LINK_URL_MAX} characters (Discord's limit for a link button's URL), "
                f"not {len(v)}"
            )
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as 'Asia/Tokyo'") from None
        return v


class JobSettings(_Section):
    """Work that must happen once (reminders, vote results) is claimed in the database. A claim whose
    process died (killed, machine lost) is taken over by another process after this many seconds."""

    lease_seconds: int = Field(300, ge=5, le=86_400)


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    discord: DiscordSettings = DiscordSettings()
    line: LineSettings = LineSettings()
    logging: LoggingSettings = LoggingSettings()
    registration: RegistrationSettings = RegistrationSettings()
    jobs: JobSettings = JobSettings()
    communities: list[CommunitySettings] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        _unique([c.key for c in self.communities], "communities[].key")
        _unique([c.discord.guild_id for c in self.communities if c.discord], "communities[].discord.guild_id")
        return self

    def community(self, key: str) -> CommunitySettings:
        for c in self.communities:
            if c.key == key:
                return c
        raise KeyError(key)

    def secrets(self) -> list[str]:
        """Every secret value, so that logging can mask them."""
        values = [self.discord.token.get_secret_value()]
        for c in self.communities:
            if c.line:
                values += [
                    c.line.channel_secret.get_secret_value(),
                    c.line.channel_access_token.get_secret_value(),
                ]
        password = make_url(self.database.url).password
        if password:
            values.append(str(password))
        return [v for v in values if v]


def settings_from_mapping(
    data: Mapping[str, Any], env: Mapping[str, str] | None = None, *, require_secrets: bool = True
) -> Settings:
    """Validate ``data`` (the parsed TOML), with secrets from ``env`` overriding the file.

    ``require_secrets=False`` is for commands that only touch the database (``db upgrade``).
    """
    env = os.environ if env is None else env
    merged = _with_env(dict(data), env)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None
    if require_secrets:
        _check_required_secrets(settings)
    return settings


def load_settings(
    path: str | Path | None = None, env: Mapping[str, str] | None = None, *, require_secrets: bool = True
) -> Settings:
    env = os.environ if env is None else env
    path = Path(path or env.get(ENV_CONFIG_PATH) or DEFAULT_CONFIG_PATH)
    if not path.is_file():
        raise ConfigError(
            f"config file not found: {path} (copy config.example.toml to config.toml, or pass --config)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return settings_from_mapping(data, env, require_secrets=require_secrets)


def _with_env(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    if env.get(ENV_DATABASE_URL):
        data["database"] = {**data.get("database", {}), "url": env[ENV_DATABASE_URL]}
    if env.get(ENV_DISCORD_TOKEN):
        data["discord"] = {**data.get("discord", {}), "token": env[ENV_DISCORD_TOKEN]}
    communities = data.get("communities")
    if isinstance(communities, list):
        patched = []
        for c in communities:
            if isinstance(c, dict) and isinstance(c.get("key"), str) and isinstance(c.get("line"), dict):
                line = dict(c["line"])
                if env.get(line_secret_env(c["key"])):
                    line["channel_secret"] = env[line_secret_env(c["key"])]
                if env.get(line_token_env(c["key"])):
                    line["channel_access_token"] = env[line_token_env(c["key"])]
                c = {**c, "line": line}
            patched.append(c)
        data["communities"] = patched
    return data


def _check_required_secrets(settings: Settings) -> None:
    if settings.discord.enabled:
        if not any(c.discord for c in settings.communities):
            raise ConfigError(
                "config error: discord.enabled is true but no community has a [communities.discord] section "
                "(add one, or set discord.enabled = false)"
            )
        if not settings.discord.token.get_secret_value():
            raise ConfigError(
                f"config error: discord.token is empty: set {ENV_DISCORD_TOKEN} (or discord.token), "
                "or set discord.enabled = false"
            )
    if settings.line.enabled:
        with_line = [c for c in settings.communities if c.line]
        if not with_line:
            raise ConfigError(
                "config error: line.enabled is true but no community has a [communities.line] section "
                "(add one, or set line.enabled = false)"
            )
        for c in with_line:
            assert c.line is not None
            if not c.line.channel_secret.get_secret_value():
                where = f"communities.{c.key}.line.channel_secret"
                raise ConfigError(f"config error: {where} is empty: set {line_secret_env(c.key)}")
            if not c.line.channel_access_token.get_secret_value():
                where = f"communities.{c.key}.line.channel_access_token"
                raise ConfigError(f"config error: {where} is empty: set {line_token_env(c.key)}")


_SECRET_FIELDS = {"token", "channel_secret", "channel_access_token", "url"}


ECHO_MAX = 80  # characters of a wrong value an error line repeats


def _one_line(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ""
    for part in err["loc"]:
        loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
    msg = err["msg"]
    if err["type"] == "missing":
        msg = "missing (required)"
    elif err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling against config.example.toml)"
    elif msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    last = err["loc"][-1] if err["loc"] else ""
    shown = ""
    whole_section = isinstance(err.get("input"), dict | list)  # a section-wide rule: the key says enough
    if (
        err["type"] not in ("missing", "extra_forbidden")
        and last not in _SECRET_FIELDS
        and "input" in err
        and not whole_section
    ):
        echoed = repr(err["input"])  # the start of it: a value can be as long as anyone typed
        shown = f", got {echoed if len(echoed) <= ECHO_MAX else echoed[: ECHO_MAX - 1] + '…'}"
    where = f"{loc}: " if loc else ""
    return f"config error: {where}{msg}{shown}"
