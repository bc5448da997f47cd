"""Discord's limits, checked on every request the bot sends to a simulated Discord (SimCord).

``spec.py`` reads Discord's OpenAPI file vendored here (see ``NOTICE``), ``rules.py`` holds the documented
limits the spec leaves out, ``recorder.py`` puts the check in front of SimCord and records what it refused.
Used by the Discord tests (an autouse fixture in tests/discord/conftest.py), ``python -m bot demo`` and
bench/vote_storm.py.
"""

from bot.discord_check.recorder import DiscordRequestCheck, Refusal
from bot.discord_check.spec import Violation

__all__ = ["DiscordRequestCheck", "Refusal", "Violation"]
