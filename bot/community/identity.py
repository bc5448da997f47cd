"""Who is speaking: a platform account inside one community."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["discord", "line"]
PLATFORMS: tuple[Platform, ...] = ("discord", "line")


@dataclass(frozen=True)
class Identity:
    community_id: int
    platform: Platform
    external_id: str
