"""The Japanese font the charts and PDF statements use: IPAex Gothic, shipped in ``bot/charts/fonts``.

Bundled (IPA Font License v1.0, beside the file) so that Japanese labels render the same on any machine,
with no system font to install."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from PIL import ImageFont


def font_path() -> Path:
    return Path(str(resources.files("bot.charts").joinpath("fonts", "ipaexg.ttf")))


@cache
def japanese_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)
