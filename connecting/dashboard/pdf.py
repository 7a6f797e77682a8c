"""The impact pack as a PDF, drawn with fpdf2 and its built-in Helvetica: no fonts or system
packages to install. Helvetica covers Latin-1 only, so every text goes through `pdf_text`, which
turns typographic punctuation into its plain form, strips accents Latin-1 lacks and puts "?" for
anything else (a name in another script), rather than let one character stop the download."""

import datetime
import unicodedata

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from connecting.dashboard.charts import format_number
from connecting.dashboard.selectors import ImpactPack

_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": ",",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "*",
        "\u2023": "*",
        "\u2043": "-",
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\t": " ",
        "\r": "",
        "\u20ac": "EUR",
        # Latin letters with no decomposition to a base letter.
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0126": "H",
        "\u0127": "h",
        "\u0131": "i",
        "\u0152": "OE",
        "\u0153": "oe",
    }
)

BLACK = (11, 12, 12)
BLUE = (29, 112, 184)
GREEN = (0, 112, 60)
GREY = (80, 90, 95)
LIGHT_GREY = (243, 242, 241)
MID_GREY = (177, 180, 182)


def pdf_text(value) -> str:
    """`value` as text Helvetica can draw (Latin-1), keeping what can be kept."""
    text = str(value).translate(_PLAIN)
    kept = []
    for char in text:
        if char == "\n" or (ord(char) < 256 and unicodedata.category(char) != "Cc"):
            kept.append(char)
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Mn"):
            continue
        plain = "".join(
            part
            for part in unicodedata.normalize("NFKD", char)
            if ord(part) < 256 and unicodedata.category(part) not in ("Mn", "Cc")
        )
        kept.append(plain or "?")
    return "".join(kept)


class _PackPDF(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, pdf_text(self.footer_text), align="L")
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="R")


def fit_label(pdf: FPDF, text: str, cell_width: float) -> str:
    """`text` cut short with "..." so that it fits a cell `cell_width` wide in the current font,
    the cell's own padding on both sides included: a long label stays inside the left margin."""
    room = cell_width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text.rstrip() + "...") > room:
        text = text[:-1]
    return text.rstrip() + "..."


def _day(day: datetime.date) -> str:
    return date_format(day, "j F Y")


class _Writer:
    def __init__(self, pdf: _PackPDF):
        self.pdf = pdf

    @property
    def width(self) -> float:
        return self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def heading(self, text: str, size: int = 15):
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 50:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("Helvetica", style="B", size=size)
        pdf.set_text_color(*BLACK)
        pdf.multi_cell(0, size * 0.5, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def paragraph(self, text: str, size: int = 11, colour=BLACK, style: str = ""):
        pdf = self.pdf
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, size * 0.5, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def progress(self, percent: int):
        pdf = self.pdf
        x, y, width, height = pdf.l_margin, pdf.get_y(), self.width, 7
        pdf.set_fill_color(*LIGHT_GREY)
        pdf.set_draw_color(*MID_GREY)
        pdf.rect(x, y, width, height, style="DF")
        filled = width * max(0, min(percent, 100)) / 100
        if filled:
            pdf.set_fill_color(*GREEN)
            pdf.rect(x, y, filled, height, style="F")
        pdf.set_y(y + height + 3)

    def bars(self, rows, colour=BLUE, suffix: str = ""):
        """Labelled horizontal bars, with the value written after each."""
        pdf = self.pdf
        rows = list(rows)
        largest = max((float(value) for _, value in rows), default=0) or 1
        label_width, value_width = 62, 16
        plot = self.width - label_width - value_width
        pdf.set_font("Helvetica", size=9)
        for label, value in rows:
            if pdf.get_y() > pdf.h - 25:
                pdf.add_page()
            y = pdf.get_y()
            pdf.set_text_color(*BLACK)
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(label_width - 2, 5, fit_label(pdf, pdf_text(label), label_width - 2), align="R")
            bar = plot * float(value) / largest
            if bar:
                pdf.set_fill_color(*colour)
                pdf.rect(pdf.l_margin + label_width, y + 0.5, max(bar, 0.3), 4, style="F")
            pdf.set_xy(pdf.l_margin + label_width + bar + 1.5, y)
            pdf.cell(value_width, 5, pdf_text(format_number(value) + suffix))
            pdf.set_xy(pdf.l_margin, y + 6)
        pdf.ln(2)

    def quote(self, text: str):
        pdf = self.pdf
        y = pdf.get_y()
        pdf.set_x(pdf.l_margin + 5)
        pdf.set_font("Helvetica", style="I", size=10)
        pdf.set_text_color(*BLACK)
        pdf.multi_cell(
            self.width - 5, 5, pdf_text(f"\u201c{text}\u201d"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.set_fill_color(*MID_GREY)
        if pdf.get_y() > y:
            pdf.rect(pdf.l_margin, y, 1.2, pdf.get_y() - y, style="F")
        pdf.ln(1)


def impact_pack_pdf(*, pack: ImpactPack, programme_name: str, cohort_name: str = "") -> bytes:
    """The impact pack, as PDF bytes: the same figures as the printable page."""
    figures = pack.figures
    f = figures.filter
    period = _("%(first)s to %(last)s") % {"first": _day(f.date_from), "last": _day(f.date_to)}
    pdf = _PackPDF(
        footer_text=_("%(service)s impact pack: %(programme)s, %(period)s")
        % {"service": settings.SERVICE_NAME, "programme": programme_name, "period": period}
    )
    pdf.set_title(pdf_text(_("Impact pack: %(programme)s") % {"programme": programme_name}))
    pdf.set_author(pdf_text(settings.SERVICE_NAME))
    pdf.set_creation_date(timezone.now())
    pdf.add_page()
    write = _Writer(pdf)

    # A black band, as the GOV.UK header.
    pdf.set_fill_color(*BLACK)
    pdf.rect(0, 0, pdf.w, 12, style="F")
    pdf.set_xy(pdf.l_margin, 3)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.set_text_color(255, 255, 255)
    pdf.cell(0, 6, pdf_text(settings.SERVICE_NAME))
    pdf.set_xy(pdf.l_margin, 20)

    write.paragraph(_("Impact pack"), size=12, colour=GREY)
    write.heading(programme_name, size=22)
    write.paragraph(period + (f" \u2013 {cohort_name}" if cohort_name else ""), size=12, colour=GREY)

    days = figures.days
    participation = figures.participation
    write.heading(_("Days of connecting delivered"))
    write.paragraph(
        _("%(days)s days of connecting, %(percent)s%% of the target of %(target)s days.")
        % {"days": format_number(days.completed), "percent": days.percent, "target": days.target},
    )
    write.progress(days.percent)

    write.heading(_("Coverage of the target population"))
    write.paragraph(
        _("%(connected)s of %(enrolled)s enrolled participants (%(percent)s%%) made at least one visit.")
        % {
            "connected": participation.connected,
            "enrolled": participation.enrolled,
            "percent": participation.percent,
        }
    )
    if participation.rows:
        write.paragraph(
            _("Participants who connected, by directorate (share of those enrolled)"), size=10, style="B"
        )
        write.bars([(row.label, row.percent) for row in participation.rows], suffix="%")

    write.heading(_("Partner mix"))
    write.paragraph(
        _("%(partners)s partners hosted %(visits)s visits.")
        % {"partners": figures.partners_active, "visits": figures.debriefs.visits}
    )
    if figures.sectors:
        write.paragraph(_("Visits by partner sector"), size=10, style="B")
        write.bars([(row.label, row.visits) for row in figures.sectors])
    if figures.regions:
        write.paragraph(_("Visits by region"), size=10, style="B")
        write.bars([(row.label, row.visits) for row in figures.regions], colour=GREEN)

    write.heading(_("Survey results"))
    if not pack.survey_results:
        write.paragraph(_("No survey results for this programme and period yet."))
    for result in pack.survey_results:
        write.paragraph(
            ngettext(
                "%(statement)s (%(responses)s response)",
                "%(statement)s (%(responses)s responses)",
                result.responses,
            )
            % {"statement": result.statement, "responses": result.responses}
        )

    write.heading(_("Top themes"))
    if pack.themes:
        for theme in pack.themes:
            write.paragraph(
                _("%(theme)s: named in %(count)s debriefs") % {"theme": theme.name, "count": theme.debriefs},
                style="B",
            )
            for text in theme.quotes:
                write.quote(text)
    else:
        write.paragraph(_("No debriefs of the period name a theme yet."))

    write.heading(_("Actions taken"))
    if pack.actions:
        for action in pack.actions:
            write.paragraph(action.description, style="B", size=10)
            write.paragraph(_("What we did: %(outcome)s") % {"outcome": action.outcome}, size=10)
    else:
        write.paragraph(_("No follow-up actions were completed in the period."))

    return bytes(pdf.output())
