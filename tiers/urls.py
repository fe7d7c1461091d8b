from django.urls import path

from . import views

app_name = "tiers"

urlpatterns = [
    path("", views.ladder, name="ladder"),
    path("members/<int:member_id>/", views.member_tier, name="member"),
    path("members/<int:member_id>/renew/", views.member_renew, name="renew"),
]
