"""Reading a member file (CSV or XLSX) into rows, and validating each row like the register form.

Headers may be our field names or the Chinese column titles businesses use in their spreadsheets.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Store

from . import pii
from .forms import MemberForm
from .models import IdType

HEADERS = {
    "name": ("name", "姓名", "会员姓名"),
    "gender": ("gender", "性别"),
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话"),
    "id_type": ("id_type", "证件类型"),
    "id_number": ("id_number", "证件号码", "身份证号", "身份证号码"),
    "email": ("email", "e-mail", "邮箱", "电子邮件"),
    "birthday": ("birthday", "生日", "出生日期"),
    "wedding_anniversary": ("wedding_anniversary", "结婚纪念日"),
    "employer": ("employer", "工作单位", "单位"),
    "address": ("address", "地址", "住址"),
    "notes": ("notes", "备注"),
    "store": ("store", "门店", "门店编码"),
    "joined_on": ("joined_on", "入会日期"),
    "valid_until": ("valid_until", "有效期至"),
    "confirm_duplicate": ("confirm_duplicate", "确认重复"),
}
_LOOKUP = {alias.lower(): field for field, aliases in HEADERS.items() for alias in aliases}
GENDERS = {"男": "male", "女": "female", "m": "male", "f": "female", "其他": "other"}
ID_TYPES = {
    "身份证": IdType.RESIDENT,
    "居民身份证": IdType.RESIDENT,
    "护照": IdType.PASSPORT,
    "其他": IdType.OTHER,
}
DATE_FIELDS = ("birthday", "wedding_anniversary", "joined_on", "valid_until")
_DATE = re.compile(r"^(\d{4})[/.年-](\d{1,2})[/.月-](\d{1,2})日?$")
MAX_ROWS = 50_000


class FileError(ValueError):
    pass


def read_table(name: str, content: bytes) -> list[list]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook  # reason: openpyxl only for an import (start-up cost)

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise FileError(_("This is not a readable Excel file.")) from error
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    return list(csv.reader(io.StringIO(text)))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def rows_from_table(table: list[list]) -> list[dict]:
    """[{"line": n, "values": {field: text}}] for every non-empty row; line numbers as the
    spreadsheet shows them (the header is line 1)."""
    if not table:
        raise FileError(_("The file is empty."))
    header = [_LOOKUP.get(_cell(title).lower()) for title in table[0]]
    if "name" not in header:
        raise FileError(
            _('The first row must name the columns; a "name" (姓名) column is required.')
        )
    if len(table) - 1 > MAX_ROWS:
        raise FileError(_("At most %(count)s rows per file.") % {"count": MAX_ROWS})
    rows = []
    for index, raw in enumerate(table[1:], start=2):
        values = {field: _cell(value) for field, value in zip(header, raw, strict=False) if field}
        if any(values.values()):
            rows.append({"line": index, "values": values})
    return rows


def _form_data(values: dict) -> dict:
    data = dict(values)
    gender = data.get("gender", "").lower()
    data["gender"] = GENDERS.get(gender, gender)
    id_type = data.get("id_type", "")
    data["id_type"] = ID_TYPES.get(id_type, id_type.lower()) or (
        IdType.RESIDENT if data.get("id_number") else ""
    )
    for field in DATE_FIELDS:
        match = _DATE.match(data.get(field, ""))
        if match:
            data[field] = "{}-{:0>2}-{:0>2}".format(*match.groups())
    store_code = data.pop("store", "")
    if store_code:
        store = Store.objects.filter(code=store_code).first()
        data["store"] = store.pk if store else "-1"
    data["joined_on"] = data.get("joined_on") or timezone.localdate().isoformat()
    data["confirm_duplicate"] = data.get("confirm_duplicate", "").lower() in ("1", "yes", "y", "是")
    return data


def validate_import_row(values: dict) -> tuple[dict | None, list[str]]:
    """(data for do_register_member, []) or (None, ["field: message", …])."""

    form = MemberForm(data=_form_data(values))
    if form.is_valid():
        return form.action_data(), []
    messages = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.append(f"{label}: {error}" if label else str(error))
    return None, messages


def masked_values(values: dict) -> dict:
    masked = dict(values)
    if masked.get("id_number"):
        number = pii.normalise_id_number(masked["id_number"])
        masked["id_number"] = pii.mask(number[-4:])
    return masked


def preview(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split rows into (valid, errors); a phone or ID number repeated within the file is an
    error on its later lines."""
    valid, errors, seen = [], [], {}
    for row in rows:
        data, row_errors = validate_import_row(row["values"])
        if data is not None:
            for key in ("phone", "id_number"):
                value = str(data.get(key) or "")
                if value:
                    if (key, value) in seen:
                        message = (
                            _("Line %(line)s has the same phone number.")
                            if key == "phone"
                            else _("Line %(line)s has the same ID number.")
                        )
                        row_errors.append(message % {"line": seen[(key, value)]})
                    else:
                        seen[(key, value)] = row["line"]
        if row_errors:
            errors.append(
                {"line": row["line"], "errors": row_errors, "values": masked_values(row["values"])}
            )
        else:
            valid.append(row)
    return valid, errors
