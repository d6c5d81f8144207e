"""Spreadsheet cells of the exports: formula neutralising, CSV and XLSX writers.

An export is a list of :class:`Column` and rows of typed values (text,
numbers, :class:`~datetime.datetime` in the console's time zone, dates).
Text a worker typed is untrusted: a household head written as
``=HYPERLINK(...)`` must never become a live formula in a supervisor's
spreadsheet. Following OWASP's CSV-injection guidance, a text cell starting
with ``= + - @``, a tab or a carriage return is written to CSV with a
leading apostrophe; in XLSX it is written as a text cell (never a formula)
with Excel's quote prefix, so the worker's text is shown exactly and stays
text when edited.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Column:
    """One export column: its header and width in characters."""

    header: str
    width: int = 12


def dangerous(value):
    """True when ``value`` is text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(TRIGGERS)


def csv_text(value):
    """``value`` as a CSV field: formulas neutralised, times as local text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if dangerous(value):
        return "'" + value
    return value


def csv_body(columns, rows):
    """The CSV export as a generator of text chunks (UTF-8 BOM first, for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([csv_text(c.header) for c in columns])
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cell(sheet, value):
    if isinstance(value, datetime):
        # Excel has no time zones: the local wall-clock time of the console.
        cell = WriteOnlyCell(sheet, value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATE_FORMAT
        return cell
    cell = WriteOnlyCell(sheet, value)
    if dangerous(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def xlsx_body(title, columns, rows, exported=None):
    """The XLSX export: header frozen and filterable, widths set, dates as dates;
    ``exported`` = ``(who, when)`` goes into the document's creator and created."""
    return xlsx_book([(title, columns, rows)], exported)


def xlsx_book(sheets, exported=None):
    """An XLSX of several ``(title, columns, rows)`` sheets, each like :func:`xlsx_body`'s."""
    book = Workbook(write_only=True)
    if exported is not None:
        who, when = exported
        book.properties.creator = book.properties.lastModifiedBy = who
        book.properties.created = book.properties.modified = when.replace(tzinfo=None)
    for title, columns, rows in sheets:
        _write_sheet(book, title, columns, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_sheet(book, title, columns, rows):
    sheet = book.create_sheet(title[:31])
    for n, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = column.width
    sheet.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    header = []
    for column in columns:
        cell = _cell(sheet, column.header)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
