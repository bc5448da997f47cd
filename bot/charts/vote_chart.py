"""A vote result as a bar chart (PNG), drawn with Pillow.

Bars are labelled with option numbers and figures only (ASCII), so the image needs no Japanese font; the
option texts are in the message beside it. Weighted votes show the weighted totals, others the counts.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from bot.community.votes import VoteResult

WIDTH = 800
ROW = 44
MARGIN = 24
LABEL_WIDTH = 70
BACKGROUND = (255, 255, 255)
BAR = (31, 122, 140)  # the brand colour, the sea around the Oki islands
WINNER = (232, 119, 34)
TEXT = (40, 40, 40)
GRID = (225, 225, 225)


def vote_chart(result: VoteResult) -> bytes:
    """One horizontal bar per option, the leading option(s) highlighted; returns PNG bytes."""
    height = MARGIN * 2 + ROW * len(result.options) + 30
    image = Image.new("RGB", (WIDTH, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=20)
    small = ImageFont.load_default(size=14)
    values = [o.weight_milli / 1000 if result.weighted else float(o.count) for o in result.options]
    top = max(values, default=0.0) or 1.0
    bar_left = MARGIN + LABEL_WIDTH
    bar_room = WIDTH - bar_left - MARGIN - 110
    winners = set(result.winners)
    for row, (option, value) in enumerate(zip(result.options, values, strict=True)):
        y = MARGIN + row * ROW
        draw.line([(bar_left, y + ROW - 4), (WIDTH - MARGIN, y + ROW - 4)], fill=GRID)
        draw.text((MARGIN, y + 8), f"{option.index + 1}.", font=font, fill=TEXT)
        length = int(bar_room * value / top)
        if length:
            colour = WINNER if option.index in winners else BAR
            draw.rectangle([(bar_left, y + 6), (bar_left + length, y + ROW - 10)], fill=colour)
        figure = f"{value:.1f}" if result.weighted else f"{int(value)}"
        draw.text((bar_left + length + 10, y + 8), figure, font=font, fill=TEXT)
    footer = f"{result.voters}/{result.eligible} voted ({result.turnout_percent:.0f}%)"
    if result.quorum_needed:
        footer += f" · quorum {result.quorum_needed}: {'met' if result.quorum_met else 'not met'}"
    draw.text((MARGIN, height - MARGIN - 14), footer, font=small, fill=TEXT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
