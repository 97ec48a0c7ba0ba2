from __future__ import annotations

from django.urls import path

from soko.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.history, name="history"),
    path("upload/", views.upload, name="upload"),
    path("check/<int:pk>/", views.check, name="check"),
    path("check/<int:pk>/errors.xlsx", views.check_errors, name="check_errors"),
    path("check/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("run/<int:pk>/", views.run, name="run"),
    path("<int:pk>/", views.batch_detail, name="batch"),
    path("<int:pk>/file/", views.batch_file, name="batch_file"),
    path("<int:pk>/undo/", views.undo, name="undo"),
]
