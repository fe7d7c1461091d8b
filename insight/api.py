"""The dashboard's reports as JSON: GET /api/v1/<tenant>/reports/<report>/ (docs/insight.md).

One view serves every report (``as_view(report=…)``), with the same query parameters as the
dashboard and the same figures and tables (``insight.reports``): a figure or cell is a number
(counts; a share as a fraction), a decimal string (money, averages), an ISO date or a text.
"""

import datetime
from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api.schema import TenantAutoSchema
from core.api.views import TenantAPIView

from .access import store_for
from .forms import ReportFilterForm
from .periods import KINDS
from .reports import REPORTS


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text="In the request's language.")
    value = serializers.JSONField(
        help_text="A number, a decimal string (money), or null when there is nothing to divide."
    )
    kind = serializers.CharField(help_text="`int`, `money`, `share` (0 to 1), `number`.")


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField(help_text="`text`, `int`, `money`, `share`, `number`, `date`.")


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(child=serializers.JSONField()),
        help_text="One object per row, keyed by the columns' keys.",
    )


class ReportSerializer(serializers.Serializer):
    report = serializers.CharField()
    title = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="Inclusive.")
    store = serializers.IntegerField(allow_null=True, help_text="Null: all stores.")
    figures = FigureSerializer(many=True)
    tables = TableSerializer(many=True)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


PARAMETERS = [
    OpenApiParameter(
        "period",
        str,
        enum=list(KINDS),
        description="The calendar period around `date` (default `month`), or `custom`.",
    ),
    OpenApiParameter("date", datetime.date, description="A day in the period (default today)."),
    OpenApiParameter("start", datetime.date, description="First day of a `custom` period."),
    OpenApiParameter("end", datetime.date, description="Last day of a `custom` period."),
    OpenApiParameter("store", int, description="Only this store's figures (default all)."),
]


class ReportSchema(TenantAutoSchema):
    def get_operation_id(self):
        return f"reports_{self.view.report}_retrieve"

    def get_summary(self):
        return f"Report: {REPORTS[self.view.report].key.replace('_', ' ')}"

    def get_tags(self):
        return ["reports"]


class ReportView(TenantAPIView):
    """A dashboard report for a period and store; definitions of every figure in
    docs/insight.md. Staff sessions see the reports and stores their role may see."""

    report = ""
    schema = ReportSchema()

    @property
    def read_capability(self):
        return REPORTS[self.report].capability

    @extend_schema(parameters=PARAMETERS, responses=ReportSerializer)
    def get(self, request):
        report = REPORTS[self.report]
        form = ReportFilterForm(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        period = form.chosen_period()
        store = None
        if report.has_store:
            store = store_for(getattr(request, "staff_role", None), form.cleaned_data["store"])
        result = report.build(period, store)
        return Response(
            {
                "report": report.key,
                "title": str(report.title),
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "store": None if store is None else store.pk,
                "figures": [
                    {
                        "key": f.key,
                        "label": str(f.label),
                        "value": _json(f.value),
                        "kind": f.kind,
                    }
                    for f in result.figures
                ],
                "tables": [
                    {
                        "key": t.key,
                        "title": str(t.title),
                        "columns": [
                            {"key": c.key, "label": str(c.label), "kind": c.kind} for c in t.columns
                        ],
                        "rows": [
                            {c.key: _json(v) for c, v in zip(t.columns, row, strict=True)}
                            for row in t.rows
                        ],
                    }
                    for t in result.tables
                ],
            }
        )
