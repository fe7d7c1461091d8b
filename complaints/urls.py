from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.ticket_new, name="new"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/transition/", views.ticket_transition, name="transition"),
    path("<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("<int:pk>/compensate/", views.ticket_compensate, name="compensate"),
    path("<int:pk>/rate/", views.ticket_rate, name="rate"),
    path("<int:pk>/attach/", views.ticket_attach, name="attach"),
    path("pictures/<int:pk>/", views.attachment, name="attachment"),
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report_csv"),
]
