from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from soko.analyses import views

app_name = "analyses"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("work/<int:pk>/", views.report, name="report"),
    path("work/<int:pk>/export/", views.report_export, name="report_export"),
    path("work/<int:pk>/marks.xlsx", views.marks_export, name="marks_export"),
    path("comprehensive/", views.comprehensive, name="comprehensive"),
    path("comprehensive/export/", views.comprehensive_export, name="comprehensive_export"),
    path("deficits/", views.deficits, name="deficits"),
    path("deficits/export/", views.deficits_export, name="deficits_export"),
    path("compute/", views.compute, name="compute"),
]
