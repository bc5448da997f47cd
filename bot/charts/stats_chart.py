"""The programme's numbers as one PNG with six panels, for staff (/stats), drawn with Pillow.

Labels are Japanese (or English) in the bundled IPAex Gothic (``japanese_font``), so the image reads the same
on any machine. The size is fixed (``WIDTH`` × ``HEIGHT``) whatever the data, so it fits an embed.

    ┌ title, date, active members ───────────────────────────────┐
    │ members at each month's end + goal │ stages of involvement  │
    │ new registrations per month        │ contributions by kind  │
    │ event turnout (checked in / going) │ turnout of latest votes│
    └────────────────────────────────────────────────────────────┘
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bot.charts.fonts import japanese_font
from bot.community.conversations import category_label
from bot.community.stats import CommunityStats, MonthFigure
from bot.config import CommunitySettings
from bot.i18n import Translator

WIDTH = 1200
MARGIN = 20
GAP = 20
HEADER = 96
PANEL_W = (WIDTH - 2 * MARGIN - GAP) // 2
PANEL_H = 300
HEIGHT = HEADER + 3 * PANEL_H + 2 * GAP + MARGIN
TITLE_SIZE = 20
TITLE_OFFSET = (14, 10)  # where a panel's title starts, from the panel's corner
LABEL_WIDTH = 190
ROW_MAX = 8

BACKGROUND = (255, 255, 255)
FRAME = (226, 226, 226)
BAR = (31, 122, 140)  # the brand colour, the sea around the Oki islands
ACCENT = (232, 119, 34)
LIGHT = (170, 210, 218)
TRACK = (238, 238, 238)
TEXT = (40, 40, 40)
MUTED = (120, 120, 120)

Font = ImageFont.FreeTypeFont
Box = tuple[int, int, int, int]


def panel_box(index: int) -> Box:
    """(left, top, right, bottom) of panel 0–5, row by row."""
    row, col = divmod(index, 2)
    left = MARGIN + col * (PANEL_W + GAP)
    top = HEADER + row * (PANEL_H + GAP)
    return left, top, left + PANEL_W, top + PANEL_H


def title_origin(index: int) -> tuple[int, int]:
    left, top, _, _ = panel_box(index)
    return left + TITLE_OFFSET[0], top + TITLE_OFFSET[1]


def stats_chart(
    stats: CommunityStats, tr: Translator, lang: str, community: CommunitySettings, date_text: str
) -> bytes:
    """The six panels as PNG bytes; ``date_text`` is the as-of date already in the reader's time zone."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    chart = _Chart(ImageDraw.Draw(image), tr, lang)
    chart.header(stats, community.name, date_text)
    chart.members(0, stats)
    chart.stages(1, stats)
    chart.months(2, tr.t(lang, "stats.chart.joined"), stats.joined_by_month, ACCENT)
    labels = [category_label(tr, lang, community.contributions, c.category) for c in stats.categories]
    chart.rows(
        3,
        tr.t(lang, "stats.chart.categories"),
        [
            (label, c.entries, tr.t(lang, "stats.chart.entries", entries=c.entries, points=f"{c.points:,}"))
            for label, c in zip(labels, stats.categories, strict=True)
        ],
    )
    chart.events(4, stats)
    chart.votes(5, stats)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def fit(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> str:
    """``text``, cut with an ellipsis to fit ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


class _Chart:
    def __init__(self, draw: ImageDraw.ImageDraw, tr: Translator, lang: str) -> None:
        self.draw, self.tr, self.lang = draw, tr, lang
        self.title_font = japanese_font(TITLE_SIZE)
        self.font = japanese_font(15)
        self.small = japanese_font(13)

    def t(self, key: str, **params: Any) -> str:
        return self.tr.t(self.lang, key, **params)

    # --- frame ----------------------------------------------------------------------------------------
    def header(self, stats: CommunityStats, community: str, date_text: str) -> None:
        d = self.draw
        d.text(
            (MARGIN, 14), self.t("stats.chart.title", community=community), font=japanese_font(28), fill=TEXT
        )
        d.text(
            (WIDTH - MARGIN, 22), self.t("stats.chart.as_of", date=date_text), font=self.font, fill=MUTED,
            anchor="ra",
        )  # fmt: skip
        active = self.t(
            "stats.chart.active", active_30=f"{stats.active_30:,}", active_90=f"{stats.active_90:,}"
        )
        d.text((MARGIN, 56), active, font=self.font, fill=TEXT)

    def panel(self, index: int, title: str) -> Box:
        """Draw the panel's frame and title; returns the area left for its content."""
        left, top, right, bottom = panel_box(index)
        self.draw.rectangle((left, top, right, bottom), outline=FRAME, width=2)
        x, y = title_origin(index)
        self.draw.text(
            (x, y), fit(self.draw, title, self.title_font, PANEL_W - 28), font=self.title_font, fill=TEXT
        )
        return left + 14, top + 44, right - 14, bottom - 12

    def row_label(self, x: int, y: int, text: str) -> None:
        """A row's label, left of its bar, cut to fit."""
        shown = fit(self.draw, text, self.font, LABEL_WIDTH - 8)
        self.draw.text((x, y), shown, font=self.font, fill=TEXT, anchor="lm")

    def empty(self, area: Box) -> None:
        left, top, right, bottom = area
        self.draw.text(
            ((left + right) // 2, (top + bottom) // 2), self.t("stats.chart.empty"), font=self.font,
            fill=MUTED, anchor="mm",
        )  # fmt: skip

    # --- panels ---------------------------------------------------------------------------------------
    def members(self, index: int, stats: CommunityStats) -> None:
        area = self.panel(index, self.t("stats.chart.members"))
        left, top, right, bottom = area
        if stats.goal:
            text = self.t(
                "stats.chart.goal", goal=f"{stats.goal:,}", members=f"{stats.members:,}",
                percent=f"{stats.goal_percent or 0:.1f}",
            )  # fmt: skip
            self.draw.text((left, top), text, font=self.font, fill=TEXT)
            self.draw.rectangle((left, top + 24, right, top + 36), fill=TRACK)
            done = min(right - left, max(2, round((right - left) * stats.members / stats.goal)))
            self.draw.rectangle((left, top + 24, left + done, top + 36), fill=ACCENT)
        else:
            self.draw.text((left, top), self.t("stats.chart.no_goal"), font=self.font, fill=MUTED)
        self._month_bars((left, top + 48, right, bottom), stats.members_by_month, BAR)

    def months(
        self, index: int, title: str, figures: Sequence[MonthFigure], colour: tuple[int, int, int]
    ) -> None:
        self._month_bars(self.panel(index, title), figures, colour)

    def _month_bars(self, area: Box, figures: Sequence[MonthFigure], colour: tuple[int, int, int]) -> None:
        left, top, right, bottom = area
        if not any(f.value for f in figures):
            self.empty(area)
            return
        names = self.t("stats.chart.month_names").split("|")
        top_value = max(f.value for f in figures)
        slot = (right - left) / len(figures)
        base = bottom - 20
        room = base - top - 18
        for i, f in enumerate(figures):
            x0 = round(left + i * slot + slot * 0.18)
            x1 = round(left + (i + 1) * slot - slot * 0.18)
            height = round(room * f.value / top_value)
            if height:
                self.draw.rectangle((x0, base - height, x1, base), fill=colour)
            centre = (x0 + x1) // 2
            self.draw.text(
                (centre, base - height - 3), f"{f.value:,}", font=self.small, fill=TEXT, anchor="mb"
            )
            name = names[int(f.month[5:7]) - 1]
            self.draw.text((centre, base + 4), name, font=self.small, fill=MUTED, anchor="ma")

    def stages(self, index: int, stats: CommunityStats) -> None:
        """A funnel: each stage's bar centred, the widest stage full width."""
        area = self.panel(index, self.t("stats.chart.stages"))
        left, top, right, bottom = area
        if not any(stats.stages):
            self.empty(area)
            return
        row = (bottom - top) // len(stats.stages)
        widest = max(stats.stages)
        bar_left, bar_right = left + LABEL_WIDTH, right - 60
        shades = [LIGHT, (100, 170, 186), (60, 140, 158), BAR]
        for i, count in enumerate(stats.stages):
            y = top + i * row
            label = f"{i + 1}. {self.t(f'profile.stage.{i + 1}')}"
            self.row_label(left, y + row // 2, label)
            width = round((bar_right - bar_left) * count / widest)
            centre = (bar_left + bar_right) // 2
            if width:
                self.draw.rectangle(
                    (centre - width // 2, y + 8, centre + (width + 1) // 2, y + row - 8), fill=shades[i % 4]
                )
            self.draw.text((right, y + row // 2), f"{count:,}", font=self.font, fill=TEXT, anchor="rm")

    def rows(self, index: int, title: str, items: Sequence[tuple[str, int, str]]) -> None:
        """Horizontal bars: a label, a bar for the value, a figure after the bar."""
        area = self.panel(index, title)
        left, top, right, bottom = area
        shown = [item for item in items if item[1]][:ROW_MAX]
        if not shown:
            self.empty(area)
            return
        row = min(40, (bottom - top) // len(shown))
        top_value = max(value for _, value, _ in shown)
        bar_left, room = left + LABEL_WIDTH, right - left - LABEL_WIDTH - 130
        for i, (label, value, figure) in enumerate(shown):
            y = top + i * row
            self.row_label(left, y + row // 2, label)
            width = max(2, round(room * value / top_value))
            self.draw.rectangle((bar_left, y + 7, bar_left + width, y + row - 7), fill=BAR)
            self.draw.text(
                (bar_left + width + 8, y + row // 2), figure, font=self.small, fill=TEXT, anchor="lm"
            )

    def events(self, index: int, stats: CommunityStats) -> None:
        area = self.panel(index, self.t("stats.chart.events"))
        left, top, right, bottom = area
        if not stats.events:
            self.empty(area)
            return
        total = self.t(
            "stats.chart.events_total", came=f"{stats.events_checked_in:,}", going=f"{stats.events_going:,}",
            percent=f"{stats.event_percent:.0f}",
        )  # fmt: skip
        self.draw.text((left, top), total, font=self.font, fill=TEXT)
        top += 28
        row = min(44, (bottom - top) // len(stats.events))
        top_value = max(max(e.going, e.checked_in) for e in stats.events) or 1
        bar_left, room = left + LABEL_WIDTH, right - left - LABEL_WIDTH - 90
        for i, e in enumerate(stats.events):
            y = top + i * row
            self.row_label(left, y + row // 2, f"#{e.event_id} {e.title}")
            going = round(room * e.going / top_value)
            came = round(room * e.checked_in / top_value)
            if going:
                self.draw.rectangle((bar_left, y + 7, bar_left + going, y + row - 7), fill=LIGHT)
            if came:
                self.draw.rectangle((bar_left, y + 13, bar_left + came, y + row - 13), fill=BAR)
            self.draw.text((bar_left + max(going, came) + 8, y + row // 2), f"{e.checked_in}/{e.going}",
                           font=self.small, fill=TEXT, anchor="lm")  # fmt: skip

    def votes(self, index: int, stats: CommunityStats) -> None:
        area = self.panel(index, self.t("stats.chart.votes"))
        left, top, right, bottom = area
        if not stats.votes:
            self.empty(area)
            return
        row = min(44, (bottom - top) // len(stats.votes))
        bar_left, room = left + LABEL_WIDTH, right - left - LABEL_WIDTH - 120
        for i, v in enumerate(stats.votes):
            y = top + i * row
            self.row_label(left, y + row // 2, f"#{v.vote_id} {v.question}")
            self.draw.rectangle((bar_left, y + 9, bar_left + room, y + row - 9), fill=TRACK)
            done = round(room * min(v.percent, 100.0) / 100)
            if done:
                self.draw.rectangle((bar_left, y + 9, bar_left + done, y + row - 9), fill=ACCENT)
            self.draw.text((bar_left + room + 8, y + row // 2), f"{v.voters}/{v.eligible} ({v.percent:.0f}%)",
                           font=self.small, fill=TEXT, anchor="lm")  # fmt: skip
