"""Mounted at /t/<tenant>/insight/. One route per report and format, so that the routes have no
parameters and the cross-tenant walk requests every one of them."""

from django.urls import path

from . import views
from .reports import REPORTS

app_name = "insight"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("members/", views.members, name="members"),
    *[
        path(f"members/export.{fmt}", views.members_export, {"fmt": fmt}, name=f"segment_{fmt}")
        for fmt in views.FORMATS
    ],
    *[
        path(f"{key}.{fmt}", views.export, {"key": key, "fmt": fmt}, name=f"{key}_{fmt}")
        for key in REPORTS
        for fmt in views.FORMATS
    ],
]
