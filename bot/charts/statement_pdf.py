"""An activity statement (活動証明書) as a PDF, drawn with fpdf2.

The bundled IPAex Gothic is embedded (subset to the characters used), so the Japanese reads the same in any
viewer, prints, and can be searched and copied (fpdf2 writes a ToUnicode map). The file's dates are the
statement's own, so the same statement always gives the same bytes.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.charts.fonts import font_path
from bot.community.conversations import category_label
from bot.community.statements import PREMIUM_ACTIVITIES, Statement
from bot.config import CommunitySettings
from bot.i18n import Translator

FONT = "ipaexg"
BRAND = (31, 122, 140)
HEADING_FILL = (226, 240, 243)
MUTED = (110, 110, 110)
COLUMNS = (26, 42, 92, 26)  # date, kind, what was done, record (mm; the A4 text width is 186)


def statement_pdf(statement: Statement, tr: Translator, lang: str, community: CommunitySettings) -> bytes:
    # fpdf2 and fontTools are ~17 MB of memory in every process: loaded only when a statement is drawn.
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    def t(key: str, **params: Any) -> str:
        return tr.t(lang, key, **params)

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(12, 14, 12)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_font(FONT, fname=str(font_path()))
    pdf.set_creation_date(statement.issued_at)
    pdf.set_title(f"{t('statement.pdf.title')} {statement.year} No.{statement.member_number}")
    pdf.set_author(statement.community_name)
    pdf.set_lang(lang)
    pdf.add_page()

    pdf.set_font(FONT, size=22)
    pdf.set_text_color(*BRAND)
    pdf.cell(0, 14, t("statement.pdf.title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)

    issued = statement.issued_at.astimezone(ZoneInfo(community.timezone)).date().isoformat()
    name = statement.display_name or ""
    facts = (
        ("community", statement.community_name),
        ("member", t("statement.pdf.member_value", number=statement.member_number, name=name)),
        ("period", t("statement.pdf.period_value", year=statement.year)),
        ("issued", issued),
        ("count", t("statement.pdf.count_value", count=statement.count)),
    )
    pdf.set_font(FONT, size=11)
    for key, value in facts:
        pdf.set_text_color(*MUTED)
        pdf.cell(38, 8, t(f"statement.pdf.{key}"))
        pdf.set_text_color(0, 0, 0)
        pdf.multi_cell(0, 8, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left = PREMIUM_ACTIVITIES - statement.count
    guide = (
        t("statement.pdf.premium_met", threshold=PREMIUM_ACTIVITIES)
        if statement.meets_premium
        else t("statement.pdf.premium_not_met", threshold=PREMIUM_ACTIVITIES, left=left)
    )
    pdf.ln(2)
    pdf.multi_cell(0, 7, guide, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    if statement.activities:
        pdf.set_font(FONT, size=10)
        heading = FontFace(emphasis="", fill_color=HEADING_FILL)
        with pdf.table(col_widths=COLUMNS, headings_style=heading, line_height=6, padding=1.5) as table:
            row = table.row()
            for column in ("col_date", "col_category", "col_description", "col_record"):
                row.cell(t(f"statement.pdf.{column}"))
            for a in statement.activities:
                record = f"No. {a.entry.seq}"
                if a.approval is not None:
                    record += "\n" + t("statement.pdf.approved_as", seq=a.approval.seq)
                row = table.row()
                row.cell(a.occurred_on)
                row.cell(category_label(tr, lang, community.contributions, a.category))
                row.cell(a.description)
                row.cell(record)
    else:
        pdf.multi_cell(0, 8, t("statement.pdf.none"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.ln(6)
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(
        0,
        5,
        t("statement.pdf.basis", community=statement.community_name),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    head = t("statement.pdf.head", seq=statement.head.seq, hash=statement.head.hash)
    pdf.multi_cell(0, 5, head, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
