"""Reports and drill-down lists as streamed ``.csv`` and ``.xlsx``.

Both writers take sheets of (title, columns, rows) where ``rows`` may be a generator, so a long
list is read in chunks and never held whole: CSV lines are yielded as they are written, and the
workbook is openpyxl's write-only one (one row in memory at a time), saved to a temporary file
that is streamed from disk. Cells are typed by the column: numbers and money as numbers, shares
as numbers formatted as percentages, dates as dates; the header row is in the user's language.
"""

import csv
import datetime
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from .reports import DATE, INT, MONEY, NUMBER, SHARE, Column, Result

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {INT: "#,##0", MONEY: "#,##0.00", SHARE: "0.0%", NUMBER: "0.00", DATE: "yyyy-mm-dd"}


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: Iterable[list]
    # The figures sheet mixes counts, money and shares in one column: the kind of the last
    # column's value, row by row.
    value_kinds: list[str] | None = None

    def kinds(self, index: int) -> list[str]:
        kinds = [column.kind for column in self.columns]
        if self.value_kinds:
            kinds[-1] = self.value_kinds[index]
        return kinds


def result_sheets(title: str, result: Result) -> list[Sheet]:
    """The report's figures as a first sheet (figure, value), then one sheet per table."""
    figures = Sheet(
        str(title),
        [
            Column("figure", _("Figure"), "text"),
            Column("value", pgettext_lazy("insight", "Value"), NUMBER),
        ],
        [[str(figure.label), figure.value] for figure in result.figures],
        [figure.kind for figure in result.figures],
    )
    return [figures, *(Sheet(str(t.title), t.columns, t.rows) for t in result.tables)]


def _csv_value(value, kind):
    if value is None:
        return ""
    if kind == SHARE:
        return f"{value:.6f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


class _Echo:
    def write(self, value):
        return value


def csv_response(sheets: list[Sheet], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # so that Excel opens it as UTF-8
        for number, sheet in enumerate(sheets):
            if len(sheets) > 1:
                if number:
                    yield writer.writerow([])
                yield writer.writerow([sheet.title])
            yield writer.writerow([str(column.label) for column in sheet.columns])
            for index, row in enumerate(sheet.rows):
                kinds = sheet.kinds(index)
                yield writer.writerow([_csv_value(v, k) for v, k in zip(row, kinds, strict=True)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _sheet_title(title: str, used: set) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"
    base, n = name, 2
    while name in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _cell(sheet, value, kind):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, bool):
        value = _("Yes") if value else _("No")
    elif isinstance(value, datetime.datetime):
        value = value.replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    if kind in FORMATS and isinstance(value, int | float | Decimal | datetime.date):
        cell.number_format = FORMATS[kind]
    return cell


def xlsx_response(sheets: list[Sheet], filename: str) -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for sheet in sheets:
        out = workbook.create_sheet(_sheet_title(sheet.title, used))
        header = []
        for column in sheet.columns:
            cell = _cell(out, str(column.label), "text")
            cell.font = Font(bold=True)
            header.append(cell)
        out.append(header)
        for index, row in enumerate(sheet.rows):
            kinds = sheet.kinds(index)
            out.append([_cell(out, v, k) for v, k in zip(row, kinds, strict=True)])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)
