"""Deadlines in working days on the mainland calendar (chinesecalendar knows 2004-2026)."""

import datetime
import zoneinfo

import pytest

from complaints import deadlines
from complaints.models import DeadlinePolicy, Kind, Ticket

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC


def _ticket(created_at, kind=Kind.COMPLAINT, deadline_days=None):
    return Ticket(kind=kind, created_at=created_at, deadline_days=deadline_days)


def test_national_day_2026_is_skipped_and_the_adjusted_saturday_counts(in_a):
    """Filed Wed 30 Sep: 1-7 Oct are holidays; Thu 8, Fri 9 and Sat 10 Oct (调休) work."""
    filed = datetime.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    warn_at, due_at = deadlines.deadline_for(_ticket(filed), tzinfo=SHANGHAI)
    assert due_at == datetime.datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)
    assert warn_at == datetime.datetime(2026, 10, 10, 0, 0, tzinfo=SHANGHAI)


def test_spring_festival_2026_the_working_saturday_before_and_the_holiday_week(in_a):
    """Filed Fri 13 Feb: Sat 14 Feb works (调休), 15-23 Feb are holidays, Tue 24 Feb works."""
    DeadlinePolicy.objects.create(kind=Kind.GRIEVANCE, working_days=2)
    filed = datetime.datetime(2026, 2, 13, 16, 0, tzinfo=SHANGHAI)
    _, due_at = deadlines.deadline_for(_ticket(filed, Kind.GRIEVANCE), tzinfo=SHANGHAI)
    assert due_at.date() == datetime.date(2026, 2, 24)


def test_an_ordinary_weekend_is_skipped(in_a):
    filed = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)  # a Friday
    _, due_at = deadlines.deadline_for(_ticket(filed, deadline_days=1), tzinfo=SHANGHAI)
    assert due_at.date() == datetime.date(2026, 11, 23)


def test_the_day_is_the_tenants_local_day_not_utcs(in_a):
    """17:30 UTC on 29 Sep is already 30 Sep in Shanghai: three working days from the 30th."""
    filed = datetime.datetime(2026, 9, 29, 17, 30, tzinfo=UTC)
    _, local = deadlines.deadline_for(_ticket(filed), tzinfo=SHANGHAI)
    _, in_utc = deadlines.deadline_for(_ticket(filed), tzinfo=UTC)
    assert local.date() == datetime.date(2026, 10, 10)
    assert in_utc.date() == datetime.date(2026, 10, 9)


def test_the_tenants_policy_per_kind_is_used(in_a):
    DeadlinePolicy.objects.create(kind=Kind.SUGGESTION, working_days=1)
    filed = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)  # Monday
    _, due_at = deadlines.deadline_for(_ticket(filed, Kind.SUGGESTION), tzinfo=SHANGHAI)
    assert due_at.date() == datetime.date(2026, 11, 17)


def test_defaults_apply_without_a_policy(in_a):
    assert deadlines.working_days(_ticket(None, Kind.COMPLAINT)) == 3
    assert deadlines.working_days(_ticket(None, Kind.SUGGESTION)) == 10


@pytest.mark.parametrize(
    ("ticket_days", "override", "expected"),
    [(None, None, 3), (None, 1, 1), (None, 9, 3), (5, 1, 5)],
)
def test_a_tier_override_only_shortens_and_the_tickets_own_count_wins(
    in_a, ticket_days, override, expected
):
    ticket = _ticket(None, Kind.COMPLAINT, deadline_days=ticket_days)
    assert deadlines.working_days(ticket, override=override) == expected


def test_beyond_the_calendars_data_monday_to_friday_count(in_a):
    filed = datetime.datetime(2027, 3, 12, 9, 0, tzinfo=SHANGHAI)  # a Friday
    _, due_at = deadlines.deadline_for(_ticket(filed, deadline_days=1), tzinfo=SHANGHAI)
    assert due_at.date() == datetime.date(2027, 3, 15)


def test_a_calendar_day_entered_by_the_platform_corrects_the_package(in_a):
    """A year the package does not know (2036): the platform enters the announced days."""
    from complaints.models import CalendarDay

    filed = datetime.datetime(2036, 1, 4, 9, 0, tzinfo=SHANGHAI)  # a Friday
    _, due_at = deadlines.deadline_for(_ticket(filed, deadline_days=1), tzinfo=SHANGHAI)
    assert due_at.date() == datetime.date(2036, 1, 7)  # Monday: Monday to Friday count
    saturday = CalendarDay.objects.create(
        day=datetime.date(2036, 1, 5), is_working_day=True, note="调休"
    )
    _, due_at = deadlines.deadline_for(_ticket(filed, deadline_days=1), tzinfo=SHANGHAI)
    assert due_at.date() == datetime.date(2036, 1, 5)  # the working Saturday counts
    saturday.delete()
    CalendarDay.objects.create(day=datetime.date(2036, 1, 7), is_working_day=False, note="假日")
    _, due_at = deadlines.deadline_for(_ticket(filed, deadline_days=1), tzinfo=SHANGHAI)
    assert due_at.date() == datetime.date(2036, 1, 8)  # the weekend and the holiday skipped


def test_calendar_days_are_edited_by_superusers_only(client, world):
    from core.roles import Role

    client.force_login(world.user(world.a, Role.OWNER))
    assert client.get("/t/tenant-a/admin/complaints/calendarday/").status_code == 404
    superuser = world.user(world.a, Role.OWNER)
    superuser.is_superuser = superuser.is_staff = True
    superuser.save()
    client.force_login(superuser)
    response = client.post(
        "/platform/complaints/calendarday/add/",
        {"day": "2036-01-05", "is_working_day": "on", "note": "调休"},
    )
    assert response.status_code == 302
    assert deadlines.is_working_day(datetime.date(2036, 1, 5)) is True  # a Saturday
