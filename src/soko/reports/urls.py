from __future__ import annotations

from django.urls import path

from soko.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/regenerate/", views.regenerate, name="regenerate"),
    path("templates/upload/", views.upload_template, name="template_upload"),
    path("templates/reset/", views.reset_template, name="template_reset"),
    path("templates/base.docx", views.base_template, name="template_base"),
]
