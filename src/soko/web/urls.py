from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from soko.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("orgs/", views.org_list, name="org_list"),
    path("orgs/<str:code>/", views.org_detail, name="org_detail"),
    path("orgs/<str:code>/audit/", views.org_audit, name="org_audit"),
    path("orgs/<str:code>/edit/", views.org_edit, name="org_edit"),
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/<int:pk>/", views.assessment_detail, name="assessment"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("public/", views.public, name="public"),
]
