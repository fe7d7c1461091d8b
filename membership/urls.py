from django.urls import path

from . import views

app_name = "membership"

urlpatterns = [
    path("", views.member_search, name="search"),
    path("search.json", views.member_search_json, name="search_json"),
    path("new/", views.member_register, name="register"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/reveal/", views.member_reveal, name="reveal"),
    path("<int:pk>/card/lost/", views.member_card_lost, name="card_lost"),
    path("<int:pk>/card/reissue/", views.member_card_reissue, name="card_reissue"),
    path("<int:pk>/status/", views.member_status, name="status"),
    path("<int:pk>/consent/", views.member_consent, name="consent"),
    path("<int:pk>/terminate/", views.member_request_termination, name="terminate"),
    path("terminations/", views.termination_queue, name="terminations"),
    path("terminations/<int:pk>/decide/", views.termination_decide, name="termination_decide"),
    path("erasures/", views.erasure_queue, name="erasures"),
    path("erasures/<int:pk>/decide/", views.erasure_decide, name="erasure_decide"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/run/", views.import_run, name="import_run"),
    path("import/<int:pk>/errors.csv", views.import_errors_csv, name="import_errors"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
]
