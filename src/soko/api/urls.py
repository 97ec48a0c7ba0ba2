from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from soko.api import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("v1/auth/token/", obtain_auth_token, name="token"),
    path("v1/organizations/", views.OrganizationListApi.as_view(), name="organizations"),
    path(
        "v1/organizations/<str:code>/", views.OrganizationDetailApi.as_view(), name="organization"
    ),
    path("v1/catalog/assessments/", views.AssessmentListApi.as_view(), name="assessments"),
    path(
        "v1/catalog/assessments/<int:pk>/", views.AssessmentDetailApi.as_view(), name="assessment"
    ),
    path("v1/catalog/parameters/", views.ParameterListApi.as_view(), name="parameters"),
    path("v1/public/territories/", views.PublicSummaryApi.as_view(), name="public"),
]
