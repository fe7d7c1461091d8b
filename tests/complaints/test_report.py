"""Report figures on a small fixture."""

import datetime
import zoneinfo

from django.utils import translation

from complaints import selectors
from complaints.models import Kind
from tests.complaints.factories import TicketFactory
from tests.factories import StoreFactory

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
H = datetime.timedelta(hours=1)
T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=SH)


def _ticket(store, kind, *, reply_h=None, close_h=None, due_h=48, created=T0):
    return TicketFactory(
        store=store,
        kind=kind,
        created_at=created,
        replied_at=created + reply_h * H if reply_h is not None else None,
        closed_at=created + close_h * H if close_h is not None else None,
        due_at=created + due_h * H,
        warn_at=created + (due_h - 24) * H,
    )


def test_the_report_counts_medians_and_share_in_time(in_a):
    north, south = StoreFactory(name="North"), StoreFactory(name="South")
    _ticket(north, Kind.COMPLAINT, reply_h=2, close_h=10)
    _ticket(north, Kind.COMPLAINT, reply_h=4, close_h=60)  # closed after its 48 h deadline
    _ticket(north, Kind.SUGGESTION, reply_h=9)  # replied, not closed
    _ticket(south, Kind.INQUIRY, reply_h=1, close_h=1)
    _ticket(south, Kind.INQUIRY, created=T0 - datetime.timedelta(days=40))  # outside the period
    with translation.override("en"):
        rows = selectors.report(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    by_label = {row.label: row for row in rows}
    assert [row.label for row in rows] == ["North", "South", "All stores"]

    n = by_label["North"]
    assert n.by_kind == {Kind.COMPLAINT: 2, Kind.SUGGESTION: 1}
    assert n.total == 3
    assert n.median_first_reply == 4 * H
    assert n.median_close == 35 * H
    assert (n.closed, n.closed_in_time, n.share_in_time) == (2, 1, 0.5)

    total = by_label["All stores"]
    assert total.total == 4
    assert total.kind_counts == [2, 0, 1, 1]
    assert total.median_first_reply == 3 * H
    assert total.median_close == 10 * H
    assert (total.closed, total.closed_in_time) == (3, 2)


def test_the_report_narrows_to_one_store(in_a):
    north, south = StoreFactory(), StoreFactory()
    _ticket(north, Kind.COMPLAINT)
    _ticket(south, Kind.COMPLAINT)
    rows = selectors.report(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30), store=south)
    assert [row.total for row in rows] == [1, 1]


def test_the_period_is_in_local_days(in_a):
    store = StoreFactory()
    # 30 Nov 23:30 in Shanghai is 15:30 UTC: inside November locally.
    _ticket(store, Kind.COMPLAINT, created=datetime.datetime(2026, 11, 30, 23, 30, tzinfo=SH))
    rows = selectors.report(datetime.date(2026, 11, 30), datetime.date(2026, 11, 30))
    assert rows[-1].total == 1
    rows = selectors.report(datetime.date(2026, 12, 1), datetime.date(2026, 12, 1))
    assert rows[-1].total == 0
