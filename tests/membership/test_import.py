import io

import pytest
from openpyxl import Workbook

from core import tenancy
from membership import actions, imports
from membership.models import Member, MemberImport

from .factories import MemberFactory
from .helpers import resident_id

pytestmark = pytest.mark.django_db

CSV = (
    "姓名,手机,证件号码,生日,性别\n"
    f"张三,13800000001,{resident_id()},1990-05-17,男\n"  # line 2: fine
    "李四,12345,,1991/02/03,女\n"  # line 3: bad phone
    "王五,13800000003,110105199005171230,,\n"  # line 4: bad ID checksum
    "赵六,13800000004,,1991-02-30,\n"  # line 5: impossible date
    ",13800000005,,,\n"  # line 6: no name
    "钱七,13800000001,,,\n"  # line 7: same phone as line 2
    "孙八,+86 138 0000 0008,,1988年7月1日,\n"  # line 8: fine
)


def upload(client, world, content: bytes, name="members.csv"):
    client.force_login(world.user(world.a, "manager"))
    file = io.BytesIO(content)
    file.name = name
    return client.post("/t/tenant-a/members/import/", {"file": file})


def test_the_preview_lists_every_bad_row_by_line_and_imports_nothing(client, world):
    response = upload(client, world, CSV.encode())
    assert response.status_code == 302
    with tenancy.tenant_context(world.a):
        batch = MemberImport.objects.get()
        assert not Member.objects.exists()
    assert [e["line"] for e in batch.errors] == [3, 4, 5, 6, 7]
    assert len(batch.rows) == 2
    page = client.get(response["Location"]).content.decode()
    for line in ("3", "4", "5", "6", "7"):
        assert f"<td>{line}</td>" in page
    # The valid rows wait encrypted: the ID number is not in the database row.
    assert resident_id() not in batch.rows_encrypted


def test_importing_takes_the_valid_rows_and_offers_an_error_report(client, world):
    location = upload(client, world, CSV.encode())["Location"]
    with tenancy.tenant_context(world.a):
        batch = MemberImport.objects.get()
    client.post(f"/t/tenant-a/members/import/{batch.pk}/run/")
    with tenancy.tenant_context(world.a):
        names = set(Member.objects.values_list("name", flat=True))
        batch.refresh_from_db()
    assert names == {"张三", "孙八"}
    assert batch.imported_count == 2 and batch.rows == []
    report = client.get(f"/t/tenant-a/members/import/{batch.pk}/errors.csv").content.decode()
    assert "李四" in report and "110105199005171230" not in report
    assert client.post(f"/t/tenant-a/members/import/{batch.pk}/run/").status_code == 302
    with tenancy.tenant_context(world.a):
        assert Member.objects.count() == 2  # a second run imports nothing
    assert location


def test_a_row_registered_meanwhile_goes_to_the_error_report(world):
    with tenancy.tenant_context(world.a):
        rows = imports.rows_from_table(imports.read_table("m.csv", CSV.encode()))
        valid, errors = imports.preview(rows)
        batch = actions.do_preview_import(file_name="m.csv", rows=valid, errors=errors, actor=None)
        MemberFactory(tenant=world.a, phone="+8613800000001")
        batch = actions.do_run_import(batch, actor=None)
    assert batch.imported_count == 1
    assert 2 in [e["line"] for e in batch.errors]


def test_xlsx_files_are_read_with_dates_as_cells(client, world):
    import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "phone", "birthday"])
    sheet.append(["Li Lei", 13800000001, datetime.datetime(1990, 5, 17)])
    sheet.append(["Han Meimei", "bad", datetime.datetime(1991, 1, 1)])
    content = io.BytesIO()
    workbook.save(content)
    upload(client, world, content.getvalue(), name="members.xlsx")
    with tenancy.tenant_context(world.a):
        batch = MemberImport.objects.get()
    assert [e["line"] for e in batch.errors] == [3]
    assert batch.rows[0]["values"]["birthday"] == "1990-05-17"


def test_a_file_without_a_name_column_is_refused_on_the_form(client, world):
    response = upload(client, world, b"phone\n13800000001\n")
    assert response.status_code == 200
    assert "file" in response.context["form"].errors


def test_front_desk_cannot_import(client, world):
    client.force_login(world.user(world.a, "front_desk"))
    assert client.get("/t/tenant-a/members/import/").status_code == 403
