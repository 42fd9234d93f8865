"""The look shared by every PDF we send: one font family, one palette, "Page n of m" footers.

The font is DejaVu Sans, embedded (subset) from matplotlib's own font folder, so the text and
the charts use the same face on every machine without a system font install.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import SimpleDocTemplate, TableStyle

FONT = "SMASans"
FONT_BOLD = "SMASans-Bold"
FONT_ITALIC = "SMASans-Oblique"

NAVY = colors.HexColor("#1f3b5c")
TEAL = colors.HexColor("#2a7f8f")
GREY = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#d5dbe3")
BAND = colors.HexColor("#f2f5f8")
GAIN = colors.HexColor("#1e7b4a")
LOSS = colors.HexColor("#b23b3b")

#: The same colours for matplotlib charts.
CHART_ACCOUNT = "#1f3b5c"
CHART_BENCHMARK = "#9aa5b1"
CHART_ACCENT = "#2a7f8f"


@cache
def register_fonts() -> None:
    """Register the DejaVu Sans family with reportlab (once per process)."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(folder / "DejaVuSans-Oblique.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD
    )


@cache
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles by name: title, h1, h2, body, small, note, cover_*."""
    register_fonts()
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=9, leading=12.5, textColor=colors.black, alignment=TA_LEFT
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=GREY),
        "note": ParagraphStyle(
            "note", parent=base, fontName=FONT_ITALIC, fontSize=7.5, leading=10, textColor=GREY
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "head": ParagraphStyle(
            "head",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=7.5,
            leading=9.5,
            textColor=colors.white,
        ),
        "para": ParagraphStyle("para", parent=base, spaceAfter=5),
        "bullet": ParagraphStyle(
            "bullet", parent=base, leftIndent=14, bulletIndent=4, spaceAfter=3
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=14,
            leading=18,
            textColor=NAVY,
            spaceBefore=6,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10.5,
            leading=14,
            textColor=NAVY,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "cover_firm": ParagraphStyle(
            "cover_firm",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            textColor=colors.white,
        ),
        "cover_title": ParagraphStyle(
            "cover_title",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=24,
            leading=30,
            textColor=NAVY,
            spaceAfter=4,
        ),
        "cover_client": ParagraphStyle(
            "cover_client", parent=base, fontSize=16, leading=21, spaceAfter=2
        ),
        "cover_meta": ParagraphStyle(
            "cover_meta", parent=base, fontSize=10, leading=14, textColor=GREY
        ),
        "figure_label": ParagraphStyle(
            "figure_label", parent=base, fontSize=7.5, leading=9.5, textColor=GREY
        ),
        "figure_value": ParagraphStyle(
            "figure_value", parent=base, fontName=FONT_BOLD, fontSize=13, leading=16, textColor=NAVY
        ),
    }


def table_style(
    n_rows: int, numeric_from: int = 1, total_row: bool = False, numeric_to: int = -1
) -> TableStyle:
    """Header row in navy, hairlines between rows, numbers right-aligned in columns
    ``numeric_from..numeric_to``."""
    register_fonts()
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("ALIGN", (numeric_from, 0), (numeric_to, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if n_rows > 3:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, BAND]))
    if total_row:
        commands += [
            ("FONT", (0, -1), (-1, -1), FONT_BOLD, 8),
            ("LINEABOVE", (0, -1), (-1, -1), 0.75, NAVY),
        ]
    return TableStyle(commands)


def letter_document(buf, *, title: str, author: str, subject: str) -> SimpleDocTemplate:
    """A US-Letter document in the statement's margins, its metadata set, fixed for byte-identical
    output (``invariant``); fonts registered. Client statements and proposals both use it."""
    register_fonts()
    return SimpleDocTemplate(
        buf,
        pagesize=LETTER,
        invariant=1,
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.7 * inch,
        bottomMargin=0.8 * inch,
        title=title,
        author=author,
        subject=subject,
        creator=author,
    )


def numbered_canvas(footer_left: str):
    """A canvas class that writes ``footer_left`` and "Page n of m" on every page.

    ``m`` is known only at the end, so each page's state is kept and the footers are drawn
    when the document is saved.
    """

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 -- reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()  # pyright: ignore[reportAttributeAccessIssue]

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width, _ = self._pagesize  # pyright: ignore[reportAttributeAccessIssue]
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(48, 40, width - 48, 40)
            self.setFont(FONT, 7.5)
            self.setFillColor(GREY)
            self.drawString(48, 28, footer_left)
            self.drawRightString(width - 48, 28, f"Page {self._pageNumber} of {total}")  # pyright: ignore[reportAttributeAccessIssue]

    return NumberedCanvas
