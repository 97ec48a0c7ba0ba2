from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from soko.risks import views

app_name = "risks"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("compute/", views.compute, name="compute"),
    path("low-results/", views.low_results, name="low_results"),
    path("objectivity/", views.objectivity, name="objectivity"),
    path("flags/", views.flag_list, name="flags"),
    path("flags/<int:pk>/", views.flag_detail, name="flag"),
    path("flags/<int:pk>/review/", views.flag_review, name="flag_review"),
    path("recheck/", views.recheck_list, name="recheck_list"),
    path("recheck/<int:pk>/", views.recheck_detail, name="recheck_detail"),
    path("recheck/<int:pk>/entry/", views.recheck_entry, name="recheck_entry"),
    path("recheck/<int:pk>/template.xlsx", views.recheck_template, name="recheck_template"),
    path("recheck/<int:pk>/upload/", views.recheck_upload, name="recheck_upload"),
    path("recheck/works/<int:pk>/", views.recheck_save, name="recheck_save"),
]
